// The root CA publisher (kube-controller-manager's root-ca-cert-publisher): on informers of
// Namespaces and of the ConfigMaps named kube-root-ca.crt, every namespace holds the cluster CA
// (`--root-ca-file`) as `kube-root-ca.crt`, so that pods verify the API server at
// kubernetes.default.svc. One deleted or changed is put back. Keys are namespace names on the
// work queue; what to write is plan.ts's.
import type { Logger } from 'pino';
import { isApiError, isNamespaceTerminating } from '../../api/errors.js';
import type { ConfigMap, Namespace } from '../../api/types/core.js';
import type { Informer } from '../../client/informer.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { ControllerLoop, LoopController } from '../controller-loop.js';
import type { SharedInformers } from '../shared-informers.js';
import { ROOT_CA_CONFIGMAP, rootCAAction } from './plan.js';

export interface RootCAPublisherOptions {
  client: RestClient;
  /** The PEM bundle to publish (the contents of --root-ca-file). */
  rootCA: string;
  informers?: SharedInformers;
  logger?: Logger;
}

export class RootCAPublisher extends LoopController {
  readonly #rootCA: string;
  readonly #configMaps: ResourceClient<ConfigMap>;
  readonly namespaces: Informer<Namespace>;
  /** Every ConfigMap (the garbage collector watches them all anyway); only kube-root-ca.crt matters here. */
  readonly configMaps: Informer<ConfigMap>;

  constructor(o: RootCAPublisherOptions) {
    super();
    this.#rootCA = o.rootCA;
    this.#configMaps = o.client.resourceByName<ConfigMap>('configmaps', '');
    const queueNs = (ns: Namespace) => this.loop.queue.add(ns.metadata.name ?? '');
    // Both caches filled before the first sync, so an existing ConfigMap is never created again.
    this.loop = new ControllerLoop({
      ...o,
      name: 'root-ca-cert-publisher',
      sync: (ns) => this.syncNamespace(ns),
      synced: () => this.namespaces.list().forEach(queueNs),
    });
    this.namespaces = this.loop.informer(o.client.namespaces);
    this.configMaps = this.loop.informer(this.#configMaps);
    this.namespaces.on('add', queueNs);
    this.namespaces.on('update', (ns) => {
      if ((ns.status?.phase ?? 'Active') === 'Active') queueNs(ns);
    });
    const queueCm = (cm: ConfigMap) => {
      if (cm.metadata.name === ROOT_CA_CONFIGMAP) this.loop.queue.add(cm.metadata.namespace ?? '');
    };
    this.configMaps.on('add', queueCm);
    this.configMaps.on('update', queueCm);
    this.configMaps.on('delete', queueCm);
  }

  async syncNamespace(namespace: string): Promise<void> {
    const action = rootCAAction(this.namespaces.get(namespace), this.configMaps.get(ROOT_CA_CONFIGMAP, namespace), this.#rootCA);
    if (!action) return;
    try {
      if ('create' in action) await this.#configMaps.create(action.create, { namespace });
      else await this.#configMaps.update(action.update, { namespace });
    } catch (err) {
      // The namespace went or is ending: nothing to publish there. A conflict or a create that
      // raced another: the watch brings the current one and queues the namespace again.
      if (isApiError(err, 'NotFound') || isApiError(err, 'AlreadyExists') || isApiError(err, 'Conflict')) return;
      if (isNamespaceTerminating(err)) return;
      throw err;
    }
  }
}
