// StartContainer: the created container's process is released (`<runtime> start`).
import { RuntimeError } from '../cri.js';
import { nowNs, saveContainer, withLock, type RuntimeContext } from '../runtime-context.js';
import { StepTimes } from '../step-times.js';
import { getContainer, refreshContainer } from './container-state.js';

export async function startContainer(ctx: RuntimeContext, idOrPrefix: string): Promise<void> {
  const rec = getContainer(ctx, idOrPrefix);
  const t = new StepTimes();
  await withLock(ctx, rec.id, async () => {
    await t.time('refresh', () => refreshContainer(ctx, rec));
    if (rec.state !== 'CONTAINER_CREATED') throw new RuntimeError('FailedPrecondition', `container ${rec.id} is ${rec.state}, not CONTAINER_CREATED`);
    // The process may finish before `start` returns; the instant before is the honest start time.
    const startedAt = nowNs();
    try {
      await t.time('ociStart', () => ctx.oci.start(rec.id));
    } catch (e) {
      rec.message = (e as Error).message;
      await saveContainer(ctx, rec);
      throw e;
    }
    rec.startedAt = startedAt;
    rec.state = 'CONTAINER_RUNNING';
    await t.time('record', () => saveContainer(ctx, rec));
  });
  ctx.logger.debug({ container: rec.id, ms: t.done() }, 'container started');
}
