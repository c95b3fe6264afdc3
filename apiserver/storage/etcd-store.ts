// Objects in etcd with kube-apiserver's optimistic concurrency: resourceVersion is the key's
// mod_revision; create is a txn on create_revision == 0; update and delete are txns on
// mod_revision == the revision the caller read (its else branch reads the key again, so a
// lost race costs no extra round trip). Lists read one store revision and page through it
// with an opaque continue token. Values under a transformed prefix (encryption at rest,
// encryption/) are transformed on their way to etcd and back; everything above this file
// sees only the objects' JSON.
import type { Etcd3, IKeyValue, IRangeResponse, ITxnResponse } from 'etcd3';
import { ApiError, errors } from '../../api/errors.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types/meta.js';
import { companionChange, writeWithCompanions, type CompanionChange, type CompanionRule } from './companion-keys.js';
import type { ValueTransformer } from './encryption/transformer.js';
import { GroupCommitter, type GroupCommitOptions } from './group-commit.js';
import { prefixEnd } from './keys.js';
import { LeaseManager, putOp, type LeaseManagerOptions } from './lease-manager.js';
import { decode, encode, remember, rememberStored, storedFormOf, withResourceVersion } from './serialized.js';

/** Which object a storage call is about, for error messages. */
export interface ObjectRef {
  resource: ResourceInfo;
  name: string;
}

export const DELETE = Symbol('delete');
/** What an update function may answer: the new object, or DELETE to remove the key. */
export type UpdateResult = KubeObject | typeof DELETE;

export interface ListOptions {
  limit?: number;
  continueToken?: string;
  filter?: (obj: KubeObject) => boolean;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

/** A stored version of an object as the watch cache holds it: its JSON as etcd has it (decrypted), and its mod_revision. */
export interface StoredVersion {
  readonly stored: string;
  readonly rev: number | string;
  /** Read with a provider that does not write (an old key, or plaintext): an update writes it again even unchanged. */
  readonly stale?: boolean;
}

/** What a read-modify-write starts from: the stored JSON when known, the object when at hand. */
interface Version {
  rv: string;
  stored?: string;
  object?: KubeObject;
  stale?: boolean;
}

/** Values under `prefix` go through `transformer` on their way to etcd and back (encryption at rest). */
export interface TransformedPrefix {
  prefix: string;
  transformer: ValueTransformer;
}

/** The JSON of a stored value, through the transformer of its key when it has one; a value that does not open is a 500 naming the key. */
export function readValue(kv: IKeyValue, transformer: ValueTransformer | undefined): { stored: string; stale: boolean } {
  if (!transformer) return { stored: kv.value.toString('utf8'), stale: false };
  try {
    const { data, stale } = transformer.fromStorage(kv.value, kv.key.toString('utf8'));
    return { stored: data, stale };
  } catch (e) {
    throw errors.internal((e as Error).message, e);
  }
}

function isStoredVersion(v: StoredVersion | KubeObject): v is StoredVersion {
  return typeof (v as Partial<StoredVersion>).stored === 'string';
}

function versionOf(obj: KubeObject): Version {
  return { rv: obj.metadata.resourceVersion as string, stored: storedFormOf(obj), object: obj };
}


/** The object of a version (decoded on demand, with its answer JSON remembered). */
function objectOf(v: Version): KubeObject {
  if (v.object) return v.object;
  const stored = v.stored as string;
  return (v.object = remember(decode(stored, v.rv), withResourceVersion(stored, v.rv)));
}

function storedObject<T extends KubeObject>(obj: T, bytes: string, rev: string): T {
  return rememberStored(remember({ ...obj, metadata: { ...obj.metadata, resourceVersion: rev } }, withResourceVersion(bytes, rev)), bytes);
}

/** Maps what etcd refuses to the Status a client can act on; never a bare 500 for size. */
export function storageError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (/request is too large|larger than max|exceeds|too large/i.test(msg)) {
    return errors.tooLarge(`the object is too large for the store: ${msg}`);
  }
  if (/required revision has been compacted/i.test(msg)) return errors.gone(`the requested resource version has been compacted: ${msg}`);
  // A read at a revision etcd has not reached: only a forged or foreign continue token asks for one.
  if (/OUT_OF_RANGE|future revision/i.test(msg)) return errors.gone(`the requested resource version is not available: ${msg}`);
  // The etcd3 client's circuit breaker opens after a few failed calls and fails the next ones at once.
  if (/unavailable|ECONNREFUSED|no connection|deadline|timed out|timeout|circuit breaker/i.test(msg) || (err as Error)?.name === 'BrokenCircuitError') {
    return errors.unavailable(`etcd is unavailable: ${msg}`);
  }
  return errors.internal(`storage error: ${msg}`, err);
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function decodeContinue(token: string, prefix: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    if (!Number.isSafeInteger(t.rv) || t.rv <= 0 || typeof t.start !== 'string' || !t.start.startsWith(prefix)) throw new Error('bad token');
    return t;
  } catch {
    throw errors.badRequest('invalid continue token');
  }
}

