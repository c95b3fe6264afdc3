// Not CRI's: a stopped sandbox made ready again, for the docker-style `skiff cri start` only.
// CRI never restarts a sandbox (the kubelet runs a new one), but docker keeps a container's
// identity across exit and start, and `skiff cri run` gives each container a sandbox of its
// own, so `start` brings that sandbox's network back: the same pinned namespace name, CNI ADD
// with the same port mappings (the pod may get another IP, as a docker container may).
import path from 'node:path';
import { RuntimeError } from '../cri.js';
import { saveSandbox, withLock, type RuntimeContext } from '../runtime-context.js';
import { StepTimes } from '../step-times.js';
import { connectNetwork, disconnectNetwork } from './run-sandbox.js';
import { getSandbox } from './stop-sandbox.js';

export async function restartPodSandbox(ctx: RuntimeContext, idOrPrefix: string): Promise<void> {
  const rec = getSandbox(ctx, idOrPrefix);
  const t = new StepTimes();
  await withLock(ctx, rec.id, async () => {
    if (rec.state === 'SANDBOX_READY') return;
    for (const c of ctx.containers.values()) {
      if (c.sandboxId === rec.id && c.state !== 'CONTAINER_EXITED') throw new RuntimeError('FailedPrecondition', `pod sandbox ${rec.id} still has container ${c.id} (${c.state})`);
    }
    try {
      await connectNetwork(ctx, rec, path.join(ctx.dirs.sandboxes, rec.id), t);
    } catch (e) {
      await disconnectNetwork(ctx, rec);
      throw e;
    }
    rec.state = 'SANDBOX_READY';
    await t.time('recordReady', () => saveSandbox(ctx, rec));
  });
  ctx.logger.debug({ sandbox: rec.id, ip: rec.ip, ms: t.done() }, 'sandbox ready again');
}
