// The controllers' work queue, as client-go's workqueue: a key is queued at most once however
// often it is added (one added while it is being synced is synced once more after), one
// worker handles one key at a time, and a key whose sync failed comes
// back after a capped exponential backoff (reset by a sync that succeeds). Handlers only add
// keys; what a key means is read from the informers' caches when its turn comes.
import { exponentialBackoffMs } from '../client/backoff.js';

export interface WorkQueueOptions {
  /** Handles one key; a throw requeues it with backoff. */
  sync(key: string): Promise<void>;
  onError?(key: string, err: unknown): void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export class WorkQueue {
  readonly #o: WorkQueueOptions;
  readonly #queued = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #working?: Promise<void>;
  #stopped = false;

  constructor(o: WorkQueueOptions) {
    this.#o = o;
  }

  add(key: string): void {
    if (this.#stopped) return;
    this.#queued.add(key);
    this.#working ??= this.#drain().finally(() => (this.#working = undefined));
  }

  /** Resolves once nothing is queued or being synced (retries waiting on their backoff aside). */
  async idle(): Promise<void> {
    while (this.#working) await this.#working;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#queued.clear();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await this.idle();
  }

  async #drain(): Promise<void> {
    for (let key = this.#next(); key !== undefined && !this.#stopped; key = this.#next()) {
      try {
        await this.#o.sync(key);
        this.#failures.delete(key);
      } catch (err) {
        this.#o.onError?.(key, err);
        const failures = (this.#failures.get(key) ?? 0) + 1;
        this.#failures.set(key, failures);
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          this.add(key);
        }, exponentialBackoffMs(failures, this.#o.initialBackoffMs ?? 5, this.#o.maxBackoffMs ?? 1000 * 1000));
        this.#timers.add(timer);
      }
    }
  }

  #next(): string | undefined {
    const [key] = this.#queued;
    if (key !== undefined) this.#queued.delete(key);
    return key;
  }
}
