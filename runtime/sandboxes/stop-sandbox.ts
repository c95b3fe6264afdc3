// StopPodSandbox: stop every container of the sandbox (forcibly, as containerd does: the
// kubelet has already given them their grace period), then tear the network down. Idempotent:
// CNI DEL and netns removal succeed when there is nothing left.
import { RuntimeError } from '../cri.js';
import { stopContainer } from '../containers/stop-container.js';
import { deleteNetns, isNetnsMounted, netnsExists } from '../network/netns.js';
import { resolveId, saveSandbox, withLock, type RuntimeContext, type SandboxRecord } from '../runtime-context.js';

export function getSandbox(ctx: RuntimeContext, idOrPrefix: string): SandboxRecord {
  const id = resolveId(ctx.sandboxes, idOrPrefix);
  const rec = id ? ctx.sandboxes.get(id) : undefined;
  if (!rec) throw new RuntimeError('NotFound', `pod sandbox ${idOrPrefix} not found`);
  return rec;
}

export async function teardownNetwork(ctx: RuntimeContext, rec: SandboxRecord): Promise<void> {
  if (!rec.netnsName || !rec.netnsPath) return;
  // A namespace whose creation was cut short has no network to take down, only its file.
  if (netnsExists(rec.netnsName) && isNetnsMounted(rec.netnsPath)) {
    await ctx.networkFor(rec.network).del({ containerId: rec.id, netns: rec.netnsPath, portMappings: rec.config.portMappings }, rec.cniResult);
  }
  await deleteNetns(rec.netnsName);
}

export async function stopPodSandbox(ctx: RuntimeContext, idOrPrefix: string): Promise<void> {
  const rec = getSandbox(ctx, idOrPrefix);
  for (const c of [...ctx.containers.values()]) {
    if (c.sandboxId === rec.id) await stopContainer(ctx, c.id, 0);
  }
  await withLock(ctx, rec.id, async () => {
    await teardownNetwork(ctx, rec);
    if (rec.state !== 'SANDBOX_NOTREADY') {
      rec.state = 'SANDBOX_NOTREADY';
      await saveSandbox(ctx, rec);
    }
  });
}
