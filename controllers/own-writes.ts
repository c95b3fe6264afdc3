// What a controller itself last wrote, until its informer shows it (the EndpointSlice tracker's
// and the endpoints controller's stale-cache checks): a sync that read a cache older than its own
// last write would undo or repeat that write (a second slice created for the same pods), so it
// waits for the watch instead, which queues the key again. Objects are known by name under a
// key (the Service's); a delete seen by the watch settles whatever was expected of that name.
import type { KubeObject } from '../api/types/meta.js';

/** resourceVersion `a` is at least `b` (etcd revisions, compared as numbers when they are). */
function atLeast(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  try {
    return BigInt(a) >= BigInt(b);
  } catch {
    return a === b;
  }
}

export class OwnWrites {
  /** key → name → the resourceVersion written, or null for a delete. */
  readonly #expected = new Map<string, Map<string, string | null>>();

  #of(key: string): Map<string, string | null> {
    let m = this.#expected.get(key);
    if (!m) this.#expected.set(key, (m = new Map()));
    return m;
  }

  wrote(key: string, obj: KubeObject): void {
    const { name, resourceVersion } = obj.metadata;
    if (name && resourceVersion) this.#of(key).set(name, resourceVersion);
  }

  deleted(key: string, name: string): void {
    this.#of(key).set(name, null);
  }

  /** The watch showed `name` gone: nothing more is expected of it. */
  observedDelete(key: string, name: string): void {
    this.#expected.get(key)?.delete(name);
  }

  forget(key: string): void {
    this.#expected.delete(key);
  }

  /** True while `cached` (the informer's objects under `key`) lags this controller's writes; caught-up ones are dropped. */
  stale(key: string, cached: readonly KubeObject[]): boolean {
    const m = this.#expected.get(key);
    if (!m) return false;
    const byName = new Map(cached.map((o) => [o.metadata.name ?? '', o]));
    let stale = false;
    for (const [name, rv] of m) {
      const seen = byName.get(name);
      const caughtUp = rv === null ? !seen : atLeast(seen?.metadata.resourceVersion, rv);
      if (caughtUp) m.delete(name);
      else stale = true;
    }
    if (m.size === 0) this.#expected.delete(key);
    return stale;
  }
}
