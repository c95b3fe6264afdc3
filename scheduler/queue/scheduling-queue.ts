// Kubernetes' PriorityQueue: pods waiting to be scheduled.
// - activeQ: ready to try now, highest priority first, then oldest.
// - backoffQ: failed recently; each waits initial * 2^(attempts-1) (1 s doubling to 10 s).
// - unschedulable: no node fits; they wait for a cluster event that could change that (node
//   added or changed, pod deleted) instead of being retried in a loop, and are flushed
//   anyway after a long while in case an event was missed.
// A move that happens while a pod is being scheduled sends that pod, if it fails, to backoff
// rather than to unschedulable: the event might have been the one it was waiting for.
import type { Pod } from '../../api/types/core.js';
import { exponentialBackoffMs } from '../../client/backoff.js';
import { podKey } from '../framework/node-info.js';
import { KeyedHeap } from './heap.js';

export interface QueuedPodInfo {
  pod: Pod;
  key: string;
  /** When it last entered the queue: the "age" half of the order. */
  timestamp: number;
  /** When it was first added; the created-to-scheduled latency starts here. */
  initialAttemptTimestamp: number;
  attempts: number;
  /** When the last attempt failed; backoff counts from here. */
  lastFailure?: number;
  /** The plugins that rejected it last time (recorded for the explain record). */
  unschedulablePlugins: Set<string>;
}

export interface QueueOptions {
  now?: () => number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Unschedulable pods are retried after this long even without an event (Kubernetes: 5 min). */
  maxInUnschedulableMs?: number;
}

export type ClusterEvent = 'NodeAdd' | 'NodeUpdate' | 'PodDelete' | 'AssignedPodUpdate' | 'Flush';

const priorityOf = (q: QueuedPodInfo) => q.pod.spec.priority ?? 0;