/** Values this server wrote that the watch cache has not seen yet, at most (see takeWritten). */
const WRITTEN_KEPT = 1024;

/** etcd's default --max-request-bytes: a put beyond it is refused. */
export const DEFAULT_MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/** Keys per read of a list that has no limit (see list()). */
const UNLIMITED_LIST_PAGE = 500;

/**
 * The etcd client's gRPC options: no cap on an answer's size (grpc-js takes 4 MiB by default,
 * etcd's Go client takes any, as kube-apiserver does). A page of a list is bounded by its keys,
 * and objects of up to DEFAULT_MAX_OBJECT_BYTES can make one bigger than 4 MiB.
 */
export const ETCD_GRPC_OPTIONS = { 'grpc.max_receive_message_length': -1 } as const;

/** How a conditional write came out: landed at `revision`, or not, with the key's current value. */
interface WriteOutcome {
  succeeded: boolean;
  revision: string;
  current?: IKeyValue;
}

function outcomeOf(res: ITxnResponse): WriteOutcome {
  return { succeeded: res.succeeded, revision: res.header.revision, current: res.responses[0]?.response_range?.kvs[0] };
}

/** Keys under `prefix` expire `ttlSeconds` after their last write (kube's --event-ttl for events). */
export interface ExpiringPrefix {
  prefix: string;
  ttlSeconds: number;
}

export class EtcdStore {
  readonly client: Etcd3;
  readonly #maxObjectBytes: number;
  /** Creates and updates go through it; undefined = one Txn per write. */
  readonly groupCommit: GroupCommitter | undefined;
  readonly #expiring: readonly ExpiringPrefix[];
  readonly #leases: LeaseManager;
  readonly #transformed: readonly TransformedPrefix[];
  /** Keys objects hold beside themselves, written in their Txn (companion-keys.ts). */
  readonly #companions: readonly CompanionRule[];
  /** The JSON of the last encrypted value written under each key, until the watch cache takes it. */
  readonly #written = new Map<string, { value: Buffer; stored: string }>();

  constructor(
    client: Etcd3,
    opts: {
      maxObjectBytes?: number;
      groupCommit?: GroupCommitOptions | false;
      expiring?: ExpiringPrefix[];
      leases?: LeaseManagerOptions;
      transformed?: TransformedPrefix[];
      companions?: CompanionRule[];
    } = {},
  ) {
    this.client = client;
    this.#transformed = opts.transformed ?? [];
    this.#companions = opts.companions ?? [];
    this.#maxObjectBytes = opts.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
    this.groupCommit = opts.groupCommit === false ? undefined : new GroupCommitter(client, opts.groupCommit);
    this.#expiring = (opts.expiring ?? []).filter((e) => e.ttlSeconds > 0);
    this.#leases = new LeaseManager(client, opts.leases);
  }

  #transformerOf(key: string): ValueTransformer | undefined {
    for (const t of this.#transformed) if (key.startsWith(t.prefix)) return t.transformer;
    return undefined;
  }

  #versionOfKv(kv: IKeyValue): Version {
    const { stored, stale } = readValue(kv, this.#transformerOf(kv.key.toString('utf8')));
    return { rv: String(kv.mod_revision), stored, stale };
  }

  /** What goes to etcd for the JSON `bytes` under `key`: the JSON itself, or its transformed (encrypted) form. */
  #toStorage(key: string, bytes: string): string | Buffer {
    const t = this.#transformerOf(key);
    if (!t) return bytes;
    const value = t.toStorage(bytes, key);
    this.#written.delete(key);
    this.#written.set(key, { value, stored: bytes });
    if (this.#written.size > WRITTEN_KEPT) this.#written.delete(this.#written.keys().next().value as string);
    return value;
  }

  /**
   * The JSON of `value` when it is exactly what this server last wrote under `key` (the random
   * nonce makes the bytes unique), so that the watch cache does not decrypt this server's own
   * writes again: that halves what encryption costs a create.
   */
  takeWritten(key: string, value: Buffer): string | undefined {
    const w = this.#written.get(key);
    if (!w || !w.value.equals(value)) return undefined;
    this.#written.delete(key);
    return w.stored;
  }

  /** The lease a put of `key` carries: none, unless the key is one that expires. */
  #leaseOf(key: string): string | Promise<string> | undefined {
    for (const e of this.#expiring) if (key.startsWith(e.prefix)) return this.#leases.leaseFor(e.ttlSeconds);
    return undefined;
  }

