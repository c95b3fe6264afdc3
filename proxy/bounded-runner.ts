// kube-proxy's BoundedFrequencyRunner, cut to what the proxy needs: run() asks for a sync;
// syncs never overlap, and two start at least `minIntervalMs` apart, so a burst of changes
// (a Deployment's rollout, a relist) is coalesced into one sync instead of one per event. An
// isolated change is applied at once. A failed sync is tried again after `retryMs`.
export interface BoundedRunnerOptions {
  minIntervalMs: number;
  retryMs?: number;
  /** Injectable for tests. */
  now?: () => number;
}

export class BoundedRunner {
  readonly #fn: () => Promise<void>;
  readonly #min: number;
  readonly #retry: number;
  readonly #now: () => number;
  #lastStart = -Infinity;
  #running: Promise<void> | undefined;
  #pending = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(fn: () => Promise<void>, o: BoundedRunnerOptions) {
    this.#fn = fn;
    this.#min = o.minIntervalMs;
    this.#retry = o.retryMs ?? Math.max(o.minIntervalMs, 1000);
    this.#now = o.now ?? Date.now;
  }

  /** Asks for a sync: now if allowed, else as soon as the interval allows. */
  run(): void {
    if (this.#stopped) return;
    this.#pending = true;
    if (this.#running) return; // picked up when the one in flight ends
    this.#schedule(Math.max(0, this.#lastStart + this.#min - this.#now()));
  }

  /** Resolves when no sync is in flight or pending (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#running || (this.#pending && !this.#stopped)) await (this.#running ?? new Promise((r) => setTimeout(r, 10)));
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = false;
  }

  #schedule(delayMs: number): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#tick();
    }, delayMs);
  }

  async #tick(): Promise<void> {
    if (this.#stopped || !this.#pending) return;
    this.#pending = false;
    this.#lastStart = this.#now();
    let failed = false;
    this.#running = this.#fn().catch(() => {
      failed = true;
    });
    await this.#running;
    this.#running = undefined;
    if (this.#stopped) return;
    if (failed) this.#pending = true;
    if (this.#pending) this.#schedule(Math.max(failed ? this.#retry : 0, this.#lastStart + this.#min - this.#now()));
  }
}