export class SchedulingQueue {
  readonly #now: () => number;
  readonly #initialBackoff: number;
  readonly #maxBackoff: number;
  readonly #maxInUnschedulable: number;
  readonly #active = new KeyedHeap<QueuedPodInfo>(
    (q) => q.key,
    (a, b) => priorityOf(a) > priorityOf(b) || (priorityOf(a) === priorityOf(b) && a.timestamp < b.timestamp),
  );
  readonly #backoff = new KeyedHeap<QueuedPodInfo>(
    (q) => q.key,
    (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b),
  );
  readonly #unschedulable = new Map<string, QueuedPodInfo>();
  /** Popped and not yet requeued or done: updates and deletes land here meanwhile. */
  readonly #inFlight = new Map<string, { qpi: QueuedPodInfo; updated: boolean; deleted: boolean }>();
  #schedulingCycle = 0;
  #moveRequestCycle = -1;
  #waiters: (() => void)[] = [];
  #closed = false;

  constructor(options: QueueOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#initialBackoff = options.initialBackoffMs ?? 1000;
    this.#maxBackoff = options.maxBackoffMs ?? 10_000;
    this.#maxInUnschedulable = options.maxInUnschedulableMs ?? 5 * 60_000;
  }

  get schedulingCycle(): number {
    return this.#schedulingCycle;
  }

  lengths(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.#active.size, backoff: this.#backoff.size, unschedulable: this.#unschedulable.size, inFlight: this.#inFlight.size };
  }

  /** Where a pod is, for tests and the explain endpoint. */
  whereIs(pod: Pod): 'active' | 'backoff' | 'unschedulable' | 'inFlight' | undefined {
    const key = podKey(pod);
    if (this.#active.has(key)) return 'active';
    if (this.#backoff.has(key)) return 'backoff';
    if (this.#unschedulable.has(key)) return 'unschedulable';
    if (this.#inFlight.has(key)) return 'inFlight';
    return undefined;
  }

  backoffDuration(q: QueuedPodInfo): number {
    return exponentialBackoffMs(q.attempts, this.#initialBackoff, this.#maxBackoff);
  }

  backoffExpiry(q: QueuedPodInfo): number {
    return (q.lastFailure ?? q.timestamp) + this.backoffDuration(q);
  }

  #isBackingOff(q: QueuedPodInfo): boolean {
    return q.lastFailure !== undefined && this.backoffExpiry(q) > this.#now();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  #toActive(q: QueuedPodInfo): void {
    q.timestamp = this.#now();
    this.#active.push(q);
    this.#wake();
  }

  /** A new pending pod. */
  add(pod: Pod): void {
    const key = podKey(pod);
    if (this.#inFlight.has(key)) return this.update(pod);
    if (this.#isQueued(key)) return this.update(pod);
    const now = this.#now();
    this.#toActive({ pod, key, timestamp: now, initialAttemptTimestamp: now, attempts: 0, unschedulablePlugins: new Set() });
  }

  /** A pending pod changed: wherever it waits, it waits with the new object; an unschedulable one gets another try. */
  update(pod: Pod): void {
    const key = podKey(pod);
    const flight = this.#inFlight.get(key);
    if (flight) {
      flight.qpi.pod = pod;
      flight.updated = true;
      return;
    }
    const inActive = this.#active.get(key);
    if (inActive) {
      inActive.pod = pod;
      this.#active.push(inActive);
      return;
    }
    const inBackoff = this.#backoff.get(key);
    if (inBackoff) {
      inBackoff.pod = pod;
      this.#backoff.push(inBackoff);
      return;
    }
    const unsched = this.#unschedulable.get(key);
    if (unsched) {
      this.#unschedulable.delete(key);
      unsched.pod = pod;
      if (this.#isBackingOff(unsched)) this.#backoff.push(unsched);
      else this.#toActive(unsched);
      return;
    }
    this.add(pod);
  }

  delete(pod: Pod): void {
    const key = podKey(pod);
    const flight = this.#inFlight.get(key);
    if (flight) flight.deleted = true;
    this.#active.delete(key);
    this.#backoff.delete(key);
    this.#unschedulable.delete(key);
  }

  /** The next pod to schedule; waits until there is one. Undefined once closed or aborted. */
  async pop(signal?: AbortSignal): Promise<QueuedPodInfo | undefined> {
    for (;;) {
      if (this.#closed || signal?.aborted) return undefined;
      const q = this.#active.pop();
      if (q) {
        q.attempts++;
        this.#schedulingCycle++;
        this.#inFlight.set(q.key, { qpi: q, updated: false, deleted: false });
        return q;
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  /** The pod left the scheduling cycle (bound, or requeued by one of the methods below). */
  done(key: string): void {
    this.#inFlight.delete(key);
  }

  /**
   * A failed attempt: the pod waits in unschedulable for an event, or in backoff when an
   * event came while it was being scheduled (or it was updated meanwhile).
   */
  addUnschedulableIfNotPresent(q: QueuedPodInfo, podSchedulingCycle: number, unschedulablePlugins: Iterable<string> = []): void {
    const failed = this.#leaveCycleFailed(q);
    if (!failed) return;
    q.unschedulablePlugins = new Set(unschedulablePlugins);
    if (this.#moveRequestCycle >= podSchedulingCycle || failed.updated) this.#backoff.push(q);
    else this.#unschedulable.set(q.key, q);
  }

  /** An error (not a "does not fit"): retry after the backoff, no event needed. */
  requeueWithBackoff(q: QueuedPodInfo): void {
    if (this.#leaveCycleFailed(q)) this.#backoff.push(q);
  }

  /**
   * The one rule for a failed attempt leaving the cycle: nothing to requeue when the pod was
   * deleted meanwhile or is queued already; otherwise the failure time is stamped and the
   * caller learns whether the pod was updated while in flight.
   */
  #leaveCycleFailed(q: QueuedPodInfo): { updated: boolean } | undefined {
    const flight = this.#inFlight.get(q.key);
    this.#inFlight.delete(q.key);
    if (flight?.deleted || this.#isQueued(q.key)) return undefined;
    q.lastFailure = this.#now();
    q.timestamp = q.lastFailure;
    return { updated: flight?.updated === true };
  }

  #isQueued(key: string): boolean {
    return this.#active.has(key) || this.#backoff.has(key) || this.#unschedulable.has(key);
  }

  /** A cluster event that may let unschedulable pods fit: move them all to active (or backoff). */
  moveAllToActiveOrBackoff(_event: ClusterEvent): void {
    for (const q of this.#unschedulable.values()) {
      if (this.#isBackingOff(q)) this.#backoff.push(q);
      else this.#toActive(q);
    }
    this.#unschedulable.clear();
    this.#moveRequestCycle = this.#schedulingCycle;
  }

  /** Moves pods whose backoff has expired to active; returns how many moved. */
  flushBackoffCompleted(): number {
    let n = 0;
    const now = this.#now();
    for (let q = this.#backoff.peek(); q && this.backoffExpiry(q) <= now; q = this.#backoff.peek()) {
      this.#backoff.pop();
      this.#toActive(q);
      n++;
    }
    return n;
  }

  /** Unschedulable pods that waited longer than maxInUnschedulable get another try. */
  flushUnschedulableLeftover(): number {
    const now = this.#now();
    let n = 0;
    for (const [key, q] of this.#unschedulable) {
      if (now - (q.lastFailure ?? q.timestamp) > this.#maxInUnschedulable) {
        this.#unschedulable.delete(key);
        if (this.#isBackingOff(q)) this.#backoff.push(q);
        else this.#toActive(q);
        n++;
      }
    }
    return n;
  }

  /** When the soonest backoff ends (for a precise timer), or undefined. */
  nextBackoffExpiry(): number | undefined {
    const q = this.#backoff.peek();
    return q ? this.backoffExpiry(q) : undefined;
  }

  close(): void {
    this.#closed = true;
    this.#wake();
  }
}
