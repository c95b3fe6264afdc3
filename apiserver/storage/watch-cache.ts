// One etcd watch per resource type, fanned out from memory to every client watch (as
// kube-apiserver's cacher does): the cache lists the type once, then follows a single etcd
// watch, keeping the current objects and a ring of recent events. A client watch from a
// resourceVersion inside the ring is replayed from memory; below it (or below etcd's
// compaction) it gets 410 Expired. Each event is serialised once, however many watch it.
// Values of an encrypted resource are decrypted once, as they arrive; one that does not open
// (a key no longer configured) is kept as its error: reading it answers that 500, and a
// watch that meets it gets an ERROR event and ends, as kube's etcd watcher does.
import type { Etcd3, IKeyValue, IWatchResponse, Watcher } from 'etcd3';
import { ApiError, errors } from '../../api/errors.js';
import type { KubeObject, WatchEventType } from '../../api/types/meta.js';
import type { ValueTransformer } from './encryption/transformer.js';
import { readValue, type EtcdStore } from './etcd-store.js';
import { decode, withResourceVersion } from './serialized.js';

export type CacheEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * One stored version of an object: the JSON as etcd holds it, parsed only when something
 * needs the object itself (a selector, a lookup). Fan-out of an unfiltered watch never parses.
 */
export class Entry {
  #object?: KubeObject;
  constructor(
    readonly stored: string,
    readonly rev: number,
    /** Read with a provider that no longer writes (see etcd-store.ts guaranteedUpdate). */
    readonly stale = false,
    /** Why the stored value could not be read (it then has no JSON). */
    readonly error?: ApiError,
  ) {}

  get object(): KubeObject {
    if (this.error) throw this.error;
    return (this.#object ??= decode(this.stored, this.rev));
  }

  /** The object's JSON, with resourceVersion `rev` (a deletion reports its own revision). */
  json(rev = this.rev): string {
    if (this.error) throw this.error;
    return withResourceVersion(this.stored, rev);
  }
}

function entryOf(key: string, kv: IKeyValue, transformer: ValueTransformer | undefined, store: EtcdStore): Entry {
  const rev = Number(kv.mod_revision);
  if (!transformer) return new Entry(kv.value.toString('utf8'), rev);
  const own = store.takeWritten(key, kv.value);
  if (own !== undefined) return new Entry(own, rev);
  try {
    const { stored, stale } = readValue(kv, transformer);
    return new Entry(stored, rev, stale);
  } catch (e) {
    return new Entry('', rev, false, e instanceof ApiError ? e : errors.internal(String(e)));
  }
}

/** The ERROR event a watch ends with when it meets what it cannot send. */
function errorLine(e: unknown): string {
  const err = e instanceof ApiError ? e : errors.internal(e instanceof Error ? e.message : String(e));
  return watchLine('ERROR', err.toStatus());
}

export class CacheEvent {
  /** The serialised WatchEvent line, made on first use and shared by every watcher. */
  #line?: string;
  constructor(
    readonly type: CacheEventType,
    readonly rev: number,
    readonly key: string,
    /** The object after the event; for DELETED, its last state. */
    readonly entry: Entry,
    /** The object before this event (absent for ADDED). */
    readonly prev?: Entry,
  ) {}

  get object(): KubeObject {
    return this.type === 'DELETED' ? { ...this.entry.object, metadata: { ...this.entry.object.metadata, resourceVersion: String(this.rev) } } : this.entry.object;
  }

  lineAs(type: WatchEventType): string {
    if (type === this.type) return (this.#line ??= eventLine(type, this.entry.json(this.rev)));
    return eventLine(type, this.entry.json(this.rev));
  }
}

export interface WatchSink {
  /** One newline-terminated WatchEvent JSON; answers false when the client is hopelessly behind. */
  send(line: string): boolean;
  close(): void;
}

export interface CacheWatchOptions {
  /** Only events after this revision; undefined = first the current objects as ADDED. */
  fromRev?: number;
  /** Selector/namespace/authorization filter; events crossing it become ADDED/DELETED. */
  filter?: (obj: KubeObject) => boolean;
  /** Renders an event's line from the object instead of the stored JSON (Tables). */
  render?: (type: WatchEventType, obj: KubeObject) => string;
  sink: WatchSink;
}

export interface CacheWatch {
  /** The highest revision this watcher has been told about (for bookmarks). */
  readonly lastRev: number;
  /** Sends a line in order with the events (a bookmark). */
  enqueue(line: string): void;
  /** Ends the watch, sending what is still queued. */
  stop(): void;
}

export function watchLine(type: WatchEventType, object: unknown): string {
  return eventLine(type, JSON.stringify(object));
}

function eventLine(type: WatchEventType, objectJson: string): string {
  return `{"type":"${type}","object":${objectJson}}\n`;
}

/**
 * One client's watch. Lines are queued and written once per turn of the event loop, so the
 * events of one etcd response (and everything else that arrived meanwhile) reach a client
 * in one socket write rather than one write each: with hundreds of watchers, writes are
 * the cost.
 */
class ClientWatch implements CacheWatch {
  lastRev: number;
  /** Events at or below this revision were seen already (the list, or the version asked for). */
  after: number;
  stopped = false;
  #pending: string[] = [];
  #scheduled = false;
  constructor(
    readonly cache: WatchCache,
    readonly filter: ((obj: KubeObject) => boolean) | undefined,
    readonly sink: WatchSink,
    fromRev: number,
    readonly render?: (type: WatchEventType, obj: KubeObject) => string,
  ) {
    this.lastRev = fromRev;
    this.after = fromRev;
  }

