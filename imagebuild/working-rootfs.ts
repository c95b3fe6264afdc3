// The root filesystem a build step works on: an overlay of the stage's committed layer
// snapshots (lowest layers from the snapshotter, shared with pulled images) with a fresh
// upper directory, so whatever the step changes lands in that upper directory and nowhere
// else. Also the read-only view of a stage or image that COPY --from reads.
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ImageService } from '../runtime/image-service.js';
import { isAlive } from '../runtime/process-alive.js';
import { mountAll } from '../runtime/images/mount.js';
import { removeCgroupTree } from '../runtime/oci/cgroups.js';
import { runCommand } from '../runtime/oci/command.js';
import { unmountAll } from '../runtime/oci/mount.js';

export class WorkingRootfs {
  readonly dir: string;
  /** The merged view the step sees and changes. */
  readonly merged: string;
  readonly upper: string;
  #mounted = false;

  private constructor(dir: string) {
    this.dir = dir;
    this.merged = path.join(dir, 'rootfs');
    this.upper = path.join(dir, 'upper');
  }

  /** Mounts a writable rootfs over chain `top` (undefined: an empty one, FROM scratch). */
  static async mount(images: ImageService, top: string | undefined, id: string): Promise<WorkingRootfs> {
    const w = new WorkingRootfs(path.join(images.root, 'build', id));
    await mkdir(w.merged, { recursive: true });
    await mkdir(w.upper, { mode: 0o755 });
    await mkdir(path.join(w.dir, 'work'), { mode: 0o700 });
    const lowers = top === undefined ? [path.join(images.root, 'empty')] : await images.snapshots.lowerDirs(top);
    await mountAll([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lowers.join(':')}`, `upperdir=${w.upper}`, `workdir=${path.join(w.dir, 'work')}`] }], w.merged);
    w.#mounted = true;
    return w;
  }

  async unmount(): Promise<void> {
    if (!this.#mounted) return;
    await unmountAll(this.merged);
    this.#mounted = false;
  }

  /** Whether the step changed nothing. */
  async unchanged(): Promise<boolean> {
    return (await readdir(this.upper)).length === 0;
  }

  /** Unmounts and deletes everything (idempotent; safe after a failure). */
  async remove(): Promise<void> {
    await this.unmount();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A read-only view of chain `top` at `dir` (COPY --from); returns the directory to read. */
export async function mountReadOnly(images: ImageService, top: string | undefined, dir: string): Promise<{ path: string; release: () => Promise<void> }> {
  const empty = path.join(images.root, 'empty');
  if (top === undefined) return { path: empty, release: async () => undefined };
  const lowers = await images.snapshots.lowerDirs(top);
  // overlay without an upper needs two lowers: the empty dir stands in under a single layer
  if (lowers.length === 1) lowers.push(empty);
  await mkdir(dir, { recursive: true });
  await mountAll([{ type: 'overlay', source: 'overlay', options: ['ro', `lowerdir=${lowers.join(':')}`] }], dir);
  return {
    path: dir,
    release: async () => {
      await unmountAll(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Takes down what builds that died (kill -9, a crash) left on this root: their RUN containers
 * in the OCI runtime's state, their cgroups, mounts and step directories. A step's directory
 * and container ID start with the PID of its build, so only dead builds' leftovers go.
 */
export async function cleanStaleBuilds(images: ImageService, stateRoot: string, runtimePath: string | undefined): Promise<void> {
  const dir = path.join(images.root, 'build');
  const names = await readdir(dir).catch(() => [] as string[]);
  const dead = (name: string) => {
    const pid = /^(\d+)-/.exec(name)?.[1];
    return pid !== undefined && !isAlive(Number(pid));
  };
  // A RUN container is deleted before its step directory, so a dead build's container has a
  // dead step directory beside it: with none, there is nothing to ask the runtime about.
  if (runtimePath && names.some(dead)) {
    const listed = await runCommand(runtimePath, [`--root=${stateRoot}`, 'list', '-q']).catch(() => undefined);
    for (const id of listed?.stdout.split('\n').filter(Boolean) ?? []) {
      const m = /^skiff-build-(.+)$/.exec(id);
      if (!m || !dead(m[1])) continue;
      await runCommand(runtimePath, [`--root=${stateRoot}`, 'delete', '--force', id]);
      await removeCgroupTree(`/${id}`).catch(() => undefined);
    }
  }
  for (const n of names) {
    if (!dead(n)) continue;
    const w = path.join(dir, n);
    await unmountAll(path.join(w, 'rootfs'));
    await unmountAll(w);
    await rm(w, { recursive: true, force: true });
  }
}
