// A container's live state, read back from what outlives skiff: conmon's exit file
// (`<exits>/<id>`, holding the exit code; its mtime is the finish time), the `oom` file conmon
// leaves in the bundle, and conmon itself. The record caches the final answer once exited.
// The moment a container is seen to have exited, its rootfs is unmounted (as docker does at
// exit): the snapshot, its writable layer, stays until RemoveContainer; nothing reads the
// rootfs of an exited container, and a new container (the kubelet's restart) mounts its own.
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { RuntimeError } from '../cri.js';
import { isConmon, oomFile } from '../oci/conmon.js';
import { unmountAll } from '../oci/mount.js';
import { resolveId, saveContainer, type ContainerRecord, type RuntimeContext } from '../runtime-context.js';

export function getContainer(ctx: RuntimeContext, idOrPrefix: string): ContainerRecord {
  const id = resolveId(ctx.containers, idOrPrefix);
  const rec = id ? ctx.containers.get(id) : undefined;
  if (!rec) throw new RuntimeError('NotFound', `container ${idOrPrefix} not found`);
  return rec;
}

export const exitFile = (ctx: RuntimeContext, id: string) => path.join(ctx.dirs.exits, id);

/**
 * Reads the exit file; undefined while the container has not exited. Synchronous: one small
 * file, looked for on every status check (every running container at every relist), so the
 * usual answer, no file yet, comes from a stat that does not throw.
 */
export async function readExit(ctx: RuntimeContext, id: string): Promise<{ code: number; at: number } | undefined> {
  const f = exitFile(ctx, id);
  try {
    const st = fsSync.statSync(f, { throwIfNoEntry: false });
    if (!st) return undefined;
    const text = fsSync.readFileSync(f, 'utf8').trim();
    if (text === '') return undefined; // conmon is mid-write
    return { code: Number(text), at: Math.round(st.mtimeMs * 1_000_000) };
  } catch {
    return undefined;
  }
}

export const rootfsOf = (rec: ContainerRecord) => path.join(rec.bundle, 'rootfs');

/**
 * A container whose bundle is gone was removed by another process on this root (a `skiff cri`
 * verb, or the cleanup conmon runs when a detached one exits) after this one read the records:
 * its record must not be written back (that would make a bundle again), only forgotten.
 */
function forgetIfRemoved(ctx: RuntimeContext, rec: ContainerRecord): void {
  if (fsSync.existsSync(rec.bundle)) return;
  ctx.containers.delete(rec.id);
  throw new RuntimeError('NotFound', `container ${rec.id} not found (removed)`);
}

async function releaseRootfs(ctx: RuntimeContext, rec: ContainerRecord): Promise<void> {
  // Best effort: RemoveContainer unmounts whatever is left.
  await unmountAll(rootfsOf(rec)).catch((e: unknown) => ctx.logger.warn({ container: rec.id, err: (e as Error).message }, 'rootfs of an exited container not unmounted'));
}

/** Brings the record's state up to date and returns it. */
export async function refreshContainer(ctx: RuntimeContext, rec: ContainerRecord): Promise<ContainerRecord> {
  if (rec.state === 'CONTAINER_EXITED') return rec;
  const exit = await readExit(ctx, rec.id);
  if (exit) {
    forgetIfRemoved(ctx, rec);
    const oom = await fs.stat(oomFile(rec.bundle)).then(() => true, () => false);
    rec.state = 'CONTAINER_EXITED';
    rec.exitCode = exit.code;
    // The exit file's mtime comes from the kernel's coarse clock (a tick, up to ~4 ms, behind
    // the one startedAt was read from): a process that exits at once can seem to end before
    // it started. It did not; it ended no earlier than its start.
    rec.finishedAt = Math.max(exit.at, rec.startedAt);
    rec.reason = oom ? 'OOMKilled' : exit.code === 0 ? 'Completed' : 'Error';
    if (!rec.startedAt) {
      rec.reason = oom ? 'OOMKilled' : 'ContainerCannotRun';
    }
    await saveContainer(ctx, rec);
    await releaseRootfs(ctx, rec);
    return rec;
  }
  if (rec.conmonPid && !(await isConmon(rec.conmonPid))) {
    // conmon writes the exit file before it exits; check once more, then call it lost.
    const late = await readExit(ctx, rec.id);
    if (!late) {
      forgetIfRemoved(ctx, rec);
      rec.state = 'CONTAINER_EXITED';
      rec.exitCode = 255;
      rec.finishedAt = Date.now() * 1_000_000;
      rec.reason = 'Error';
      rec.message = 'container monitor (conmon) is gone and left no exit code';
      await saveContainer(ctx, rec);
      await releaseRootfs(ctx, rec);
      return rec;
    }
    return refreshContainer(ctx, rec);
  }
  return rec;
}

/** Waits until the exit file appears or `timeoutMs` passes; true when the container has exited. */
export async function waitForExit(ctx: RuntimeContext, rec: ContainerRecord, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await refreshContainer(ctx, rec);
    if (rec.state === 'CONTAINER_EXITED') return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, Math.min(25, Math.max(1, deadline - Date.now()))));
  }
}