  deliver(ev: CacheEvent): void {
    // Several events may share a revision (keys written in one Txn: group commit), so an
    // event at the last revision delivered is still new; only older ones are not.
    if (this.stopped || ev.rev <= this.after || ev.rev < this.lastRev) return;
    this.lastRev = ev.rev;
    try {
      let type: WatchEventType | undefined = ev.type;
      if (this.filter) {
        const now = ev.type !== 'DELETED' && this.filter(ev.entry.object);
        const before = ev.prev !== undefined && this.filter(ev.prev.object);
        type = now && before ? ev.type : now ? 'ADDED' : before ? 'DELETED' : undefined;
      }
      if (type === undefined) return;
      this.enqueue(this.render ? this.render(type, ev.object) : ev.lineAs(type));
    } catch (e) {
      this.enqueue(errorLine(e));
      this.stop();
    }
  }

  enqueue(line: string): void {
    if (this.stopped) return;
    this.#pending.push(line);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        if (!this.stopped && !this.#flush()) this.stop();
      });
    }
  }

  #flush(): boolean {
    this.#scheduled = false;
    if (this.#pending.length === 0) return true;
    const data = this.#pending.length === 1 ? this.#pending[0] : this.#pending.join('');
    this.#pending = [];
    return this.sink.send(data);
  }

  stop(): void {
    if (this.stopped) return;
    this.#flush();
    this.stopped = true;
    this.cache.detach(this);
    this.sink.close();
  }
}

export class WatchCache {
  readonly prefix: string;
  readonly #client: Etcd3;
  readonly #store: EtcdStore;
  readonly #capacity: number;
  readonly #objects = new Map<string, Entry>();
  #ring: CacheEvent[] = [];
  #ringStart = 0;
  /** Every event of this type after this revision is in the ring. */
  #windowStart = 0;
  #rev = 0;
  /** etcd has compacted history below this revision (learnt lazily). */
  #compactedBelow = 0;
  readonly #watchers = new Set<ClientWatch>();
  #etcdWatch: Watcher | null = null;
  #ready: Promise<void> | null = null;
  #closed = false;
  readonly #onError: (err: unknown) => void;
  readonly #transformer: ValueTransformer | undefined;

  constructor(opts: { client: Etcd3; store: EtcdStore; prefix: string; capacity?: number; onError?: (err: unknown) => void; transformer?: ValueTransformer }) {
    this.#client = opts.client;
    this.#transformer = opts.transformer;
    this.#store = opts.store;
    this.prefix = opts.prefix;
    this.#capacity = opts.capacity ?? 10_000;
    this.#onError = opts.onError ?? (() => {});
  }

  /** The newest revision the cache has applied. */
  get revision(): number {
    return this.#rev;
  }

  get watcherCount(): number {
    return this.#watchers.size;
  }

  start(): Promise<void> {
    this.#ready ??= this.#init();
    return this.#ready;
  }

