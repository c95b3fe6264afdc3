// One controller's scaffolding, as client-go's controllers are built from a shared informer
// factory and a workqueue: its informers (the controller-manager's shared ones, or its own
// when it runs alone), a work queue of keys, an EventRecorder, and their lifecycle. A
// controller composes one loop: it asks the loop for its informers with its handlers, which
// turn events into keys, and supplies its sync. The loop logs the informers' errors; holds
// back the keys that come before every one of its caches has its first list (a sync on half
// a cache would act on what it does not see) and queues them once they have, then calls the
// controller's `synced` (which queues what the caches hold); and stops in order: the
// `stopping` signal, the queue (syncs in flight end), its own informers, the recorder.
import type { Logger } from 'pino';
import type { KubeObject } from '../api/types/meta.js';
import { EventRecorder } from '../client/event-recorder.js';
import { objectKey, type Informer, type InformerHandlers } from '../client/informer.js';
import type { ResourceClient, RestClient } from '../client/rest.js';
import { SharedInformers } from './shared-informers.js';
import { WorkQueue, type WorkQueueOptions } from './work-queue.js';

/** What every controller is built with; each controller's options add its own. */
export interface ControllerOptions {
  client: RestClient;
  /** The controller-manager's informers; by default the controller keeps its own (started and stopped with it). */
  informers?: SharedInformers;
  logger?: Logger;
}

export interface ControllerLoopOptions extends ControllerOptions, Pick<WorkQueueOptions, 'workers' | 'initialBackoffMs' | 'maxBackoffMs'> {
  /** The controller's name, as kube-controller-manager's (replicaset-controller): its logs' `controller` and its events' source component. */
  name: string;
  /** Handles one key (a throw requeues it rate-limited); not called before every cache is full. */
  sync?(key: string): Promise<void>;
  /** Replaces the "sync failed" warning (say, for an error that is only a wait). */
  onError?(key: string, err: unknown): void;
  /** Once every informer has its first list, before start() resolves: queue what the caches hold. */
  synced?(): void;
}

export class ControllerLoop {
  readonly #o: ControllerLoopOptions;
  readonly #informers: SharedInformers;
  readonly #ownInformers: boolean;
  /** The informers this loop handed out: its caches. */
  readonly #mine: Informer<KubeObject>[] = [];
  readonly #stopping = new AbortController();
  #events?: EventRecorder;
  /** Keys that came before every cache was full: queued again once they are. */
  readonly #early = new Set<string>();
  readonly queue: WorkQueue;

  constructor(o: ControllerLoopOptions) {
    this.#o = o;
    this.#ownInformers = !o.informers;
    this.#informers = o.informers ?? new SharedInformers();
    this.queue = new WorkQueue({
      workers: o.workers,
      initialBackoffMs: o.initialBackoffMs,
      maxBackoffMs: o.maxBackoffMs,
      sync: async (key) => {
        if (this.hasSynced) await o.sync?.(key);
        else this.#early.add(key);
      },
      onError: o.onError ?? ((key, err) => o.logger?.warn({ err, controller: o.name, key }, 'sync failed; retrying')),
    });
  }

  /**
   * The informer of `resource` (shared when the loop has the controller-manager's), with
   * `handlers` on it (as client-go's AddEventHandler). Ask before start(), so that the
   * handlers see the first list.
   */
  informer<T extends KubeObject>(resource: ResourceClient<T>, handlers: Partial<InformerHandlers<T>> = {}): Informer<T> {
    const inf = this.#informers.informer(resource);
    if (handlers.add) inf.on('add', handlers.add);
    if (handlers.update) inf.on('update', handlers.update);
    if (handlers.delete) inf.on('delete', handlers.delete);
    inf.on('error', (err) => this.#o.logger?.warn({ err, controller: this.#o.name }, 'informer error'));
    this.#mine.push(inf as unknown as Informer<KubeObject>);
    return inf;
  }

  /** Whether every informer of this loop has its first list in its cache. */
  get hasSynced(): boolean {
    return this.#mine.every((inf) => inf.hasSynced);
  }

  /** Aborted by stop(): no further batch of writes begins, no further timer is set. */
  get stopping(): AbortSignal {
    return this.#stopping.signal;
  }

  /** The controller's EventRecorder, made on first use. */
  get events(): EventRecorder {
    this.#events ??= new EventRecorder({ client: this.#o.client, source: { component: this.#o.name }, logger: this.#o.logger });
    return this.#events;
  }

  /** Queues the object's namespace/name key. */
  enqueue(obj: KubeObject): void {
    this.queue.add(objectKey(obj));
  }

  /** Queues every object the informer holds. */
  enqueueAll(informer: { list(): KubeObject[] }): void {
    for (const obj of informer.list()) this.enqueue(obj);
  }

  /** Starts the informers (stopping when `signal` aborts); resolves once they are synced and synced() has run. */
  async start(signal?: AbortSignal): Promise<void> {
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    await this.#informers.start(signal);
    for (const key of this.#early) this.queue.add(key);
    this.#early.clear();
    this.#o.synced?.();
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.queue.stop();
    if (this.#ownInformers) await this.#informers.stop();
    await this.#events?.flush();
  }

  /** Resolves once every queued key has been synced (keys waiting on a timer aside). For tests. */
  idle(): Promise<void> {
    return this.queue.idle();
  }
}

/**
 * A controller composed of one loop: its lifecycle is the loop's (start resolves once its
 * caches are full, stop ends it in order, idle waits for its queue). The subclass makes
 * `loop` in its constructor, asking it for its informers.
 */
export abstract class LoopController {
  protected loop!: ControllerLoop;

  start(signal?: AbortSignal): Promise<void> {
    return this.loop.start(signal);
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Resolves once every queued key has been synced. For tests. */
  idle(): Promise<void> {
    return this.loop.idle();
  }
}
