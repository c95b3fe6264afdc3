// The Endpoints controller, as kube-controller-manager's endpoints_controller.go: on shared
// informers of Services, Pods and Endpoints, every Service with a selector has the core/v1
// Endpoints of its name listing its pods (plan.ts), for `kubectl describe svc` and older clients.
// A Service deleted takes its Endpoints with it; at start, Endpoints without a Service are looked
// at once (checkLeftoverEndpoints). Selectorless and ExternalName Services' Endpoints are left to
// whoever writes them.
import type { Logger } from 'pino';
import { isApiError, isNamespaceTerminating } from '../../api/errors.js';
import type { Pod } from '../../api/types/core.js';
import type { Endpoints, Service } from '../../api/types/service.js';
import { objectKey, type Informer } from '../../client/informer.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { OwnWrites } from '../own-writes.js';
import { selectedPods, watchServicesAndPods } from '../service-pods.js';
import { ControllerLoop, LoopController } from '../controller-loop.js';
import type { SharedInformers } from '../shared-informers.js';
import { endpointsToWrite } from './plan.js';

export interface EndpointsControllerOptions {
  client: RestClient;
  informers?: SharedInformers;
  /** --concurrent-endpoint-syncs (5). */
  workers?: number;
  logger?: Logger;
}

export class EndpointsController extends LoopController {
  readonly #endpointsClient: ResourceClient<Endpoints>;
  readonly #writes = new OwnWrites();
  readonly services: Informer<Service>;
  readonly pods: Informer<Pod>;
  readonly endpoints: Informer<Endpoints>;

  constructor(o: EndpointsControllerOptions) {
    super();
    this.#endpointsClient = o.client.resourceByName<Endpoints>('endpoints', '');
    this.loop = new ControllerLoop({
      ...o,
      workers: o.workers ?? 5,
      name: 'endpoint-controller',
      sync: (key) => this.syncService(key),
      synced: () => {
        this.loop.enqueueAll(this.services);
        // checkLeftoverEndpoints: those whose Service went while no controller ran.
        for (const ep of this.endpoints.list()) if (!this.services.get(ep.metadata.name ?? '', ep.metadata.namespace)) this.loop.enqueue(ep);
      },
    });
    this.services = this.loop.informer(o.client.resourceByName<Service>('services', ''));
    this.pods = this.loop.informer(o.client.pods);
    this.endpoints = this.loop.informer(this.#endpointsClient);

    const add = (key: string) => this.loop.queue.add(key);
    watchServicesAndPods(this.services, this.pods, add);
    // Our own write seen (a sync that waited on it goes on), or one deleted by someone: look again.
    const ofService = (ep: Endpoints) => this.services.get(ep.metadata.name ?? '', ep.metadata.namespace)?.spec.selector !== undefined;
    this.endpoints.on('add', (ep) => ofService(ep) && add(objectKey(ep)));
    this.endpoints.on('update', (ep) => ofService(ep) && add(objectKey(ep)));
    this.endpoints.on('delete', (ep) => {
      this.#writes.observedDelete(objectKey(ep), ep.metadata.name ?? '');
      if (ofService(ep)) add(objectKey(ep));
    });
  }

  async syncService(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const svc = this.services.get(name, namespace);
    if (!svc) {
      // The Service is gone: so are its Endpoints.
      this.#writes.forget(key);
      if (!this.endpoints.get(name, namespace)) return;
      try {
        await this.#endpointsClient.delete(name, { namespace });
      } catch (err) {
        if (!isApiError(err, 'NotFound')) throw err;
      }
      return;
    }
    if (svc.spec.type === 'ExternalName' || !svc.spec.selector) return;
    const current = this.endpoints.get(name, namespace);
    if (this.#writes.stale(key, current ? [current] : [])) return;
    const next = endpointsToWrite(svc, current, selectedPods(svc, this.pods.list(namespace)));
    if (!next) return;
    try {
      const written = current ? await this.#endpointsClient.update(next, { namespace }) : await this.#endpointsClient.create(next, { namespace });
      this.#writes.wrote(key, written);
    } catch (err) {
      if (!current && isNamespaceTerminating(err)) return;
      throw err;
    }
  }
}
