// StopContainer: the stop signal (the container's, else the image's StopSignal, else
// SIGTERM), then SIGKILL once `timeout` seconds have passed; returns when conmon has recorded
// the exit. A timeout of 0 kills at once. Stopping a stopped container is a no-op.
import { RuntimeError } from '../cri.js';
import { withLock, type RuntimeContext } from '../runtime-context.js';
import { getContainer, refreshContainer, waitForExit } from './container-state.js';

const KILL_WAIT_MS = 10_000;

export async function stopContainer(ctx: RuntimeContext, idOrPrefix: string, timeout: number): Promise<void> {
  const rec = getContainer(ctx, idOrPrefix);
  await withLock(ctx, rec.id, async () => {
    await refreshContainer(ctx, rec);
    if (rec.state === 'CONTAINER_EXITED') return;
    if (timeout > 0 && rec.state === 'CONTAINER_RUNNING') {
      const signal = rec.stopSignal || 'SIGTERM';
      await ctx.oci.kill(rec.id, signal);
      if (await waitForExit(ctx, rec, timeout * 1000)) return;
    }
    await ctx.oci.kill(rec.id, 'SIGKILL');
    if (!(await waitForExit(ctx, rec, KILL_WAIT_MS))) {
      throw new RuntimeError('Internal', `container ${rec.id} did not exit ${KILL_WAIT_MS / 1000}s after SIGKILL`);
    }
  });
}
