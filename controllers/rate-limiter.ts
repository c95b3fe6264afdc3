// How long a requeued key waits, as client-go's workqueue rate limiters: a per-key exponential
// backoff (a key that keeps failing waits longer each time, until forget), an overall token
// bucket (all keys together never come back faster than qps, after a burst), and the larger of
// the two (DefaultControllerRateLimiter: 5 ms doubling to 1000 s, and 10 qps with a burst of 100).
import { exponentialBackoffMs } from '../client/backoff.js';

export interface RateLimiter {
  /** The wait before `key` comes back; each call counts as one more requeue. */
  when(key: string): number;
  /** The key succeeded: its backoff starts over. */
  forget(key: string): void;
  numRequeues(key: string): number;
}

/** 5 ms, 10 ms, 20 ms, ... up to `maxMs` per key, reset by forget. */
export class ItemExponentialRateLimiter implements RateLimiter {
  readonly #failures = new Map<string, number>();
  readonly #baseMs: number;
  readonly #maxMs: number;

  constructor(baseMs = 5, maxMs = 1000 * 1000) {
    this.#baseMs = baseMs;
    this.#maxMs = maxMs;
  }

  when(key: string): number {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    return exponentialBackoffMs(failures, this.#baseMs, this.#maxMs);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/**
 * A token bucket over every key (golang.org/x/time/rate's Reserve): `burst` tokens, refilled at
 * `qps`; a requeue takes one, and when none is left it waits until its token will have come.
 */
export class BucketRateLimiter implements RateLimiter {
  readonly #qps: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(qps = 10, burst = 100, now: () => number = Date.now) {
    this.#qps = qps;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  when(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#qps) / 1000);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.#qps) * 1000;
  }

  forget(): void {}

  numRequeues(): number {
    return 0;
  }
}

/** The longest wait of several limiters; every one counts the requeue. */
export class MaxOfRateLimiter implements RateLimiter {
  readonly #limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }

  when(key: string): number {
    return Math.max(0, ...this.#limiters.map((l) => l.when(key)));
  }

  forget(key: string): void {
    for (const l of this.#limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    return Math.max(0, ...this.#limiters.map((l) => l.numRequeues(key)));
  }
}

/** client-go's DefaultControllerRateLimiter. */
export function defaultControllerRateLimiter(o: { baseMs?: number; maxMs?: number; qps?: number; burst?: number; now?: () => number } = {}): RateLimiter {
  return new MaxOfRateLimiter(new ItemExponentialRateLimiter(o.baseMs ?? 5, o.maxMs ?? 1000 * 1000), new BucketRateLimiter(o.qps ?? 10, o.burst ?? 100, o.now));
}
