// The EndpointSlice controller, as kube-controller-manager's endpointslice_controller.go: on
// shared informers of Services, Pods, Nodes and EndpointSlices, every Service with a selector has
// slices of its pods (plan.ts decides which writes), labelled kubernetes.io/service-name and
// managed-by endpointslice-controller.k8s.io. A pod event queues its Services at once (no
// batching: a readiness change reaches the slices within one sync). Slices managed by anyone
// else, as those of Services without a selector, are never touched. The slices' deletion with
// their Service is the garbage collector's (they are owned by it). A sync whose cache lags this
// controller's own last writes waits for the watch (own-writes.ts).
import type { Logger } from 'pino';
import { isApiError, isNamespaceTerminating } from '../../api/errors.js';
import { LABEL_MANAGED_BY, LABEL_SERVICE_NAME } from '../../api/service-endpoints.js';
import type { Node, Pod } from '../../api/types/core.js';
import type { EndpointSlice, Service } from '../../api/types/service.js';
import type { Informer } from '../../client/informer.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { OwnWrites } from '../own-writes.js';
import { selectedPods, watchServicesAndPods } from '../service-pods.js';
import { ControllerLoop, LoopController } from '../controller-loop.js';
import type { SharedInformers } from '../shared-informers.js';
import { LABEL_TOPOLOGY_ZONE } from './desired-endpoints.js';
import { CONTROLLER_NAME, MAX_ENDPOINTS_PER_SLICE, planEndpointSlices } from './plan.js';

export interface EndpointSliceControllerOptions {
  client: RestClient;
  informers?: SharedInformers;
  /** --concurrent-service-endpoint-syncs (5). */
  workers?: number;
  /** --max-endpoints-per-slice (100). */
  maxEndpointsPerSlice?: number;
  logger?: Logger;
}

const managed = (s: EndpointSlice) => s.metadata.labels?.[LABEL_MANAGED_BY] === CONTROLLER_NAME;
const serviceKeyOf = (s: EndpointSlice) => `${s.metadata.namespace ?? ''}/${s.metadata.labels?.[LABEL_SERVICE_NAME] ?? ''}`;

export class EndpointSliceController extends LoopController {
  readonly #slicesClient: ResourceClient<EndpointSlice>;
  readonly #max: number;
  readonly #writes = new OwnWrites();
  readonly services: Informer<Service>;
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  readonly slices: Informer<EndpointSlice>;

  constructor(o: EndpointSliceControllerOptions) {
    super();
    this.#slicesClient = o.client.resourceByName<EndpointSlice>('endpointslices', 'discovery.k8s.io');
    this.#max = o.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
    this.loop = new ControllerLoop({
      ...o,
      workers: o.workers ?? 5,
      name: 'endpointslice-controller',
      sync: (key) => this.syncService(key),
      synced: () => this.loop.enqueueAll(this.services),
    });
    this.services = this.loop.informer(o.client.resourceByName<Service>('services', ''));
    this.pods = this.loop.informer(o.client.pods);
    this.nodes = this.loop.informer(o.client.nodes);
    this.slices = this.loop.informer(this.#slicesClient);

    const add = (key: string) => this.loop.queue.add(key);
    watchServicesAndPods(this.services, this.pods, add);
    // Our slices changed by anyone (or just seen after our own write): the Service looks again.
    this.slices.on('add', (s) => managed(s) && add(serviceKeyOf(s)));
    this.slices.on('update', (s, old) => {
      if (managed(s) || managed(old)) add(serviceKeyOf(managed(s) ? s : old));
    });
    this.slices.on('delete', (s) => {
      if (!managed(s)) return;
      this.#writes.observedDelete(serviceKeyOf(s), s.metadata.name ?? '');
      add(serviceKeyOf(s));
    });
  }

  #nodeZone = (name: string): string | undefined | null => {
    const node = this.nodes.get(name);
    return node ? node.metadata.labels?.[LABEL_TOPOLOGY_ZONE] : null;
  };

  async syncService(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const svc = this.services.get(name, namespace);
    if (!svc) {
      this.#writes.forget(key);
      return;
    }
    // ExternalName and selectorless Services get no slices from this controller.
    if (svc.spec.type === 'ExternalName' || !svc.spec.selector) return;
    const ours = this.slices.list(namespace).filter((s) => managed(s) && s.metadata.labels?.[LABEL_SERVICE_NAME] === name);
    if (this.#writes.stale(key, ours)) return;
    const plan = planEndpointSlices({
      service: svc,
      pods: selectedPods(svc, this.pods.list(namespace)),
      slices: ours.filter((s) => !s.metadata.deletionTimestamp),
      nodeZone: this.#nodeZone,
      maxEndpointsPerSlice: this.#max,
    });
    for (const slice of plan.create) {
      try {
        this.#writes.wrote(key, await this.#slicesClient.create(slice, { namespace }));
      } catch (err) {
        // A namespace being deleted refuses creates for good: drop the Service.
        if (isNamespaceTerminating(err)) return;
        throw err;
      }
    }
    for (const slice of plan.update) this.#writes.wrote(key, await this.#slicesClient.update(slice, { namespace }));
    for (const slice of plan.delete) {
      const sliceName = slice.metadata.name ?? '';
      try {
        await this.#slicesClient.delete(sliceName, { namespace });
      } catch (err) {
        if (!isApiError(err, 'NotFound')) throw err;
      }
      this.#writes.deleted(key, sliceName);
    }
    if (plan.missingNodes.length > 0) throw new Error(`pods of Service ${key} are on nodes that do not exist: ${plan.missingNodes.join(', ')}`);
  }
}
