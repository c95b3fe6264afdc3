// The pod lifecycle event generator (Kubernetes' GenericPLEG): relists the runtime's
// containers and sandboxes every period and tells the kubelet which pods changed (a
// container started, exited or vanished), so their workers sync at once rather than at the
// next periodic resync.
import type { RuntimeService } from '../runtime/cri.js';
import { LABEL_POD_UID } from './labels.js';

export type PodChangeListener = (podUid: string) => void;

export class Pleg {
  readonly #runtime: RuntimeService;
  #last = new Map<string, string>();
  /** key -> pod UID of the last relist, to name the pod of an object that vanished */
  #owners = new Map<string, string>();
  readonly #listeners: PodChangeListener[] = [];
  #timer: NodeJS.Timeout | undefined;
  #relisting = false;

  constructor(runtime: RuntimeService) {
    this.#runtime = runtime;
  }

  onPodChanged(l: PodChangeListener): void {
    this.#listeners.push(l);
  }

  /** One relist; returns the UIDs of pods whose containers or sandboxes changed state. */
  async relist(): Promise<string[]> {
    if (this.#relisting) return [];
    this.#relisting = true;
    try {
      const [containers, sandboxes] = await Promise.all([this.#runtime.listContainers(), this.#runtime.listPodSandbox()]);
      const now = new Map<string, string>();
      const owner = new Map<string, string>();
      for (const c of containers) {
        const uid = c.labels[LABEL_POD_UID];
        if (!uid) continue;
        now.set(`c/${c.id}`, c.state);
        owner.set(`c/${c.id}`, uid);
      }
      for (const s of sandboxes) {
        const uid = s.labels[LABEL_POD_UID];
        if (!uid) continue;
        now.set(`s/${s.id}`, s.state);
        owner.set(`s/${s.id}`, uid);
      }
      const changed = new Set<string>();
      for (const [k, state] of now) if (this.#last.get(k) !== state) changed.add(owner.get(k) ?? '');
      for (const k of this.#last.keys()) if (!now.has(k)) changed.add(this.#owners.get(k) ?? '');
      this.#last = now;
      this.#owners = owner;
      changed.delete('');
      for (const uid of changed) for (const l of this.#listeners) l(uid);
      return [...changed];
    } finally {
      this.#relisting = false;
    }
  }

  start(periodMs = 1000, onError?: (e: unknown) => void): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.relist().catch((e: unknown) => onError?.(e));
    }, periodMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
