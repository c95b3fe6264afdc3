// Writes each pod's status to the API server only when it changed (Kubernetes' status
// manager), through a small PodStatusWriter so the REST client plugs in at wiring time.
// Writes for one pod are serialised; a failed write is retried on the next set.
import type { Pod, PodStatus } from '../../api/types/core.js';

export interface PodStatusWriter {
  /** PUT/PATCH pods/<name>/status; returns the pod as stored. */
  writeStatus(namespace: string, name: string, uid: string, status: PodStatus): Promise<Pod | void>;
}

interface Entry {
  /** Last status written successfully (as JSON, for comparison). */
  written?: string;
  status: PodStatus;
  inflight?: Promise<void>;
}

export interface StatusManagerOptions {
  writer: PodStatusWriter;
  onError?: (pod: { namespace: string; name: string }, err: unknown) => void;
}

/** The comparison ignores lastProbeTime, which says nothing about the pod. */
function canonical(s: PodStatus): string {
  return JSON.stringify({ ...s, conditions: s.conditions?.map(({ lastProbeTime: _p, ...c }) => c) });
}

export class StatusManager {
  readonly #writer: PodStatusWriter;
  readonly #onError: StatusManagerOptions['onError'];
  readonly #pods = new Map<string, Entry>();

  constructor(opts: StatusManagerOptions) {
    this.#writer = opts.writer;
    this.#onError = opts.onError;
  }

  /** The status last set for a pod (the kubelet's own view, ahead of the API server). */
  get(uid: string): PodStatus | undefined {
    return this.#pods.get(uid)?.status;
  }

  /** Records the status the API server already has (pods seen at start-up), so it is not rewritten. */
  seed(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    if (!pod.status || this.#pods.has(uid)) return;
    this.#pods.set(uid, { status: pod.status, written: canonical(pod.status) });
  }

  /** Sets the status and writes it if it differs from the last write. Resolves once written (or found unchanged). */
  async setPodStatus(pod: Pod, status: PodStatus): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    const e = this.#pods.get(uid) ?? { status };
    e.status = status;
    this.#pods.set(uid, e);
    // One write at a time per pod; the one after it sends whatever is newest by then.
    while (e.inflight) await e.inflight;
    const want = canonical(e.status);
    if (want === e.written) return;
    const snapshot = e.status;
    e.inflight = this.#writer
      .writeStatus(pod.metadata.namespace ?? 'default', pod.metadata.name ?? '', uid, snapshot)
      .then(() => {
        e.written = canonical(snapshot);
      })
      .catch((err: unknown) => {
        this.#onError?.({ namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '' }, err);
      })
      .finally(() => {
        e.inflight = undefined;
      });
    await e.inflight;
  }

  forget(uid: string): void {
    this.#pods.delete(uid);
  }
}
