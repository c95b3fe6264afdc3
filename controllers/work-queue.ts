// The controllers' work queue, as client-go's workqueue: a key is queued at most once however
// often it is added; `workers` keys are synced at once but one key never by two workers (a key
// added while it is being synced is synced once more after); a key whose sync failed comes back
// after the rate limiter's wait (per key 5 ms doubling to 1000 s, and 10 qps with a burst of 100
// over all keys, as DefaultControllerRateLimiter), and a sync that succeeds forgets its backoff.
// Handlers only add keys; what a key means is read from the informers' caches when its turn comes.
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

export interface WorkQueueOptions {
  /** Handles one key; a throw requeues it rate-limited, a return forgets its backoff. */
  sync(key: string): Promise<void>;
  onError?(key: string, err: unknown): void;
  /** Keys synced at once (kube-controller-manager's --concurrent-*-syncs); default 1. */
  workers?: number;
  /** Default: client-go's DefaultControllerRateLimiter, its per-key part from the two below. */
  rateLimiter?: RateLimiter;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export class WorkQueue {
  readonly #o: WorkQueueOptions;
  readonly #limiter: RateLimiter;
  readonly #workers: number;
  /** Keys waiting for a worker, in order; `#dirty` holds them too, plus those to sync again. */
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  /** addAfter's timers, one per key: the earliest wins. */
  readonly #waiting = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  #running = 0;
  #idleWaiters: (() => void)[] = [];
  #stopped = false;

  constructor(o: WorkQueueOptions) {
    this.#o = o;
    this.#workers = Math.max(1, o.workers ?? 1);
    this.#limiter = o.rateLimiter ?? defaultControllerRateLimiter({ baseMs: o.initialBackoffMs, maxMs: o.maxBackoffMs });
  }

  add(key: string): void {
    if (this.#stopped || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    // Being synced: done() queues it again when that sync ends.
    if (this.#processing.has(key)) return;
    this.#queue.push(key);
    this.#startWorkers();
  }

  /** Adds `key` after `ms`; a key already waiting keeps the earlier of the two times. */
  addAfter(key: string, ms: number): void {
    if (this.#stopped) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const existing = this.#waiting.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, ms);
    this.#waiting.set(key, { at, timer });
  }

  /** Adds `key` once the rate limiter allows it (its backoff grows until forget). */
  addRateLimited(key: string): void {
    this.addAfter(key, this.#limiter.when(key));
  }

  /** The key is done with failing: its backoff starts over. */
  forget(key: string): void {
    this.#limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiter.numRequeues(key);
  }

  /** Keys waiting for a worker (not those being synced or waiting on a timer). */
  get length(): number {
    return this.#queue.length;
  }

  /** Resolves once nothing is queued or being synced (keys waiting on a timer aside). */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Takes no more keys, drops those queued or waiting, and resolves when the syncs in flight end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#queue.length = 0;
    this.#dirty.clear();
    for (const { timer } of this.#waiting.values()) clearTimeout(timer);
    this.#waiting.clear();
    await this.idle();
  }

  #startWorkers(): void {
    while (this.#running < this.#workers && this.#queue.length > 0) {
      this.#running++;
      void this.#work();
    }
  }

  async #work(): Promise<void> {
    // Takes its first key before the first await, so an add is picked up at once.
    for (let key = this.#next(); key !== undefined; key = this.#next()) {
      try {
        await this.#o.sync(key);
        this.#limiter.forget(key);
      } catch (err) {
        this.#o.onError?.(key, err);
        this.addRateLimited(key);
      } finally {
        this.#done(key);
      }
    }
    this.#running--;
    if (this.#running === 0 && this.#queue.length === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  #next(): string | undefined {
    if (this.#stopped) return undefined;
    const key = this.#queue.shift();
    if (key === undefined) return undefined;
    this.#dirty.delete(key);
    this.#processing.add(key);
    return key;
  }

  #done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) this.#queue.push(key);
  }
}
