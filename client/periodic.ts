// The one rule for work the node agent repeats through the API server on a period (its Lease
// renewed, its own kube-dns EndpointSlice put back): run at once, then every period, in the
// background (the timer never holds the process open); a failure goes to onError and the next
// period tries again; a run still going when the period comes round is not doubled.
export class Periodic {
  readonly #task: () => Promise<unknown>;
  readonly #intervalMs: number;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(task: () => Promise<unknown>, intervalMs: number, onError: (err: unknown) => void = () => {}) {
    this.#task = task;
    this.#intervalMs = intervalMs;
    this.#onError = onError;
  }

  start(): void {
    if (this.#timer) return;
    const tick = () => {
      if (this.#running) return;
      this.#running = true;
      this.#task()
        .catch((e: unknown) => this.#onError(e))
        .finally(() => (this.#running = false));
    };
    tick();
    this.#timer = setInterval(tick, this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