  /** A conditional put or delete of one key, batched with concurrent ones when group commit is on; alone with its companion keys. */
  #write(key: string, compare: 'Create' | 'Mod', rev: string | undefined, value: string | Buffer | undefined, readBack: boolean, change?: CompanionChange): Promise<WriteOutcome> {
    if (change) return writeWithCompanions(this.client, key, compare, rev, value, change);
    const lease = value === undefined ? undefined : this.#leaseOf(key);
    if (lease instanceof Promise) return lease.then((id) => this.#writeWith(key, compare, rev, value, readBack, id));
    return this.#writeWith(key, compare, rev, value, readBack, lease);
  }

  #writeWith(key: string, compare: 'Create' | 'Mod', rev: string | undefined, value: string | Buffer | undefined, readBack: boolean, lease: string | undefined): Promise<WriteOutcome> {
    const alone = async (): Promise<WriteOutcome> => {
      let b = this.client.if(key, compare, '==', compare === 'Create' ? 0 : (rev as string));
      b = b.then(value === undefined ? this.client.delete().key(key) : putOp(this.client, key, value, lease));
      if (readBack) b = b.else(this.client.get(key));
      return outcomeOf(await b.commit());
    };
    if (!this.groupCommit) return alone();
    return this.groupCommit.write({ key, compare, rev, value, lease, landed: (revision) => ({ succeeded: true, revision }), alone });
  }

  /**
   * Refuses what etcd would refuse, before sending it: an oversized put fails in etcd as a
   * retryable gRPC error, which the etcd3 client retries and then trips its circuit breaker
   * on, failing every request for seconds. A clear 413 here keeps the store serving.
   */
  #checkSize(key: string, bytes: string | Buffer): void {
    // Cheap test first: UTF-8 takes at most 3 bytes per UTF-16 unit.
    if ((bytes.length + key.length) * 3 < this.#maxObjectBytes) return;
    const size = Buffer.byteLength(bytes) + Buffer.byteLength(key);
    if (size > this.#maxObjectBytes) {
      throw errors.tooLarge(`the object is ${size} bytes, more than the store's limit of ${this.#maxObjectBytes} bytes`);
    }
  }

  async get(key: string): Promise<KubeObject | null> {
    const res = await this.client.get(key).exec().catch((e: unknown) => {
      throw storageError(e);
    });
    const kv = res.kvs[0];
    return kv ? objectOf(this.#versionOfKv(kv)) : null;
  }

  async create<T extends KubeObject>(key: string, obj: T, ref: ObjectRef): Promise<T> {
    const bytes = encode(obj);
    const value = this.#toStorage(key, bytes);
    this.#checkSize(key, value);
    const change = companionChange(this.#companions, key, undefined, obj);
    const res = await this.#write(key, 'Create', undefined, value, false, change).catch((e: unknown) => {
      throw storageError(e);
    });
    if (!res.succeeded) throw errors.alreadyExists(ref.resource.plural, ref.name, ref.resource.group || undefined);
    return storedObject(obj, bytes, res.revision);
  }

  /**
   * Read-modify-write until it lands (kube's GuaranteedUpdate). `update` gets a copy of the
   * current object; with `expectedRV` set, a current object at any other revision is a 409.
   * An update that changes nothing writes nothing and answers the current object.
   *
   * `suggestion` is the object as the watch cache last saw it, best in its stored form: starting
   * from it saves the read (and a parse: the one decode is the copy `update` gets), and the
   * txn's mod_revision compare catches a stale one (its else branch answers the stored
   * object). What a stale suggestion could get wrong (not found, a 409 on expectedRV, an
   * error from `update`, a no-op) is only believed once checked against etcd.
   *
   * A stale value (read with a provider that no longer writes: an old key, or plaintext
   * where encryption is now first) is written even when nothing changed, as Kubernetes'
   * GuaranteedUpdate does: that is how `kubectl replace` moves every object to the new key.
   */
  async guaranteedUpdate(
    key: string,
    ref: ObjectRef,
    update: (current: KubeObject) => UpdateResult | Promise<UpdateResult>,
    opts: { expectedRV?: string; current?: KubeObject; suggestion?: StoredVersion | KubeObject } = {},
  ): Promise<{ object: KubeObject; deleted: boolean }> {
    let verified = opts.current !== undefined || opts.suggestion === undefined;
    let current: Version | null = opts.current
      ? versionOf(opts.current)
      : opts.suggestion
        ? isStoredVersion(opts.suggestion)
          ? { stored: opts.suggestion.stored, rv: String(opts.suggestion.rev), stale: opts.suggestion.stale }
          : versionOf(opts.suggestion)
        : await this.#getVersion(key);
    const refetch = async () => {
      current = await this.#getVersion(key);
      verified = true;
    };
    for (;;) {
      if (!current) {
        if (!verified) {
          await refetch();
          continue;
        }
        throw errors.notFound(ref.resource.plural, ref.name, ref.resource.group || undefined);
      }
      const { rv, stored } = current;
      if (opts.expectedRV && opts.expectedRV !== rv) {
        if (!verified) {
          await refetch();
          continue;
        }
        throw errors.conflict(ref.resource.plural, ref.name, 'the object has been modified; please apply your changes to the latest version and try again', ref.resource.group || undefined);
      }
      // The stored form, when known, gives both the copy for `update` and the no-op test.
      let next: UpdateResult;
      try {
        next = await update(stored !== undefined ? decode(stored, rv) : structuredClone(current.object as KubeObject));
      } catch (e) {
        if (verified) throw e;
        await refetch();
        continue;
      }
      let res: WriteOutcome;
      let bytes = '';
      const storedNow = stored ?? encode(current.object as KubeObject);
      const before = (): KubeObject => (stored !== undefined ? decode(stored, rv) : (current as Version).object as KubeObject);
      try {
        if (next === DELETE) {
          res = await this.#write(key, 'Mod', rv, undefined, true, this.#companions.length ? companionChange(this.#companions, key, before(), undefined) : undefined);
        } else {
          bytes = encode(next);
          if (bytes === storedNow && !current.stale) {
            if (verified) return { object: objectOf(current), deleted: false };
            await refetch();
            continue;
          }
          const value = this.#toStorage(key, bytes);
          this.#checkSize(key, value);
          res = await this.#write(key, 'Mod', rv, value, true, this.#companions.length ? companionChange(this.#companions, key, before(), next) : undefined);
        }
      } catch (e) {
        throw storageError(e);
      }
      if (res.succeeded) {
        if (next === DELETE) return { object: storedObject(objectOf(current), storedNow, res.revision), deleted: true };
        return { object: storedObject(next, bytes, res.revision), deleted: false };
      }
      current = res.current ? this.#versionOfKv(res.current) : null;
      verified = true;
    }
  }

  async #getVersion(key: string): Promise<Version | null> {
    const res = await this.client.get(key).exec().catch((e: unknown) => {
      throw storageError(e);
    });
    const kv = res.kvs[0];
    return kv ? this.#versionOfKv(kv) : null;
  }

  /**
   * One page of a list at one store revision. The continue token carries that revision and
   * the next key, so every page of one list reads the same snapshot (410 once compacted).
   */
  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    let start = prefix;
    let rev = 0;
    if (opts.continueToken) {
      const t = decodeContinue(opts.continueToken, prefix);
      start = t.start;
      rev = t.rv;
    }
    const end = prefixEnd(prefix);
    const items: KubeObject[] = [];
    // With a filter, a page may need several reads to find `limit` matches; a list with no
    // limit is read in pages too, all at the first page's revision: etcd answers a range in one
    // gRPC message, and one message of a few thousand pods is past what a client takes.
    const chunk = limit ? Math.max(limit, opts.filter ? 500 : limit) : UNLIMITED_LIST_PAGE;
    for (;;) {
      let b = this.client.getAll().inRange({ start, end });
      if (chunk) b = b.limit(chunk);
      if (rev) b = b.revision(rev);
      let res: IRangeResponse;
      try {
        res = await b.exec();
      } catch (e) {
        const err = storageError(e);
        if (err.reason === 'Expired') throw errors.gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
        throw err;
      }
      if (!rev) rev = Number(res.header.revision);
      for (let i = 0; i < res.kvs.length; i++) {
        const kv = res.kvs[i];
        const obj = objectOf(this.#versionOfKv(kv));
        if (opts.filter && !opts.filter(obj)) continue;
        items.push(obj);
        if (limit && items.length === limit) {
          const moreInChunk = i < res.kvs.length - 1 || res.more;
          if (!moreInChunk) return { items, resourceVersion: String(rev) };
          const next = `${kv.key.toString('utf8')}\u0000`;
          const remaining = opts.filter ? undefined : Number(res.count) - (i + 1);
          return { items, resourceVersion: String(rev), continueToken: encodeContinue({ rv: rev, start: next }), remainingItemCount: remaining };
        }
      }
      if (!res.more || res.kvs.length === 0) return { items, resourceVersion: String(rev) };
      start = `${res.kvs[res.kvs.length - 1].key.toString('utf8')}\u0000`;
    }
  }

  /** The store's current revision. */
  async currentRevision(): Promise<number> {
    const res = await this.client.get('\u0000').exec().catch((e: unknown) => {
      throw storageError(e);
    });
    return Number(res.header.revision);
  }

  /** True when etcd still has history at `rev` under `prefix` (not compacted away). */
  async revisionAvailable(prefix: string, rev: number): Promise<boolean> {
    try {
      await this.client.getAll().prefix(prefix).revision(rev).limit(1).keys();
      return true;
    } catch (e) {
      if (storageError(e).reason === 'Expired') return false;
      throw storageError(e);
    }
  }
}
