// COPY/ADD as a build step: where the sources come from (the context, an earlier stage, or
// an image), what the cache key is (the content of the sources, so touching a file's content
// invalidates the step), and the copy itself, run later on the step's working rootfs.
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { ImageService } from '../runtime/image-service.js';
import { resolveUser } from '../runtime/oci/user.js';
import { secureJoin } from '../runtime/oci/secure-path.js';
import { baseImageState } from './base-image.js';
import type { BuildContext } from './context.js';
import { findStage, type DockerfilePlan } from './dockerfile/instructions.js';
import { DockerfileSyntaxError, type ParsedLine } from './dockerfile/parser.js';
import { expandWord, expandWords, WordError } from './dockerfile/words.js';
import { copyInto, hashSources, type CopyOptions, type CopySource } from './copy-step.js';
import type { FileHashes } from './file-hashes.js';
import { cleanRelative, hasGlob, patternRegExp } from './globs.js';
import { stageVars, topChain, type StageState } from './stage.js';
import { mountReadOnly } from './working-rootfs.js';
import { randomBytes } from 'node:crypto';

export interface CopyDeps {
  images: ImageService;
  context: BuildContext;
  plan: DockerfilePlan;
  stageState: (index: number) => StageState | undefined;
  output: Writable;
  /** Remembered content hashes of context files (file-hashes.ts). */
  fileHashes?: FileHashes;
}

export interface PreparedCopy {
  key: Record<string, unknown>;
  createdBy: string;
  copy: (rootfs: string) => Promise<void>;
  release: () => Promise<void>;
}

export async function copyStep(deps: CopyDeps, state: StageState, line: ParsedLine): Promise<PreparedCopy> {
  const escape = deps.plan.escape;
  const vars = stageVars(state);
  const flag = (name: string) => {
    const v = line.flags.find((f) => f.name === name)?.value;
    return v === undefined ? undefined : expandWord(v, vars, escape);
  };
  let words: string[];
  try {
    words = line.json ?? expandWords(line.args, vars, escape);
  } catch (e) {
    throw e instanceof WordError ? new DockerfileSyntaxError(line.line, e.message) : e;
  }
  if (words.length < 2) throw new DockerfileSyntaxError(line.line, `${line.keyword} requires at least two arguments`);
  const rawDest = words[words.length - 1];
  const srcs = words.slice(0, -1);
  const dest = (path.posix.isAbsolute(rawDest) ? rawDest : path.posix.join(state.config.WorkingDir || '/', rawDest)) + (rawDest.endsWith('/') || rawDest === '.' ? '/' : '');
  const chmodText = flag('chmod');
  const mode = chmodText === undefined ? undefined : parseMode(chmodText, line);
  const chown = flag('chown');
  const from = flag('from');
  const isAdd = line.keyword === 'ADD';
  for (const s of srcs) if (/^[a-z]+:\/\//i.test(s)) throw new DockerfileSyntaxError(line.line, `${line.keyword} of a URL (${s}) is not supported: this builder has no outside network`);

  let sources: CopySource[] = [];
  let release = async () => undefined as void;
  let opts: CopyOptions;
  if (from === undefined) {
    for (const s of srcs) {
      const found = await deps.context.resolve(s);
      if (found.length === 0) throw new Error(`failed to compute cache key: "${s}" not found in the build context or excluded by .dockerignore`);
      // A source that is itself a symlink is followed (inside the context), as Docker does;
      // symlinks met inside a copied directory stay symlinks.
      for (const rel of found) sources.push({ abs: await secureJoin(deps.context.dir, rel), rel });
    }
    opts = { keepOwners: false, mode, include: (rel) => deps.context.includes(rel), extractArchives: isAdd };
  } else {
    const stage = findStage(deps.plan, from, Number.MAX_SAFE_INTEGER);
    let fromState: StageState | undefined;
    if (stage) {
      fromState = deps.stageState(stage.index);
      if (!fromState) throw new DockerfileSyntaxError(line.line, `COPY --from=${from}: stage ${from} is not built before this one`);
    } else fromState = await baseImageState(deps.images, from, deps.output);
    const view = await mountReadOnly(deps.images, topChain(fromState), path.join(deps.images.root, 'build', `${process.pid}-from-${randomBytes(6).toString('hex')}`));
    release = view.release;
    try {
      for (const s of srcs) {
        const found = await resolveInRootfs(view.path, s);
        if (found.length === 0) throw new Error(`COPY --from=${from}: ${s}: no such file or directory`);
        sources.push(...found);
      }
    } catch (e) {
      await release();
      throw e;
    }
    opts = { keepOwners: true, mode, extractArchives: false };
  }
  sources = dedupe(sources);
  try {
    // Only context files are remembered: another stage's view is a new mount every build.
    const contentDigest = await hashSources(sources, opts, from === undefined ? deps.fileHashes : undefined);
    const key = { kind: line.keyword, content: contentDigest, sources: sources.map((s) => s.rel), dest, chown: chown ?? null, chmod: chmodText ?? null, from: from !== undefined };
    const what = from === undefined ? 'context' : `from ${from}`;
    return {
      key,
      createdBy: `/bin/sh -c #(nop) ${line.keyword} ${what}:${contentDigest.slice(7, 19)} in ${dest}`,
      copy: async (rootfs) => {
        const owner = chown === undefined ? undefined : await resolveChown(rootfs, chown);
        await copyInto(rootfs, sources, dest, { ...opts, owner });
      },
      release,
    };
  } catch (e) {
    await release();
    throw e;
  }
}

function dedupe(s: CopySource[]): CopySource[] {
  const seen = new Set<string>();
  return s.filter((x) => (seen.has(x.abs) ? false : (seen.add(x.abs), true)));
}

function parseMode(text: string, line: ParsedLine): number {
  if (!/^[0-7]{3,4}$/.test(text)) throw new DockerfileSyntaxError(line.line, `invalid --chmod ${JSON.stringify(text)} (want an octal mode such as 755)`);
  return parseInt(text, 8);
}

/** --chown=user[:group], names looked up in the destination's /etc/passwd and /etc/group; a lone user gives gid = uid, as Docker does. */
async function resolveChown(rootfs: string, spec: string): Promise<{ uid: number; gid: number }> {
  const [u, g] = spec.split(':', 2);
  const uid = /^\d+$/.test(u) ? Number(u) : (await resolveUser(rootfs, { imageUser: u })).uid;
  if (g === undefined || g === '') return { uid, gid: uid };
  const gid = /^\d+$/.test(g) ? Number(g) : (await resolveUser(rootfs, { imageUser: `0:${g}` })).gid;
  return { uid, gid };
}

/** Sources inside another rootfs: a path (symlinks followed inside it) or a glob in its last element. */
async function resolveInRootfs(root: string, source: string): Promise<CopySource[]> {
  const clean = cleanRelative(source);
  const dir = path.posix.dirname(clean) === '.' ? '' : path.posix.dirname(clean);
  const base = path.posix.basename(clean);
  if (hasGlob(dir)) throw new Error(`COPY --from: globs are supported in the last path element only (${source})`);
  if (!hasGlob(base)) {
    const abs = await secureJoin(root, clean);
    return (await lstat(abs).catch(() => undefined)) ? [{ abs, rel: clean }] : [];
  }
  const hostDir = await secureJoin(root, dir);
  const re = patternRegExp(base, false);
  const names = (await readdir(hostDir).catch(() => [] as string[])).filter((n) => re.test(n)).sort();
  return names.map((n) => ({ abs: path.join(hostDir, n), rel: dir === '' ? n : `${dir}/${n}` }));
}
