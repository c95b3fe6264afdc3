// The image verbs of `skiff cri`: pull (with progress bars), images, rmi, prune, inspect,
// mount, unmount — straight on a runtime root, like crictl/docker on a node. The functions
// behind prune and inspect are exported, and registerCriImages takes hooks so the container
// verbs can extend them (remove exited containers first; inspect container IDs too).
// Sizes, rows, the prune report and the pull display are `skiff images|pull`'s (cli/images/),
// the table is `skiff get`'s (cli/printers/).
import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { isRuntimeError, type PruneResult, type PullProgress } from '../../runtime/cri.js';
import { ImageService } from '../../runtime/image-service.js';
import { formatPrune, humanSize, imageRows } from '../images/image-format.js';
import { pullDisplay } from '../images/pull-display.js';
import { renderTable } from '../printers/table.js';
import { criOptions, type CriEnv, type CriGlobalOptions } from './cri-options.js';

export interface CriImageHooks {
  /** The image service for a root (the container verbs pass one that knows which images are in use). */
  openImages?: (opts: CriGlobalOptions) => ImageService;
  /** Runs before the image prune (e.g. removes exited containers); returns what it removed. */
  pruneContainers?: (opts: CriGlobalOptions) => Promise<string[]>;
  /** Inspects something that is not an image (a container); resolves undefined when unknown. */
  inspectOther?: (opts: CriGlobalOptions, id: string) => Promise<unknown>;
}

export function openImageService(opts: CriGlobalOptions, env: CriEnv): ImageService {
  return new ImageService({ root: opts.root, registryConfig: opts.registryConfig, dockerConfigs: env.dockerConfigs(), logger: env.logger() });
}

/** The prune verb's work: containers first (hook), then images, blobs and snapshots. */
export async function pruneAll(opts: CriGlobalOptions, env: CriEnv, hooks: CriImageHooks = {}): Promise<PruneResult> {
  const containersDeleted = hooks.pruneContainers ? await hooks.pruneContainers(opts) : [];
  const images = hooks.openImages ? hooks.openImages(opts) : openImageService(opts, env);
  const result = await images.prune();
  return hooks.pruneContainers ? { ...result, containersDeleted } : result;
}

/** The inspect verb's work for images: status + config + manifest; undefined when there is no such image. */
export async function inspectImage(images: ImageService, ref: string): Promise<unknown> {
  const st = await images.imageStatus({ image: ref }, true);
  return st.image ? { status: st.image, info: st.info } : undefined;
}

/** Without a terminal, crictl's terse lines: finished steps only ("Downloaded 1.2MB"). */
function criPlainLine(p: PullProgress): string | undefined {
  if (p.status === 'exists') return 'Already exists';
  if (p.status === 'done') return `Downloaded ${humanSize(p.bytesTotal)}`;
  if (p.status === 'extracted') return 'Pull complete';
  return undefined;
}

