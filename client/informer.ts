// A list-watch cache: list once, then watch from the list's resourceVersion, keeping a
// local copy of every object and telling handlers about adds, updates and deletes.
// Modelled on client-go's reflector and @kubernetes/client-node's informer, with typed
// handlers, a capped reconnect backoff (delay injectable for tests), bookmarks, a relist
// when the server says the version is too old (410 Expired), and AbortSignal cancellation.
import { isApiError } from '../api/errors.js';
import type { KubeList, KubeObject, Status } from '../api/types/meta.js';
import { exponentialBackoffMs } from './backoff.js';
import { abortableDelay } from './delay.js';
import type { ResourceClient } from './rest.js';
import { isExpired, type WatchEventOf } from './watch.js';

/** How an informer reaches the server; a test may hand in its own. */
export interface ListWatch<T extends KubeObject> {
  list(signal: AbortSignal): Promise<KubeList<T>>;
  watch(resourceVersion: string, signal: AbortSignal): Promise<AsyncIterable<WatchEventOf<T>>>;
}

export function listWatch<T extends KubeObject>(
  resource: ResourceClient<T>,
  opts: { namespace?: string; labelSelector?: string; fieldSelector?: string; pageSize?: number } = {},
): ListWatch<T> {
  // '' = all namespaces: an informer watches the whole cluster unless told otherwise.
  const namespace = opts.namespace ?? '';
  return {
    list: (signal) =>
      resource.listAll({ namespace, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.pageSize ?? 500, signal }),
    watch: (resourceVersion, signal) =>
      resource.watch({
        namespace,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        resourceVersion,
        allowWatchBookmarks: true,
        signal,
      }),
  };
}

export interface InformerHandlers<T> {
  add: (obj: T) => void;
  update: (obj: T, old: T) => void;
  delete: (obj: T) => void;
  /** A list or watch failed; the informer retries by itself. */
  error: (err: unknown) => void;
  /** A full list has been applied to the cache (first sync and every relist). */
  synced: () => void;
}

export type InformerEvent = keyof InformerHandlers<unknown>;

export interface InformerOptions {
  /** First reconnect delay (ms), doubled per consecutive failure up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Injectable for tests; resolves after `ms` or when `signal` aborts. */
  delay?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata.name ?? ''}` : (obj.metadata?.name ?? '');
}

class RelistNeeded extends Error {}

export class Informer<T extends KubeObject> {
  readonly #lw: ListWatch<T>;
  readonly #cache = new Map<string, T>();
  readonly #handlers: { [E in InformerEvent]: Set<InformerHandlers<T>[E]> } = {
    add: new Set(),
    update: new Set(),
    delete: new Set(),
    error: new Set(),
    synced: new Set(),
  };
  readonly #initialBackoff: number;
  readonly #maxBackoff: number;
  readonly #delay: (ms: number, signal: AbortSignal) => Promise<void>;
  #abort = new AbortController();
  #running: Promise<void> | undefined;
  #resourceVersion = '';
  #synced = false;
  #firstSync: Promise<void>;
  #resolveFirstSync: () => void = () => {};

  constructor(lw: ListWatch<T>, options: InformerOptions = {}) {
    this.#lw = lw;
    this.#initialBackoff = options.initialBackoffMs ?? 500;
    this.#maxBackoff = options.maxBackoffMs ?? 30_000;
    this.#delay = options.delay ?? abortableDelay;
    this.#firstSync = new Promise((resolve) => (this.#resolveFirstSync = resolve));
  }

  on<E extends InformerEvent>(event: E, handler: InformerHandlers<T>[E]): void {
    this.#handlers[event].add(handler);
  }

  off<E extends InformerEvent>(event: E, handler: InformerHandlers<T>[E]): void {
    this.#handlers[event].delete(handler);
  }

  get hasSynced(): boolean {
    return this.#synced;
  }

  /** The last resourceVersion seen (list, event or bookmark). */
  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#cache.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Every cached object, or those of one namespace. */
  list(namespace?: string): T[] {
    const all = [...this.#cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  /**
   * Starts listing and watching in the background; resolves after the first list is in the
   * cache. Stops when `signal` aborts or stop() is called.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.#running) return this.#firstSync;
    if (signal) {
      if (signal.aborted) this.#abort.abort();
      else signal.addEventListener('abort', () => this.#abort.abort(), { once: true });
    }
    this.#running = this.#loop(this.#abort.signal);
    await Promise.race([this.#firstSync, this.#running]);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  #emit<E extends InformerEvent>(event: E, ...args: Parameters<InformerHandlers<T>[E]>): void {
    for (const h of this.#handlers[event]) {
      try {
        (h as (...a: Parameters<InformerHandlers<T>[E]>) => void)(...args);
      } catch (err) {
        // A handler's bug must not stop the informer; report it like any other error.
        if (event !== 'error') this.#emit('error', err);
      }
    }
  }

  async #loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.#relist(signal);
          needList = false;
        }
        const events = await this.#lw.watch(this.#resourceVersion, signal);
        failures = 0;
        for await (const ev of events) {
          if (signal.aborted) break;
          this.#apply(ev);
        }
        // The server closed the watch (timeout): watch again from where we are, no backoff.
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof RelistNeeded || (isApiError(err) && isExpired(err))) {
          needList = true;
          continue;
        }
        this.#emit('error', err);
        failures++;
        const wait = exponentialBackoffMs(failures, this.#initialBackoff, this.#maxBackoff);
        await this.#delay(wait, signal);
      }
    }
  }

  async #relist(signal: AbortSignal): Promise<void> {
    const list = await this.#lw.list(signal);
    const seen = new Set<string>();
    for (const item of list.items) {
      const key = objectKey(item);
      seen.add(key);
      const old = this.#cache.get(key);
      this.#cache.set(key, item);
      if (!old) this.#emit('add', item);
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion) this.#emit('update', item, old);
    }
    for (const [key, old] of this.#cache) {
      if (!seen.has(key)) {
        this.#cache.delete(key);
        this.#emit('delete', old);
      }
    }
    this.#resourceVersion = list.metadata?.resourceVersion ?? '';
    this.#synced = true;
    this.#resolveFirstSync();
    this.#emit('synced');
  }

  #apply(ev: WatchEventOf<T>): void {
    if (ev.type === 'ERROR') {
      const status: Status = ev.object;
      if (isExpired(status)) throw new RelistNeeded(status.message ?? 'resource version expired');
      throw new Error(`watch error: ${status.message ?? status.reason ?? 'unknown'} (${status.code})`);
    }
    const obj = ev.object;
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.#resourceVersion = rv;
    if (ev.type === 'BOOKMARK') return;
    const key = objectKey(obj);
    const old = this.#cache.get(key);
    if (ev.type === 'DELETED') {
      this.#cache.delete(key);
      // The watch carries the object's final state; handlers want that, not our older copy.
      if (old) this.#emit('delete', obj);
      return;
    }
    this.#cache.set(key, obj);
    if (old) this.#emit('update', obj, old);
    else this.#emit('add', obj);
  }
}