  async #init(): Promise<void> {
    const res = await this.#client.getAll().prefix(this.prefix).exec();
    const rev = Number(res.header.revision);
    this.#objects.clear();
    for (const kv of res.kvs) {
      const key = kv.key.toString('utf8');
      this.#objects.set(key, entryOf(key, kv, this.#transformer, this.#store));
    }
    this.#rev = rev;
    this.#windowStart = rev;
    this.#ring = [];
    this.#ringStart = 0;
    const watcher = this.#client.watch().prefix(this.prefix).startRevision(String(rev + 1)).watcher();
    // A watch being replaced may still deliver; only the current one feeds the cache.
    watcher.on('data', (r: IWatchResponse) => {
      if (this.#etcdWatch === watcher) this.#apply(r);
    });
    watcher.on('error', (err) => {
      if (this.#etcdWatch === watcher) this.#restart(err);
    });
    this.#etcdWatch = watcher;
    await new Promise<void>((resolve, reject) => {
      watcher.once('connected', () => resolve());
      watcher.once('error', reject);
    });
    if (this.#closed) await watcher.cancel().catch(() => {});
  }

  /**
   * The etcd watch failed for good (e.g. its revision was compacted while disconnected):
   * list again and end every client watch, which will come back and relist if it must.
   */
  #restart(err: unknown): void {
    if (this.#closed) return;
    this.#onError(err);
    const old = this.#etcdWatch;
    this.#etcdWatch = null;
    void old?.cancel().catch(() => {});
    for (const w of [...this.#watchers]) w.stop();
    this.#ready = this.#init().catch((e: unknown) => {
      this.#onError(e);
      this.#ready = null;
      setTimeout(() => {
        if (!this.#closed) void this.start();
      }, 1000).unref();
    });
  }

  #apply(res: IWatchResponse): void {
    if (res.compact_revision && Number(res.compact_revision) > 0) {
      this.#restart(new Error(`etcd watch compacted at ${res.compact_revision}`));
      return;
    }
    for (const e of res.events) {
      const kv: IKeyValue = e.kv;
      const key = kv.key.toString('utf8');
      const rev = Number(kv.mod_revision);
      const prev = this.#objects.get(key);
      let ev: CacheEvent;
      if (e.type === 'Put') {
        const entry = entryOf(key, kv, this.#transformer, this.#store);
        this.#objects.set(key, entry);
        ev = new CacheEvent(prev ? 'MODIFIED' : 'ADDED', rev, key, entry, prev);
      } else {
        if (!prev) continue;
        this.#objects.delete(key);
        ev = new CacheEvent('DELETED', rev, key, prev, prev);
      }
      this.#rev = rev;
      this.#push(ev);
      for (const w of this.#watchers) w.deliver(ev);
    }
  }

  #push(ev: CacheEvent): void {
    this.#ring.push(ev);
    if (this.#ring.length - this.#ringStart > this.#capacity) {
      this.#windowStart = this.#ring[this.#ringStart].rev;
      this.#ringStart++;
      // Compact the array now and then rather than shifting on every event.
      if (this.#ringStart > this.#capacity) {
        this.#ring = this.#ring.slice(this.#ringStart);
        this.#ringStart = 0;
      }
    }
  }

  /** The current object under `key`, as the cache last saw it. */
  get(key: string): KubeObject | undefined {
    return this.#objects.get(key)?.object;
  }

  /** The current version under `key` in its stored form (nothing parsed); none when it could not be read (etcd then tells). */
  getStored(key: string): Entry | undefined {
    const e = this.#objects.get(key);
    return e?.error ? undefined : e;
  }

  /** The current objects whose keys start with `prefix`. */
  *objects(prefix = this.prefix): Iterable<KubeObject> {
    for (const [k, v] of this.#objects) if (k.startsWith(prefix)) yield v.object;
  }

  #tooOld(rev: number): never {
    throw errors.gone(`too old resource version: ${rev} (${Math.max(this.#windowStart, this.#compactedBelow)})`);
  }

  /**
   * Starts a client watch. Throws 410 Expired when `fromRev` is older than the events the
   * cache holds or than etcd's compaction.
   */
  async watch(opts: CacheWatchOptions): Promise<CacheWatch> {
    await this.start();
    const from = opts.fromRev;
    if (from !== undefined) {
      if (from < this.#windowStart || from < this.#compactedBelow) this.#tooOld(from);
      // Replaying history the client asked for must not outlive etcd's own history.
      if (from < this.#rev && !(await this.#store.revisionAvailable(this.prefix, from))) {
        this.#compactedBelow = Math.max(this.#compactedBelow, from + 1);
        this.#tooOld(from);
      }
      if (from < this.#windowStart) this.#tooOld(from);
    }
    // From here on everything is synchronous, so no event slips between replay and live.
    const w = new ClientWatch(this, opts.filter, opts.sink, from ?? 0, opts.render);
    if (from === undefined) {
      try {
        for (const entry of this.#objects.values()) {
          if (opts.filter && !opts.filter(entry.object)) continue;
          w.enqueue(opts.render ? opts.render('ADDED', entry.object) : eventLine('ADDED', entry.json()));
        }
      } catch (e) {
        w.enqueue(errorLine(e));
        w.stop();
      }
      w.lastRev = this.#rev;
      w.after = this.#rev;
    } else {
      for (let i = this.#ringStart; i < this.#ring.length && !w.stopped; i++) w.deliver(this.#ring[i]);
    }
    if (!w.stopped) this.#watchers.add(w);
    return w;
  }

  detach(w: ClientWatch): void {
    this.#watchers.delete(w);
  }

  async stop(): Promise<void> {
    this.#closed = true;
    for (const w of [...this.#watchers]) w.stop();
    const w = this.#etcdWatch;
    this.#etcdWatch = null;
    if (w) await w.cancel().catch(() => {});
  }
}
