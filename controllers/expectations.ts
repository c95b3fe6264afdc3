// What a controller is still waiting to see on its watch, as client-go's ControllerExpectations
// and UIDTrackingControllerExpectations: before creating N pods for a key it expects N adds,
// before deleting M it expects those M pods by key; the pod handlers lower the counts as the
// watch shows them, and the key may be synced again (its pods counted) only once both are
// down to zero, or the expectation is older than its TTL (a watch event lost for good must not
// stop the controller forever). Until then the cache lags the writes, and counting pods from it
// would create or delete again what is already on its way.

/** client-go's ExpectationsTimeout. */
export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  del: number;
  /** Pod keys whose deletion is expected. */
  deleting: Set<string>;
  setAt: number;
}

export interface ExpectationsOptions {
  ttlMs?: number;
  now?: () => number;
}

export class ControllerExpectations {
  readonly #records = new Map<string, Expectation>();
  readonly #ttl: number;
  readonly #now: () => number;

  constructor(o: ExpectationsOptions = {}) {
    this.#ttl = o.ttlMs ?? EXPECTATIONS_TTL_MS;
    this.#now = o.now ?? Date.now;
  }

  /** True when the key's counts are met, its expectation expired, or it has none (never synced, or forgotten). */
  satisfied(key: string): boolean {
    const e = this.#records.get(key);
    if (!e) return true;
    return (e.add <= 0 && e.del <= 0) || this.#now() - e.setAt > this.#ttl;
  }

  /** Before creating `count` pods (replacing what the key expected before). */
  expectCreations(key: string, count: number): void {
    this.#records.set(key, { add: count, del: 0, deleting: new Set(), setAt: this.#now() });
  }

  /**
   * Before deleting these pods (namespace/name keys): the key is satisfied once each has been
   * seen going, each counted once whether the watch shows its deletionTimestamp or its removal.
   */
  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.#records.set(key, { add: 0, del: podKeys.length, deleting: new Set(podKeys), setAt: this.#now() });
  }

  /** SetExpectations: creates and deletions of one sync at once (the DaemonSet controller does both). */
  expect(key: string, creations: number, podKeys: readonly string[]): void {
    this.#records.set(key, { add: creations, del: podKeys.length, deleting: new Set(podKeys), setAt: this.#now() });
  }

  /** The watch showed a pod of this key created (or a create failed and will never show). */
  creationObserved(key: string): void {
    const e = this.#records.get(key);
    if (e) e.add--;
  }

  /** The watch showed this pod going (or its delete failed); other pods' deletions do not count. */
  deletionObserved(key: string, podKey: string): void {
    const e = this.#records.get(key);
    if (e?.deleting.delete(podKey)) e.del--;
  }

  /** The counts still awaited, for logs and tests. */
  pending(key: string): { add: number; del: number } | undefined {
    const e = this.#records.get(key);
    return e && { add: e.add, del: e.del };
  }

  /** The key's object is gone: nothing more to wait for. */
  delete(key: string): void {
    this.#records.delete(key);
  }
}
