// `skiff build`'s engine: a Dockerfile and a context in, an image in the node's image store
// out (and, when asked, in a registry). Stages the target needs are built in order; each
// instruction either changes the stage's config (stage.ts) or makes a layer (RUN, COPY,
// ADD, WORKDIR) on an overlay of the stage's snapshots, through the layer cache.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { ImageService } from '../runtime/image-service.js';
import type { Descriptor } from '../runtime/images/media-types.js';
import { parseReference } from '../runtime/images/reference.js';
import { chainIds } from '../runtime/images/snapshots.js';
import { unpackLayer } from '../runtime/images/unpack.js';
import { chooseRuntime, type OciRuntimeName } from '../runtime/oci/oci-runtime.js';
import { secureJoin } from '../runtime/oci/secure-path.js';
import { resolveUser } from '../runtime/oci/user.js';
import { baseImageState, emptyState } from './base-image.js';
import { LayerCache, type CacheEntry } from './cache.js';
import { BuildContext } from './context.js';
import { copyStep } from './copy-instruction.js';
import { FileHashes } from './file-hashes.js';
import { keepingParentTimes, makeDirs } from './copy-step.js';
import { findStage, planDockerfile, targetStage, type DockerfilePlan, type StageSpec } from './dockerfile/instructions.js';
import { DockerfileSyntaxError, parseDockerfile, type ParsedLine } from './dockerfile/parser.js';
import { expandWord } from './dockerfile/words.js';
import { storeImage, type BuiltImage } from './image-output.js';
import { packUpperDir } from './layer-diff.js';
import { snapshotFromUpper } from './layer-snapshot.js';
import { RunStepError, runStep } from './run-step.js';
import { applyConfigInstruction, commandArgs, declareArgs, nextWorkdir, runEnv, topChain, type ArgSources, type StageState } from './stage.js';
import { timed } from './trace.js';
import { cleanStaleBuilds, WorkingRootfs } from './working-rootfs.js';

export interface BuildOptions {
  images: ImageService;
  /** The build context directory. */
  context: string;
  /** The Dockerfile's path (default: <context>/Dockerfile). */
  dockerfile?: string;
  /** References to tag the image with in the image store ("app:1", "127.0.0.1:5000/app:1"). */
  tags: string[];
  target?: string;
  buildArgs?: Record<string, string>;
  /** Run every step, ignoring the layer cache (the cache is still filled). */
  noCache?: boolean;
  /** Pull base images even when the image store has them. */
  pull?: boolean;
  output?: Writable;
  runtime?: OciRuntimeName;
  /** Told of each layer this build made (not of cached ones), as soon as it is stored. */
  onLayer?: (layer: Descriptor) => void;
}

export interface BuildStep {
  stage: string;
  instruction: string;
  /** A layer step answered from the cache. */
  cached: boolean;
  /** A RUN whose command was executed. */
  ran: boolean;
}

export interface BuildResult extends BuiltImage {
  steps: BuildStep[];
  /** --build-arg names no ARG declared (Docker warns about them). */
  unusedBuildArgs: string[];
}

export class BuildError extends Error {}

const nullOutput = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

export async function buildImage(options: BuildOptions): Promise<BuildResult> {
  const out = options.output ?? nullOutput();
  const images = options.images;
  // A bad tag is reported before any work, not after the last step.
  for (const t of options.tags) parseReference(t);
  await timed('image store init', () => images.init());
  const context = await BuildContext.open(options.context);
  const dockerfilePath = options.dockerfile ? path.resolve(options.dockerfile) : path.join(context.dir, 'Dockerfile');
  const text = await readFile(dockerfilePath, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new BuildError(`cannot read the Dockerfile ${dockerfilePath}: ${e.code ?? e.message}`);
  });
  const plan = planDockerfile(parseDockerfile(text));
  await timed('clean stale builds', () => cleanStaleBuilds(images, stateRoot(images), findRuntime(options.runtime)));
  const buildArgs = new Map(Object.entries(options.buildArgs ?? {}));
  const sources: ArgSources = { buildArgs, globals: new Map(), used: new Set() };
  const globals = new Map<string, string>();
  for (const l of plan.globalArgs) declareArgs(globals, l, globals, { ...sources, globals }, plan.escape);
  sources.globals = globals;

  const target = targetStage(plan, options.target);
  const needed = neededStages(plan, target, globals);
  const total = plan.stages.filter((s) => needed.has(s.index)).reduce((n, s) => n + 1 + s.lines.length, 0);
  const fileHashes = await FileHashes.open(images.root, context.dir);
  const b = new Builder(options, out, context, plan, sources, total, fileHashes);
  let last: StageState | undefined;
  for (const stage of plan.stages) {
    if (!needed.has(stage.index)) continue;
    last = await b.buildStage(stage);
    if (stage === target) break;
  }
  if (!last) throw new BuildError('nothing to build');
  await fileHashes.save();
  const image = await timed('image write', () => storeImage(images, last, options.tags));
  const unusedBuildArgs = [...buildArgs.keys()].filter((k) => !sources.used.has(k));
  if (unusedBuildArgs.length) out.write(`[Warning] one or more build args were not consumed: ${unusedBuildArgs.join(', ')}\n`);
  out.write(`Successfully built ${image.imageId.slice(7, 19)}\n`);
  for (const t of options.tags) out.write(`Successfully tagged ${t}\n`);
  return { ...image, steps: b.steps, unusedBuildArgs };
}

