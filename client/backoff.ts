// The one capped exponential backoff of the control loops (informer reconnects, the
// scheduler's pod backoff, the kubelet's status retries), as client-go's: the first failure
// waits `initialMs`, each further one doubles it, never past `maxMs`.

/** The wait after `failures` consecutive failures (0 when there were none). */
export function exponentialBackoffMs(failures: number, initialMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, initialMs * 2 ** (failures - 1));
}
