// Not CRI's: an exited container run again in place, for the docker-style `skiff cri start`
// only. CRI never starts a container twice (the kubelet makes a new one, attempt + 1), but a
// docker container keeps its ID, name, config and writable layer across exit and start. Here
// the container keeps its record, bundle (config.json: same command, env, limits; the
// sandbox's namespace path and /etc files) and its snapshot, whose upper directory is the
// writable layer: the rootfs is mounted again from it, the OCI runtime's state of the last run
// is deleted, and a new conmon runs `<runtime> create` on the same bundle, appending to the
// same log. The container is then CREATED, and started as any other. Its sandbox must be
// ready (restart-sandbox.ts brings a stopped one back).
import fs from 'node:fs/promises';
import path from 'node:path';
import { RuntimeError } from '../cri.js';
import { conmonPidFile, containerPidFile, killConmon, oomFile, startConmon } from '../oci/conmon.js';
import { mountRootfs, unmountAll } from '../oci/mount.js';
import { saveContainer, withLock, type RuntimeContext } from '../runtime-context.js';
import { getSandbox } from '../sandboxes/stop-sandbox.js';
import { StepTimes } from '../step-times.js';
import { exitFile, getContainer, refreshContainer, rootfsOf } from './container-state.js';
import { conmonOptions, type MonitorOptions } from './create-container.js';
import { startContainer } from './start-container.js';

/** What the last run's monitor left in the bundle; the next conmon makes them anew. */
const MONITOR_FILES = ['ctl', 'winsz', 'attach'];

export async function restartContainer(ctx: RuntimeContext, idOrPrefix: string, options: MonitorOptions = {}): Promise<void> {
  const rec = getContainer(ctx, idOrPrefix);
  const sandbox = getSandbox(ctx, rec.sandboxId);
  const t = new StepTimes();
  await withLock(ctx, rec.id, async () => {
    await refreshContainer(ctx, rec);
    if (rec.state !== 'CONTAINER_EXITED') throw new RuntimeError('FailedPrecondition', `container ${rec.id} is ${rec.state}, not CONTAINER_EXITED`);
    if (sandbox.state !== 'SANDBOX_READY') throw new RuntimeError('FailedPrecondition', `pod sandbox ${sandbox.id} is not ready`);
    // The record stays EXITED (its cached answer) until the new monitor has created the
    // container, so a failure below leaves it as it was, less the mount.
    await t.time('ociDelete', () => ctx.oci.delete(rec.id));
    await killConmon(rec.conmonPid);
    const leftovers = [exitFile(ctx, rec.id), oomFile(rec.bundle), containerPidFile(rec.bundle), conmonPidFile(rec.bundle), ...MONITOR_FILES.map((f) => path.join(rec.bundle, f))];
    for (const f of leftovers) await fs.rm(f, { force: true });
    const rootfs = rootfsOf(rec);
    try {
      const mounts = await t.time('prepareRootfs', () => ctx.images.prepareRootfs(rec.id, rec.imageId));
      // Unmounted at exit, unless that failed: never a second overlay stacked on the first.
      await unmountAll(rootfs);
      await t.time('mount', () => mountRootfs(mounts, rootfs));
      const started = await t.time('conmonCreate', () => startConmon(conmonOptions(ctx, rec, sandbox, options)));
      Object.assign(rec, { state: 'CONTAINER_CREATED', pid: started.pid, conmonPid: started.conmonPid, startedAt: 0, finishedAt: 0, exitCode: 0, reason: '', message: '' });
    } catch (e) {
      await ctx.oci.delete(rec.id).catch(() => undefined);
      await unmountAll(rootfs).catch(() => undefined);
      throw e;
    }
    await t.time('record', () => saveContainer(ctx, rec));
  });
  ctx.logger.debug({ container: rec.id, ms: t.done() }, 'container created again');
  await startContainer(ctx, rec.id);
}