/** Where the OCI runtime keeps the state of RUN containers. */
function stateRoot(images: ImageService): string {
  return path.join(images.root, 'build', 'oci-state');
}

/** The OCI runtime binary, when there is one (a build without RUN needs none). */
function findRuntime(name: OciRuntimeName | undefined): string | undefined {
  try {
    return chooseRuntime(name).path;
  } catch {
    return undefined;
  }
}

/** The stages `target` depends on through FROM <stage> and COPY --from=<stage>, itself included. */
function neededStages(plan: DockerfilePlan, target: StageSpec, globals: Map<string, string>): Set<number> {
  const need = new Set<number>();
  const visit = (s: StageSpec) => {
    if (need.has(s.index)) return;
    need.add(s.index);
    const base = findStage(plan, expandWord(s.baseText, globals, plan.escape), s.index);
    if (base) visit(base);
    for (const l of s.lines) {
      const from = l.flags.find((f) => f.name === 'from')?.value;
      const dep = from === undefined ? undefined : findStage(plan, from, s.index);
      if (dep) visit(dep);
    }
  };
  visit(target);
  return need;
}

class Builder {
  readonly steps: BuildStep[] = [];
  readonly #states = new Map<number, StageState>();
  readonly #cache: LayerCache;
  #stepNo = 0;

  constructor(
    readonly options: BuildOptions,
    readonly out: Writable,
    readonly context: BuildContext,
    readonly plan: DockerfilePlan,
    readonly args: ArgSources,
    readonly total: number,
    readonly fileHashes: FileHashes,
  ) {
    this.#cache = new LayerCache(options.images.root);
  }

  get images(): ImageService {
    return this.options.images;
  }

