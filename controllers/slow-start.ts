// kube-controller-manager's slowStartBatch: run `count` calls in batches of 1, 2, 4, ... (each
// batch at once, the next after it), stopping after the first batch with an error. A create
// that fails for every pod (quota, a forbidden template) thus costs a few calls, not hundreds.

export interface SlowStartResult {
  /** Calls that succeeded. */
  successes: number;
  /** The first error of the batch that stopped it. */
  error?: unknown;
}

export async function slowStartBatch(count: number, initialBatchSize: number, fn: (index: number) => Promise<void>): Promise<SlowStartResult> {
  let successes = 0;
  let started = 0;
  for (let size = Math.min(count, initialBatchSize); size > 0; size = Math.min(2 * size, count - started)) {
    const results = await Promise.allSettled(Array.from({ length: size }, (_, i) => fn(started + i)));
    started += size;
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += size - failed.length;
    if (failed.length > 0) return { successes, error: failed[0]?.reason };
  }
  return { successes };
}
