// Publishes each pod's status to the API server (Kubernetes' status manager): the sync
// records the status it wants and returns; writes go out per pod in the background, only
// when the status changed, the newest status wins, and a failed write is retried with
// backoff. Pods never wait on each other: each has its own write in flight.
import type { Pod, PodStatus } from '../../api/types/core.js';
import { exponentialBackoffMs } from '../../client/backoff.js';

export interface PodStatusWriter {
  /** PUT/PATCH pods/<name>/status; returns the pod as stored. */
  writeStatus(namespace: string, name: string, uid: string, status: PodStatus): Promise<Pod | void>;
}

interface Entry {
  namespace: string;
  name: string;
  /** Last status written successfully (as JSON, for comparison). */
  written?: string;
  status: PodStatus;
  inflight: boolean;
  failures: number;
  retry?: NodeJS.Timeout;
  /** Callers waiting for the next write attempt that covers what they set. */
  waiters: (() => void)[];
}

export interface StatusManagerOptions {
  writer: PodStatusWriter;
  onError?: (pod: { namespace: string; name: string }, err: unknown) => void;
  /** First retry delay after a failed write (default 500 ms), doubled per failure up to retryMaxMs (default 10 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/** The comparison ignores lastProbeTime, which says nothing about the pod. */
function canonical(s: PodStatus): string {
  return JSON.stringify({ ...s, conditions: s.conditions?.map(({ lastProbeTime: _p, ...c }) => c) });
}

export class StatusManager {
  readonly #writer: PodStatusWriter;
  readonly #onError: StatusManagerOptions['onError'];
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #pods = new Map<string, Entry>();

  constructor(opts: StatusManagerOptions) {
    this.#writer = opts.writer;
    this.#onError = opts.onError;
    this.#retryBaseMs = opts.retryBaseMs ?? 500;
    this.#retryMaxMs = opts.retryMaxMs ?? 10_000;
  }

  /** The status last set for a pod (the kubelet's own view, ahead of the API server). */
  get(uid: string): PodStatus | undefined {
    return this.#pods.get(uid)?.status;
  }

  /** Records the status the API server already has (pods seen at start-up), so it is not rewritten. */
  seed(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    if (!pod.status || this.#pods.has(uid)) return;
    this.#pods.set(uid, { ...names(pod), status: pod.status, written: canonical(pod.status), inflight: false, failures: 0, waiters: [] });
  }

  /**
   * Records the pod's desired status and starts writing it if it differs from the last write.
   * The sync does not wait: the promise (for tests and the final write before a delete)
   * settles after the next write attempt that carries this status, or at once if unchanged.
   */
  setPodStatus(pod: Pod, status: PodStatus): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    let e = this.#pods.get(uid);
    if (!e) {
      e = { ...names(pod), status, inflight: false, failures: 0, waiters: [] };
      this.#pods.set(uid, e);
    }
    e.status = status;
    return this.#request(uid, e);
  }

  /** Settles after the pod's pending status (if any) has had one write attempt, without waiting out a backoff. */
  flush(uid: string): Promise<void> {
    const e = this.#pods.get(uid);
    return e ? this.#request(uid, e) : Promise.resolve();
  }

  /** Drops the pod: a pending write or retry is abandoned. */
  forget(uid: string): void {
    const e = this.#pods.get(uid);
    if (!e) return;
    this.#pods.delete(uid);
    if (e.retry) clearTimeout(e.retry);
    for (const w of e.waiters.splice(0)) w();
  }

  /** The kubelet stops: retries are dropped (writes in flight finish on their own). */
  stop(): void {
    for (const uid of [...this.#pods.keys()]) this.forget(uid);
  }

  #request(uid: string, e: Entry): Promise<void> {
    if (!e.inflight && canonical(e.status) === e.written) return Promise.resolve();
    const done = new Promise<void>((resolve) => e.waiters.push(resolve));
    if (!e.inflight) {
      // A newer status goes out now rather than at the end of an earlier failure's backoff.
      if (e.retry) clearTimeout(e.retry);
      e.retry = undefined;
      this.#write(uid, e);
    }
    return done;
  }

  #write(uid: string, e: Entry): void {
    const snapshot = e.status;
    const want = canonical(snapshot);
    const waiters = e.waiters.splice(0);
    e.inflight = true;
    const finish = (ok: boolean): void => {
      e.inflight = false;
      for (const w of waiters) w();
      if (this.#pods.get(uid) !== e) {
        for (const w of e.waiters.splice(0)) w();
        return;
      }
      if (!ok) {
        // Retried with backoff; a newer status set meanwhile waits for the retry too.
        const delay = exponentialBackoffMs(e.failures, this.#retryBaseMs, this.#retryMaxMs);
        e.retry = setTimeout(() => {
          e.retry = undefined;
          if (this.#pods.get(uid) === e && !e.inflight) this.#write(uid, e);
        }, delay);
        e.retry.unref();
        return;
      }
      // The newest status wins: whatever was set during the write goes out next.
      if (canonical(e.status) !== e.written) this.#write(uid, e);
      else for (const w of e.waiters.splice(0)) w();
    };
    let call: Promise<unknown>;
    try {
      call = this.#writer.writeStatus(e.namespace, e.name, uid, snapshot);
    } catch (err) {
      call = Promise.reject(err);
    }
    call.then(
      () => {
        e.written = want;
        e.failures = 0;
        finish(true);
      },
      (err: unknown) => {
        e.failures++;
        this.#onError?.({ namespace: e.namespace, name: e.name }, err);
        finish(false);
      },
    );
  }
}

function names(pod: Pod): { namespace: string; name: string } {
  return { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '' };
}
