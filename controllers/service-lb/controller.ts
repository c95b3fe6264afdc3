// The ServiceLB controller, as k3s's servicelb (pkg/cloudprovider/servicelb.go) without its
// svclb DaemonSets: on the shared informers of Services, Nodes and EndpointSlices, every
// LoadBalancer Service without a loadBalancerClass gets status.loadBalancer.ingress from the
// nodes that would run its svclb pods (plan.ts), kept as nodes come, go, turn NotReady or are
// labelled; each node's proxy sends the ingress IPs' traffic to the Service
// (proxy/load-balancer.ts). A Service that stops being a LoadBalancer loses its ingress.
// Events as k3s's and the cloud service controller's: UpdatedLoadBalancer,
// UnAvailableLoadBalancer (no node, or every node's port held by another Service),
// DeletedLoadBalancer.
import type { Logger } from 'pino';
import { isApiError } from '../../api/errors.js';
import type { Node } from '../../api/types/core.js';
import type { EndpointSlice, LoadBalancerIngress, Service } from '../../api/types/service.js';
import type { Informer } from '../../client/informer.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { ControllerLoop, LoopController } from '../controller-loop.js';
import { OwnWrites } from '../own-writes.js';
import type { SharedInformers } from '../shared-informers.js';
import { ENABLE_LB_LABEL, LB_POOL_LABEL, ingressEqual, ingressList, planLoadBalancers, servedByServiceLB, serviceKey, type PortConflict } from './plan.js';
import { nodeReadyCondition } from '../../api/node-conditions.js';

export interface ServiceLBControllerOptions {
  client: RestClient;
  informers?: SharedInformers;
  logger?: Logger;
}

/** What of a node changes the plan: its labels that select it, readiness and addresses. */
function nodeProjection(n: Node): string {
  const l = n.metadata.labels ?? {};
  const ready = nodeReadyCondition(n)?.status;
  return JSON.stringify([l[ENABLE_LB_LABEL], l[LB_POOL_LABEL], ready, n.status?.addresses ?? []]);
}

function hasIngress(svc: Service): boolean {
  return (svc.status?.loadBalancer?.ingress?.length ?? 0) > 0;
}

export class ServiceLBController extends LoopController {
  readonly #services: ResourceClient<Service>;
  readonly #writes = new OwnWrites();
  /** The conflict last reported per Service, so a Warning is sent once per cause. */
  readonly #reported = new Map<string, string>();
  readonly services: Informer<Service>;
  readonly nodes: Informer<Node>;
  readonly slices: Informer<EndpointSlice>;

  constructor(o: ServiceLBControllerOptions) {
    super();
    this.#services = o.client.resourceByName<Service>('services', '');
    this.loop = new ControllerLoop({
      ...o,
      // k3s registers it under the cloud service controller's client name.
      name: 'service-controller',
      sync: (key) => this.syncService(key),
      onError: (key, err) => {
        if (!isApiError(err, 'Conflict')) o.logger?.warn({ err, controller: 'service-controller', key }, 'sync failed; retrying');
      },
      synced: () => this.#enqueueAll(),
    });
    this.services = this.loop.informer(this.#services);
    this.nodes = this.loop.informer(o.client.nodes);
    this.slices = this.loop.informer(o.client.resourceByName<EndpointSlice>('endpointslices', 'discovery.k8s.io'));

    // A Service taking or freeing a port changes what the others get: every change looks at all.
    const onService = (svc: Service) => (servedByServiceLB(svc) || hasIngress(svc) ? this.#enqueueAll() : undefined);
    this.services.on('add', onService);
    this.services.on('update', (svc, old) => {
      if (servedByServiceLB(old) || hasIngress(old)) this.#enqueueAll();
      else onService(svc);
    });
    this.services.on('delete', (svc) => {
      this.#writes.forget(serviceKey(svc));
      this.#reported.delete(serviceKey(svc));
      if (servedByServiceLB(svc)) this.#enqueueAll();
    });
    this.nodes.on('add', () => this.#enqueueAll());
    this.nodes.on('delete', () => this.#enqueueAll());
    this.nodes.on('update', (n, old) => (nodeProjection(n) !== nodeProjection(old) ? this.#enqueueAll() : undefined));
    // Local policy: the nodes listed are those with a ready endpoint.
    const onSlice = (s: EndpointSlice) => {
      const name = s.metadata.labels?.['kubernetes.io/service-name'];
      const svc = name ? this.services.get(name, s.metadata.namespace) : undefined;
      if (svc && servedByServiceLB(svc) && svc.spec.externalTrafficPolicy === 'Local') this.loop.enqueue(svc);
    };
    this.slices.on('add', onSlice);
    this.slices.on('update', onSlice);
    this.slices.on('delete', onSlice);
  }

  #enqueueAll(): void {
    for (const svc of this.services.list()) if (servedByServiceLB(svc) || hasIngress(svc)) this.loop.enqueue(svc);
  }

  async syncService(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const svc = this.services.get(name, namespace);
    if (!svc || this.#writes.stale(key, [svc])) return;
    const current = svc.status?.loadBalancer?.ingress ?? [];
    if (!servedByServiceLB(svc)) {
      // No longer ours to balance (another type, or a class naming another implementation):
      // its ingress goes, as the service controller's cleanup clears it.
      if (svc.spec.type === 'LoadBalancer' || current.length === 0) return;
      await this.#write(svc, []);
      this.#event(svc, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer');
      return;
    }
    const plan = planLoadBalancers(this.services.list(), this.nodes.list(), this.slices.list()).get(key);
    if (!plan) return;
    this.#reportConflict(svc, plan.conflict);
    if (ingressEqual(current, plan.ingress)) return;
    await this.#write(svc, plan.ingress);
    if (plan.ingress.length === 0) {
      if (!plan.conflict) this.#event(svc, 'Warning', 'UnAvailableLoadBalancer', 'There are no available nodes for LoadBalancer');
    } else {
      this.#event(svc, 'Normal', 'UpdatedLoadBalancer', `Updated LoadBalancer with new IPs: ${ingressList(current)} -> ${ingressList(plan.ingress)}`);
    }
  }

  /** A Service left without nodes by a port another holds: one Warning per cause (k3s's svclb pod would not schedule). */
  #reportConflict(svc: Service, conflict: PortConflict | undefined): void {
    const key = serviceKey(svc);
    if (!conflict) {
      this.#reported.delete(key);
      return;
    }
    const message = `There are no available nodes for LoadBalancer: port ${conflict.port} is held by LoadBalancer Service ${conflict.holder}`;
    if (this.#reported.get(key) === message) return;
    this.#reported.set(key, message);
    this.#event(svc, 'Warning', 'UnAvailableLoadBalancer', message);
  }

  async #write(svc: Service, ingress: LoadBalancerIngress[]): Promise<void> {
    const loadBalancer = ingress.length ? { ingress } : {};
    try {
      const written = await this.#services.updateStatus({ ...svc, status: { ...svc.status, loadBalancer } }, { namespace: svc.metadata.namespace });
      this.#writes.wrote(serviceKey(svc), written);
    } catch (err) {
      if (isApiError(err, 'NotFound')) return;
      throw err;
    }
  }

  #event(svc: Service, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const { name, namespace, uid, resourceVersion } = svc.metadata;
    this.loop.events.event({ apiVersion: 'v1', kind: 'Service', name, namespace, uid, resourceVersion }, type, reason, message);
  }
}
