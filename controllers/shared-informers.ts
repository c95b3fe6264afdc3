// One informer per resource for a whole controller-manager, as client-go's
// SharedInformerFactory: the ReplicaSet, Deployment, garbage collector and disruption
// controllers all watch pods, and each watching on its own would cost the API server a list
// and a watch apiece and the process a copy of every pod apiece. Controllers ask for their
// informers when they are built and add their handlers; start() then lists and watches them
// all (one asked for later starts on the next start()); stop() ends them.
import type { ResourceInfo } from '../api/resources.js';
import type { KubeObject } from '../api/types/meta.js';
import { Informer, listWatch, type InformerOptions, type ListWatch } from '../client/informer.js';
import type { ResourceClient } from '../client/rest.js';

export interface SharedInformersOptions extends InformerOptions {
  /** How an informer reaches the server (default: list and watch every namespace); a test may delay the watch. */
  listWatch?: <T extends KubeObject>(resource: ResourceClient<T>) => ListWatch<T>;
}

export class SharedInformers {
  readonly #informers = new Map<ResourceInfo, Informer<KubeObject>>();
  readonly #options: SharedInformersOptions;

  constructor(options: SharedInformersOptions = {}) {
    this.#options = options;
  }

  /** The one informer of `resource` (every namespace), made on first ask. */
  informer<T extends KubeObject>(resource: ResourceClient<T>): Informer<T> {
    let inf = this.#informers.get(resource.info);
    if (!inf) {
      const r = resource as unknown as ResourceClient<KubeObject>;
      inf = new Informer<KubeObject>(this.#options.listWatch ? this.#options.listWatch(r) : listWatch(r), this.#options);
      this.#informers.set(resource.info, inf);
    }
    return inf as unknown as Informer<T>;
  }

  /** Starts every informer asked for so far; resolves once each has its first list in its cache. */
  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.#informers.values()].map((inf) => inf.start(signal)));
  }

  get hasSynced(): boolean {
    return [...this.#informers.values()].every((inf) => inf.hasSynced);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((inf) => inf.stop()));
  }
}