export function registerCriImages(cri: Command, env: CriEnv, hooks: CriImageHooks = {}): void {
  const open = (cmd: Command) => {
    const opts = criOptions(cmd);
    return hooks.openImages ? hooks.openImages(opts) : openImageService(opts, env);
  };

  cri
    .command('pull')
    .description('pull an image from a registry (mirrors and auth from --registry-config, credentials also from the docker config)')
    .argument('<ref>', 'image reference, e.g. busybox, 127.0.0.1:5000/app:v1, name@sha256:...')
    .option('--platform <os/arch>', 'platform to pull from a multi-platform image', 'linux/amd64')
    .option('-u, --username <user>', 'registry username')
    .option('-p, --password <password>', 'registry password (or SKIFF_REGISTRY_PASSWORD)')
    .option('-q, --quiet', 'print only the image ID')
    .action(async (ref: string, flags: { platform: string; username?: string; password?: string; quiet?: boolean }, cmd: Command) => {
      const images = open(cmd);
      const password = flags.password ?? process.env.SKIFF_REGISTRY_PASSWORD;
      const display = flags.quiet ? undefined : pullDisplay(process.stderr, { plainLine: criPlainLine });
      const onProgress = (p: PullProgress) => display?.onProgress(p);
      try {
        const id = await images.pullImage({ image: ref }, { platform: flags.platform, auth: flags.username ? { username: flags.username, password } : undefined, onProgress });
        display?.stop();
        process.stdout.write(flags.quiet ? `${id}\n` : `Status: ${display?.fetched() ? 'Downloaded newer image' : 'Image is up to date'} for ${ref}\nID: ${id}\n`);
      } catch (e) {
        // The bars go first, so the error (printed by the entry point) is not drawn over.
        display?.stop();
        throw e;
      }
    });

  cri
    .command('images')
    .description('list images: REPOSITORY TAG IMAGE ID CREATED SIZE')
    .argument('[ref]', 'only this repository (and tag)')
    .option('-q, --quiet', 'only image IDs')
    .option('--digests', 'show repo digests')
    .action(async (ref: string | undefined, flags: { quiet?: boolean; digests?: boolean }, cmd: Command) => {
      const list = await open(cmd).listImages(ref ? { image: { image: ref } } : undefined);
      if (flags.quiet) {
        process.stdout.write(list.map((i) => `${i.id.slice(7, 19)}\n`).join(''));
        return;
      }
      const rows = imageRows(list, Date.now());
      if (flags.digests) {
        const byId = new Map(list.map((i) => [i.id.slice(7, 19), i.repoDigests[0]?.split('@')[1] ?? '<none>']));
        process.stdout.write(renderTable({ headers: ['REPOSITORY', 'TAG', 'DIGEST', 'IMAGE ID', 'CREATED', 'SIZE'], rows: rows.map((r) => [r[0], r[1], byId.get(r[2]) ?? '<none>', ...r.slice(2)]) }));
      } else process.stdout.write(renderTable({ headers: ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows }));
    });

  cri
    .command('rmi')
    .description('remove images by reference, full ID or unique ID prefix (3+ characters)')
    .argument('<refs...>', 'references or IDs')
    .option('-f, --force', 'remove even if a container uses the image')
    .action(async (refs: string[], flags: { force?: boolean }, cmd: Command) => {
      const images = open(cmd);
      let failed = 0;
      for (const r of refs) {
        try {
          const before = await images.imageStatus({ image: r });
          await images.removeImage({ image: r }, { force: flags.force });
          const after = before.image ? await images.imageStatus({ image: before.image.id }) : { image: null };
          const untagged = (before.image?.repoTags ?? []).filter((t) => !after.image?.repoTags.includes(t));
          process.stdout.write(untagged.map((t) => `Untagged: ${t}\n`).join(''));
          if (!after.image) process.stdout.write(`Deleted: ${before.image?.id ?? r}\n`);
        } catch (e) {
          failed++;
          process.stderr.write(`error: ${r}: ${e instanceof Error ? e.message : String(e)}\n`);
        }
      }
      if (failed > 0) process.exitCode = 1;
    });

  // prune and inspect are shared with the container verbs (cri-containers.ts), which may be
  // registered before or after these. So both are installed just before `cri` parses its
  // arguments, when every file has registered: a `prune` registered elsewhere wins (it extends
  // this one through pruneAll and hooks), while `inspect` wraps one registered elsewhere
  // (images are looked up first, then the other verb runs).
  const install = () => {
    if (!cri.commands.some((c) => c.name() === 'prune')) {
      cri
        .command('prune')
        .description('remove unused images and every blob and snapshot no image needs; prints the space freed')
        .action(async (_flags: unknown, cmd: Command) => {
          process.stdout.write(formatPrune(await pruneAll(criOptions(cmd), env, hooks)));
        });
    }
    const otherInspect = takeOver(cri, 'inspect');
    cri
      .command('inspect')
      .description(otherInspect ? `show an image as JSON; otherwise: ${otherInspect.description()}` : 'show an image as JSON')
      .argument('<ref>', 'image reference, ID or unique ID prefix')
      .action(async (ref: string, _flags: unknown, cmd: Command) => {
        const opts = criOptions(cmd);
        let found: unknown;
        try {
          found = await inspectImage(open(cmd), ref);
        } catch (e) {
          if (!isRuntimeError(e, 'NotFound') && !isRuntimeError(e, 'InvalidArgument')) throw e;
          if (!otherInspect && !hooks.inspectOther) throw e;
        }
        if (found === undefined && hooks.inspectOther) found = await hooks.inspectOther(opts, ref);
        if (found === undefined && otherInspect) {
          await otherInspect.parseAsync([ref], { from: 'user' });
          return;
        }
        if (found === undefined) throw new Error(`no such image: ${ref}`);
        process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
      });
  };
  let installed = false;
  const installOnce = () => {
    if (!installed) install();
    installed = true;
  };
  if (cri.parent) {
    cri.parent.hook('preSubcommand', (_program, sub) => {
      if (sub === cri) installOnce();
    });
  } else installOnce();

  cri
    .command('mount')
    .description('mount a read-only view of an image on a directory')
    .argument('<ref>', 'image reference, ID or unique ID prefix')
    .argument('<dir>', 'mount point (created if missing)')
    .action(async (ref: string, dir: string, _flags: unknown, cmd: Command) => {
      await mkdir(dir, { recursive: true });
      const id = await open(cmd).mountImage(ref, dir);
      process.stdout.write(`${dir}: ${id} (read-only)\n`);
    });

  cri
    .command('unmount')
    .alias('umount')
    .description('unmount an image view made by `skiff cri mount`')
    .argument('<dir>', 'mount point')
    .action(async (dir: string, _flags: unknown, cmd: Command) => {
      await open(cmd).unmountImage(dir);
    });
}

/** Detaches a verb some other file registered first, so this file's verb can wrap it. */
function takeOver(group: Command, name: string): Command | undefined {
  const list = group.commands as Command[];
  const i = list.findIndex((c) => c.name() === name);
  if (i < 0) return undefined;
  return list.splice(i, 1)[0];
}
