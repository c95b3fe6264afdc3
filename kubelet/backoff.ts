// Per-key exponential backoff (client-go's flowcontrol.Backoff) for CrashLoopBackOff and
// ImagePullBackOff: the delay starts at `initialMs`, doubles on every failure up to `maxMs`,
// and an entry left alone for twice the maximum (10 min for the 5 min cap) starts over, which
// is how "reset after 10 minutes running" comes about.
import { exponentialBackoffMs } from '../client/backoff.js';
import { systemClock, type Clock } from './clock.js';

interface Entry {
  /** Consecutive failures since the entry (re)started. */
  failures: number;
  delayMs: number;
  lastUpdate: number;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  clock?: Clock;
}

export class Backoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();

  constructor(opts: BackoffOptions) {
    this.#initial = opts.initialMs;
    this.#max = opts.maxMs;
    this.#clock = opts.clock ?? systemClock;
  }

  #expired(e: Entry, at: number): boolean {
    return at - e.lastUpdate > 2 * this.#max;
  }

  /** The current delay for key (0 when none). */
  get(key: string): number {
    return this.#entries.get(key)?.delayMs ?? 0;
  }

  /** Records a failure at `at` (default now): the first one waits initialMs, then doubles. */
  next(key: string, at = this.#clock.now()): number {
    const e = this.#entries.get(key);
    const failures = !e || this.#expired(e, at) ? 1 : e.failures + 1;
    const delayMs = exponentialBackoffMs(failures, this.#initial, this.#max);
    this.#entries.set(key, { failures, delayMs, lastUpdate: at });
    return delayMs;
  }

  /** Whether `at` (default now) is still inside the backoff window that began at `since`. */
  isInBackOffSince(key: string, since: number, at = this.#clock.now()): boolean {
    const e = this.#entries.get(key);
    if (!e || this.#expired(e, at)) return false;
    return at - since < e.delayMs;
  }

  /** Like isInBackOffSince, measured from the last recorded failure. */
  isInBackOffSinceUpdate(key: string, at = this.#clock.now()): boolean {
    const e = this.#entries.get(key);
    if (!e || this.#expired(e, at)) return false;
    return at - e.lastUpdate < e.delayMs;
  }

  reset(key: string): void {
    this.#entries.delete(key);
  }

  /** Forgets entries untouched for twice the maximum, so the map does not grow without end. */
  gc(at = this.#clock.now()): void {
    for (const [k, e] of this.#entries) if (this.#expired(e, at)) this.#entries.delete(k);
  }

  /** Forgets every key with this prefix (a pod's containers when the pod goes away). */
  forgetPrefix(prefix: string): void {
    for (const k of this.#entries.keys()) if (k.startsWith(prefix)) this.#entries.delete(k);
  }
}

/** Kubernetes' numbers: a crashing container waits 10 s, doubling to 300 s. */
export function crashLoopBackoff(clock?: Clock): Backoff {
  return new Backoff({ initialMs: 10_000, maxMs: 300_000, clock });
}

/** A failing image pull waits 10 s, doubling to 5 min. */
export function imagePullBackoff(clock?: Clock): Backoff {
  return new Backoff({ initialMs: 10_000, maxMs: 300_000, clock });
}