  #announce(line: ParsedLine, stage: string): void {
    this.#stepNo++;
    this.out.write(`STEP ${this.#stepNo}/${this.total}${stage ? ` [${stage}]` : ''}: ${line.original}\n`);
  }

  async buildStage(spec: StageSpec): Promise<StageState> {
    const label = spec.name ?? (this.plan.stages.length > 1 ? String(spec.index) : '');
    this.#announce(spec.from, label);
    const baseRef = expandWord(spec.baseText, this.args.globals, this.plan.escape);
    const platform = spec.from.flags.find((f) => f.name === 'platform')?.value;
    const wanted = platform === undefined ? undefined : expandWord(platform, new Map([...this.args.globals, ['BUILDPLATFORM', 'linux/amd64'], ['TARGETPLATFORM', 'linux/amd64']]), this.plan.escape);
    if (wanted !== undefined && wanted !== 'linux/amd64') throw new DockerfileSyntaxError(spec.from.line, `FROM --platform=${wanted}: this builder makes linux/amd64 images only`);
    const parent = findStage(this.plan, baseRef, spec.index);
    let state: StageState;
    if (parent) {
      const p = this.#states.get(parent.index);
      if (!p) throw new BuildError(`stage ${baseRef} was not built`);
      state = { ...structuredClone({ ...p, args: undefined }), args: new Map(), cmdSet: false };
    } else {
      state = baseRef.toLowerCase() === 'scratch' ? emptyState() : await timed('base image', () => baseImageState(this.images, baseRef, this.out, { pull: this.options.pull }));
    }
    for (const line of spec.lines) {
      this.#announce(line, label);
      try {
        await this.#step(state, line, label);
      } catch (e) {
        if (e instanceof DockerfileSyntaxError || e instanceof BuildError) throw e;
        const why = e instanceof RunStepError ? `the command ${JSON.stringify(commandArgs(state, line))} returned a non-zero code: ${e.exitCode}` : (e as Error).message;
        throw new BuildError(`Dockerfile:${line.line}: ${line.original}: ${why}`, { cause: e });
      }
    }
    this.#states.set(spec.index, state);
    return state;
  }

  async #step(state: StageState, line: ParsedLine, stage: string): Promise<void> {
    const escape = this.plan.escape;
    if (applyConfigInstruction(state, line, this.args, escape)) {
      // The time of the step before: a build answered wholly from the cache gives the same image ID.
      const created = state.history[state.history.length - 1]?.created ?? state.created ?? new Date(0).toISOString();
      state.history.push({ created, created_by: `/bin/sh -c #(nop) ${line.original}`, empty_layer: true });
      return;
    }
    const record: BuildStep = { stage, instruction: line.original, cached: false, ran: false };
    this.steps.push(record);
    switch (line.keyword) {
      case 'RUN': {
        const args = commandArgs(state, line);
        const env = runEnv(state);
        const key = { kind: 'RUN', args, env, user: state.config.User ?? '', workdir: state.config.WorkingDir ?? '' };
        await this.#layerStep(state, record, key, line.json ? `RUN ${JSON.stringify(args)}` : `/bin/sh -c ${line.args}`, async (w, id) => {
          record.ran = true;
          await runStep({ rootfs: w, args, env, cwd: state.config.WorkingDir || '/', user: state.config.User ?? '', stateRoot: stateRoot(this.images), id: `skiff-build-${id}`, output: this.out, runtime: this.options.runtime });
        });
        return;
      }
      case 'WORKDIR': {
        const dir = nextWorkdir(state, line, escape);
        state.config.WorkingDir = dir;
        const user = state.config.User ?? '';
        await this.#layerStep(state, record, { kind: 'WORKDIR', dir, user }, `/bin/sh -c #(nop) WORKDIR ${dir}`, async (w) => {
          const host = await secureJoin(w.merged, dir);
          // Directories WORKDIR creates belong to the USER in effect (as in BuildKit and buildah).
          const owner = user === '' ? { uid: 0, gid: 0 } : await resolveUser(w.merged, { imageUser: user });
          await keepingParentTimes(w.merged, host, () => makeDirs(w.merged, host, owner));
        });
        return;
      }
      case 'COPY':
      case 'ADD': {
        const prepared = await timed('copy: resolve + hash sources', () => copyStep({ images: this.images, context: this.context, plan: this.plan, stageState: (i) => this.#states.get(i), output: this.out, fileHashes: this.fileHashes }, state, line));
        try {
          await this.#layerStep(state, record, prepared.key, prepared.createdBy, (w) => prepared.copy(w.merged));
        } finally {
          await prepared.release();
        }
        return;
      }
      default:
        throw new DockerfileSyntaxError(line.line, `${line.keyword} is not supported`);
    }
  }

  /** A layer-making step through the cache: reuse the layer made last time, or make it now. */
  async #layerStep(state: StageState, record: BuildStep, keyParts: Record<string, unknown>, createdBy: string, make: (w: WorkingRootfs, id: string) => Promise<void>): Promise<void> {
    const images = this.images;
    const parent = topChain(state);
    const key = LayerCache.key({ parent: parent ?? null, ...keyParts });
    let entry: CacheEntry | undefined = this.options.noCache ? undefined : await timed('cache lookup', () => this.#cache.get(key));
    if (entry?.layer && !(await images.content.has(entry.layer.digest))) entry = undefined;
    if (entry) {
      record.cached = true;
      this.out.write(' ---> Using cache (CACHED)\n');
    } else {
      // The PID first: a later build recognises what a dead one left (cleanStaleBuilds).
      const id = `${process.pid}-${randomBytes(4).toString('hex')}`;
      const w = await timed('overlay mount', () => WorkingRootfs.mount(images, parent, id));
      try {
        await timed(`make ${String(keyParts.kind)}`, () => make(w, id));
        await timed('overlay unmount', () => w.unmount());
        const created = new Date().toISOString();
        if (await w.unchanged()) entry = { created };
        else {
          const packed = await timed('layer tar + gzip + digest', () => packUpperDir(images.content, w.upper));
          entry = { layer: packed.descriptor, diffId: packed.diffId, created };
          this.options.onLayer?.(packed.descriptor);
          const chain = chainIds([...state.diffIds, packed.diffId]).pop() as string;
          const blob = { blobPath: images.content.blobPath(packed.descriptor.digest), diffId: packed.diffId };
          // The upper directory is the snapshot already: moved into place rather than the blob unpacked again.
          await timed('snapshot commit', () =>
            images.snapshots.ensureCommitted(chain, parent, packed.diffId, (dir) => (packed.sameAsLayer ? timed('snapshot: upper renamed', () => snapshotFromUpper(w.upper, dir, blob, packed)) : timed('snapshot: blob unpacked', () => unpackLayer(blob.blobPath, dir, blob.diffId)))),
          );
        }
      } finally {
        await timed('working dir remove', () => w.remove());
      }
      const made = entry;
      await timed('cache put', () => this.#cache.put(key, made));
    }
    if (entry.layer && entry.diffId) {
      const layer = entry.layer;
      const diffId = entry.diffId;
      const chain = chainIds([...state.diffIds, diffId]).pop() as string;
      // A cached layer's snapshot is normally there; when it was removed, unpack the blob again.
      await timed('snapshot check', () => images.snapshots.ensureCommitted(chain, parent, diffId, (dir) => unpackLayer(images.content.blobPath(layer.digest), dir, diffId)));
      state.layers.push(layer);
      state.diffIds.push(diffId);
      this.out.write(` ---> ${diffId.slice(7, 19)}\n`);
    }
    state.history.push({ created: entry.created, created_by: createdBy, ...(entry.layer ? {} : { empty_layer: true }) });
  }
}
