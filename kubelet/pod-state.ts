// The one owner of what the kubelet keeps per pod: the newest API object and its admission
// here, and a tombstone for a pod finished and deleted by the kubelet until the API server's
// delete event arrives. Parts keeping their own per-pod state (status manager, pod workers,
// prober, reason cache, backoffs) register a forget, and forget(uid) drops all of it at once.
import type { Pod } from '../api/types/core.js';

export type Admission = 'pending' | 'admitted' | 'rejected';

interface PodRecord {
  pod: Pod;
  admission: Admission;
}

export class PodStates {
  readonly #pods = new Map<string, PodRecord>();
  /** Pods stopped and cleaned up here whose API object may still send events. */
  readonly #terminated = new Set<string>();
  readonly #forgets: ((uid: string) => void)[];

  constructor(forgets: ((uid: string) => void)[] = []) {
    this.#forgets = forgets;
  }

  get(uid: string): Pod | undefined {
    return this.#pods.get(uid)?.pod;
  }

  has(uid: string): boolean {
    return this.#pods.has(uid);
  }

  /** Records the newest API object; returns the one before it, if any. */
  set(pod: Pod): Pod | undefined {
    const uid = pod.metadata.uid ?? '';
    const rec = this.#pods.get(uid);
    if (rec) {
      const prev = rec.pod;
      rec.pod = pod;
      return prev;
    }
    this.#pods.set(uid, { pod, admission: 'pending' });
    return undefined;
  }

  admission(uid: string): Admission | undefined {
    return this.#pods.get(uid)?.admission;
  }

  admit(uid: string): void {
    const rec = this.#pods.get(uid);
    if (rec) rec.admission = 'admitted';
  }

  reject(uid: string): void {
    const rec = this.#pods.get(uid);
    if (rec) rec.admission = 'rejected';
  }

  /** The pods admitted here (the ones this kubelet runs), in the order first seen. */
  admitted(): Pod[] {
    return [...this.#pods.values()].filter((r) => r.admission === 'admitted').map((r) => r.pod);
  }

  all(): Pod[] {
    return [...this.#pods.values()].map((r) => r.pod);
  }

  isTerminated(uid: string): boolean {
    return this.#terminated.has(uid);
  }

  /**
   * The pod was stopped and cleaned up: everything about it goes. While its API object still
   * exists (the kubelet is about to delete it), later events for it are ignored.
   */
  terminated(uid: string): void {
    const bound = this.#pods.has(uid);
    this.forget(uid);
    if (bound) this.#terminated.add(uid);
  }

  /**
   * The API object is gone for good. Returns false for a pod terminated here (nothing left to
   * do); otherwise the record goes, and the parts keep their state until the pod's kill ends
   * in terminated().
   */
  removed(uid: string): boolean {
    if (this.#terminated.delete(uid)) return false;
    this.#pods.delete(uid);
    return true;
  }

  /** Drops every piece of the pod's state, here and in the parts that registered a forget. */
  forget(uid: string): void {
    this.#pods.delete(uid);
    for (const f of this.#forgets) f(uid);
  }
}
