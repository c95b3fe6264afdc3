// RemovePodSandbox: remove its containers, make sure the network is gone, remove the pod
// cgroup skiff made up, the sandbox directory and (when skiff chose it) the log directory.
// Removing a sandbox that does not exist succeeds, as CRI asks.
import fs from 'node:fs/promises';
import path from 'node:path';
import { removeContainer } from '../containers/remove-container.js';
import { removeCgroupTree } from '../oci/cgroups.js';
import { resolveId, withLock, type RuntimeContext } from '../runtime-context.js';
import { teardownNetwork } from './stop-sandbox.js';

export async function removePodSandbox(ctx: RuntimeContext, idOrPrefix: string): Promise<void> {
  const id = resolveId(ctx.sandboxes, idOrPrefix);
  const rec = id ? ctx.sandboxes.get(id) : undefined;
  if (!rec) return;
  for (const c of [...ctx.containers.values()]) {
    if (c.sandboxId === rec.id) await removeContainer(ctx, c.id);
  }
  await withLock(ctx, rec.id, async () => {
    await teardownNetwork(ctx, rec);
    if (rec.ownCgroup) {
      const busy = await removeCgroupTree(rec.cgroupParent);
      if (busy.length) ctx.logger.warn({ sandbox: rec.id, busy }, 'pod cgroup still in use; left in place');
    }
    if (rec.logDirectory.startsWith(ctx.dirs.logs + path.sep)) await fs.rm(rec.logDirectory, { recursive: true, force: true });
    await fs.rm(path.join(ctx.dirs.sandboxes, rec.id), { recursive: true, force: true });
    ctx.sandboxes.delete(rec.id);
  });
}
