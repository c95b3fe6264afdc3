// The ConfigMaps and Secrets the kubelet's pods refer to, read from the API server with a GET
// per object (Kubernetes' "Get"/TTL-cache strategy rather than a watch per object): a pod's
// sync reads them through here, reusing what is younger than the sync period; every sync
// period each referenced object is read again, and the pods referring to one that appeared,
// changed or went are woken: a pod waiting in CreateContainerConfigError starts by itself,
// and mounted volumes are rewritten. Objects nobody refers to any more are dropped.
// Why GETs rather than watches: a bound delay of one sync period is what Kubernetes promises
// either way; a GET needs only `get` on the objects a node's pods name (the simplest Node
// authorizer rule), keeps no connection open per object, and cannot miss an event.
// Secret bytes stay in this cache in memory; nothing here logs an object, only names.
import type { ConfigMap, Pod, Secret } from '../api/types/core.js';
import { systemClock, type Clock } from './clock.js';
import { podReferences } from '../api/pod-references.js';
import type { ConfigKind, ConfigLookup, Fetched } from './config-lookup.js';
import { silentLogger, type Logger } from './logger.js';

type ConfigObject = ConfigMap | Secret;

export interface ConfigGetter {
  /** The object, or undefined when the API server answers 404; throws on other failures. */
  get(kind: ConfigKind, namespace: string, name: string): Promise<ConfigObject | undefined>;
}

export interface ConfigSourceOptions {
  getter: ConfigGetter;
  /** The kubelet's --sync-frequency: how stale a read may be, and how often all are read again. */
  syncPeriodMs: number;
  /** Wakes the pod's worker (one of its objects appeared, changed or went). */
  onChange: (uid: string) => void;
  clock?: Clock;
  logger?: Logger;
}

interface Entry {
  kind: ConfigKind;
  namespace: string;
  name: string;
  result: Fetched<ConfigObject>;
  /** What a change is measured by: the resourceVersion, or "absent". */
  version: string | undefined;
  fetchedAt: number;
  pods: Set<string>;
  inflight?: Promise<void>;
}

const keyOf = (kind: ConfigKind, ns: string, name: string) => `${kind}/${ns}/${name}`;

export class ConfigSource {
  readonly #o: ConfigSourceOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #entries = new Map<string, Entry>();
  /** Per pod uid, the entry keys it refers to. */
  readonly #pods = new Map<string, Set<string>>();

  constructor(opts: ConfigSourceOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.logger ?? silentLogger;
  }

  /** Reads what the pod refers to (fresh enough from the cache, else from the API server) for one sync. */
  async lookup(pod: Pod): Promise<ConfigLookup> {
    const uid = pod.metadata.uid ?? '';
    const ns = pod.metadata.namespace ?? 'default';
    const refs = podReferences(pod);
    const keys = new Set<string>();
    for (const [kind, names] of [['ConfigMap', refs.configMaps], ['Secret', refs.secrets]] as const) {
      for (const name of names) {
        const key = keyOf(kind, ns, name);
        keys.add(key);
        let e = this.#entries.get(key);
        if (!e) this.#entries.set(key, (e = { kind, namespace: ns, name, result: { notFound: true }, version: undefined, fetchedAt: -Infinity, pods: new Set() }));
        e.pods.add(uid);
      }
    }
    this.#setPodKeys(uid, keys);
    const now = this.#clock.now();
    await Promise.all([...keys].map((k) => this.#entries.get(k)).filter((e): e is Entry => !!e && now - e.fetchedAt >= this.#o.syncPeriodMs).map((e) => this.#fetch(e)));
    const get = (kind: ConfigKind, name: string): Fetched<ConfigObject> => this.#entries.get(keyOf(kind, ns, name))?.result ?? { notFound: true };
    return {
      configMap: (name) => get('ConfigMap', name) as Fetched<ConfigMap>,
      secret: (name) => get('Secret', name) as Fetched<Secret>,
    };
  }

  /** Reads every referenced object again; wakes the pods of those that changed. */
  async refresh(): Promise<void> {
    const changed = new Set<string>();
    await Promise.all(
      [...this.#entries.values()].map(async (e) => {
        if (await this.#fetch(e)) for (const uid of e.pods) changed.add(uid);
      }),
    );
    for (const uid of changed) this.#o.onChange(uid);
  }

  /** The pod is gone: its references go, and objects nobody refers to. */
  forget(uid: string): void {
    this.#setPodKeys(uid, new Set());
    this.#pods.delete(uid);
  }

  /** How many objects are cached (for tests and stats). */
  get size(): number {
    return this.#entries.size;
  }

  #setPodKeys(uid: string, keys: Set<string>): void {
    for (const k of this.#pods.get(uid) ?? []) {
      if (keys.has(k)) continue;
      const e = this.#entries.get(k);
      e?.pods.delete(uid);
      if (e && e.pods.size === 0) this.#entries.delete(k);
    }
    this.#pods.set(uid, keys);
  }

  /** One GET (shared by concurrent callers); true when the object's version changed. */
  async #fetch(e: Entry): Promise<boolean> {
    const before = e.version;
    if (!e.inflight) {
      e.inflight = (async () => {
        try {
          const obj = await this.#o.getter.get(e.kind, e.namespace, e.name);
          e.result = obj ? { found: obj } : { notFound: true };
          e.version = obj ? `rv:${obj.metadata.resourceVersion ?? ''}` : 'absent';
        } catch (err) {
          // A failed read keeps what was known: a running pod's files stay as they are.
          this.#log.warn({ kind: e.kind, namespace: e.namespace, name: e.name, err: err instanceof Error ? err.message : String(err) }, 'could not read object for pods');
          if (!('found' in e.result)) e.result = { error: err instanceof Error ? err.message : String(err) };
        } finally {
          e.fetchedAt = this.#clock.now();
          e.inflight = undefined;
        }
      })();
    }
    await e.inflight;
    return before !== undefined && e.version !== before;
  }
}
