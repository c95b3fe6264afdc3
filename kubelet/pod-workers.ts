// One worker per pod (Kubernetes' pod_workers): at most one sync in flight for a pod; while
// it runs, a newer desired state replaces the pending one, but a pending kill is never
// overwritten by a sync, and once a pod is being killed it is never synced again. A sync may
// ask to be run again after a delay (a container in backoff), which the worker schedules.
import type { Pod } from '../api/types/core.js';

export type UpdateType = 'sync' | 'kill';

export interface PodUpdate {
  type: UpdateType;
  pod: Pod;
  /** For kills: overrides the pod's grace period (0 = at once). */
  gracePeriodSeconds?: number;
}

export interface SyncResult {
  /** Run this pod's sync again after this long unless something else wakes it first. */
  requeueAfterMs?: number;
}

export type SyncFn = (update: PodUpdate) => Promise<SyncResult | void>;

export interface Timers {
  set(fn: () => void, ms: number): () => void;
}

const realTimers: Timers = {
  set(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

interface Worker {
  running: boolean;
  pending?: PodUpdate;
  last: PodUpdate;
  killing: boolean;
  cancelRequeue?: () => void;
  /** Resolves when the worker goes idle. */
  idle?: Promise<void>;
  resolveIdle?: () => void;
}

export interface PodWorkersOptions {
  sync: SyncFn;
  onError?: (update: PodUpdate, err: unknown) => void;
  timers?: Timers;
}

function uidOf(p: Pod): string {
  return p.metadata.uid ?? `${p.metadata.namespace}/${p.metadata.name}`;
}

/** Of two kills, the shorter grace period wins (a user may hurry a deletion, never slow it). */
function mergeKill(a: PodUpdate, b: PodUpdate): PodUpdate {
  const ga = a.gracePeriodSeconds;
  const gb = b.gracePeriodSeconds;
  const grace = ga === undefined ? gb : gb === undefined ? ga : Math.min(ga, gb);
  return { ...b, ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}) };
}

export class PodWorkers {
  readonly #sync: SyncFn;
  readonly #onError: PodWorkersOptions['onError'];
  readonly #timers: Timers;
  readonly #workers = new Map<string, Worker>();
  #stopped = false;

  constructor(opts: PodWorkersOptions) {
    this.#sync = opts.sync;
    this.#onError = opts.onError;
    this.#timers = opts.timers ?? realTimers;
  }

  /** Asks for a sync (or kill) of a pod; returns at once. */
  update(u: PodUpdate): void {
    if (this.#stopped) return;
    const uid = uidOf(u.pod);
    let w = this.#workers.get(uid);
    if (!w) {
      w = { running: false, last: u, killing: false };
      this.#workers.set(uid, w);
    }
    if (w.killing && u.type === 'sync') return;
    if (u.type === 'kill') {
      const prior = w.pending?.type === 'kill' ? w.pending : w.killing && w.last.type === 'kill' ? w.last : undefined;
      u = prior ? mergeKill(prior, u) : u;
      w.killing = true;
    }
    if (w.pending?.type === 'kill' && u.type !== 'kill') return;
    w.cancelRequeue?.();
    w.cancelRequeue = undefined;
    w.pending = u;
    if (!w.running) void this.#run(uid, w);
  }

  async #run(uid: string, w: Worker): Promise<void> {
    w.running = true;
    w.idle ??= new Promise((r) => (w.resolveIdle = r));
    while (w.pending) {
      const u = w.pending;
      w.pending = undefined;
      w.last = u;
      try {
        const res = await this.#sync(u);
        if (res?.requeueAfterMs !== undefined && !w.pending && this.#workers.get(uid) === w) {
          w.cancelRequeue = this.#timers.set(() => {
            w.cancelRequeue = undefined;
            if (this.#workers.get(uid) === w && !w.killing) this.update({ type: 'sync', pod: w.last.pod });
          }, res.requeueAfterMs);
        }
      } catch (e) {
        this.#onError?.(u, e);
      }
    }
    w.running = false;
    w.resolveIdle?.();
    w.idle = undefined;
    w.resolveIdle = undefined;
  }

  isWorking(uid: string): boolean {
    return this.#workers.get(uid)?.running ?? false;
  }

  isKilling(uid: string): boolean {
    return this.#workers.get(uid)?.killing ?? false;
  }

  knownPods(): string[] {
    return [...this.#workers.keys()];
  }

  /** Drops a pod's worker (after it was killed and removed); a later update starts afresh. */
  forget(uid: string): void {
    const w = this.#workers.get(uid);
    w?.cancelRequeue?.();
    this.#workers.delete(uid);
  }

  /** Resolves when no worker has a sync running or pending (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.#workers.values()].map((w) => w.idle).filter((p): p is Promise<void> => p !== undefined);
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  /** No new syncs from now on; syncs in flight finish (await idle()), pending ones are dropped. */
  stop(): void {
    this.#stopped = true;
    for (const w of this.#workers.values()) {
      w.cancelRequeue?.();
      w.pending = undefined;
    }
  }
}
