// RemoveContainer: kill it if it still runs, then take away everything it had: the OCI
// runtime's state (and with it the container cgroup), any conmon left, the rootfs mount and
// snapshot, the bundle, the exit file and its logs. Removing an unknown container succeeds.
import fs from 'node:fs/promises';
import path from 'node:path';
import { killConmon } from '../oci/conmon.js';
import { removeCgroupTree } from '../oci/cgroups.js';
import { logFiles } from '../logs/cri-log.js';
import { unmountAll } from '../oci/mount.js';
import { resolveId, withLock, type RuntimeContext } from '../runtime-context.js';
import { exitFile, rootfsOf } from './container-state.js';
import { stopContainer } from './stop-container.js';

export async function removeContainer(ctx: RuntimeContext, idOrPrefix: string): Promise<void> {
  const id = resolveId(ctx.containers, idOrPrefix);
  const rec = id ? ctx.containers.get(id) : undefined;
  if (!rec) return;
  await stopContainer(ctx, rec.id, 0);
  await withLock(ctx, rec.id, async () => {
    await ctx.oci.delete(rec.id);
    await killConmon(rec.conmonPid);
    const busy = await removeCgroupTree(rec.cgroupsPath);
    if (busy.length) ctx.logger.warn({ container: rec.id, busy }, 'container cgroup still busy');
    await unmountAll(rootfsOf(rec));
    await ctx.images.removeRootfs(rec.id);
    for (const f of await logFiles(rec.logPath)) await fs.rm(f, { force: true });
    await fs.rmdir(path.dirname(rec.logPath)).catch(() => undefined);
    await fs.rm(exitFile(ctx, rec.id), { force: true });
    await fs.rm(rec.bundle, { recursive: true, force: true });
    ctx.containers.delete(rec.id);
  });
}
