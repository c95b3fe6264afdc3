// Per-step timings of one CRI call, in a file of their own so network/cni.ts can take them
// without importing runtime-context.ts, which imports cni.ts.
/**
 * How long each step of one CRI call took (ms), logged at debug level with the call's result:
 * where a pod's start time goes. Steps that run side by side are each timed on their own.
 */
export class StepTimes {
  readonly ms: Record<string, number> = {};
  readonly #t0 = performance.now();

  async time<T>(step: string, fn: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      this.ms[step] = Math.round((performance.now() - t) * 10) / 10;
    }
  }

  /** Records the whole call's time under "total" and returns the timings. */
  done(): Record<string, number> {
    this.ms.total = Math.round((performance.now() - this.#t0) * 10) / 10;
    return this.ms;
  }
}
