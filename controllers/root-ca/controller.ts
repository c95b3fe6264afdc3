// The root CA publisher (kube-controller-manager's root-ca-cert-publisher): on informers of
// Namespaces and of the ConfigMaps named kube-root-ca.crt, every namespace holds the cluster CA
// (`--root-ca-file`) as `kube-root-ca.crt`, so that pods verify the API server at
// kubernetes.default.svc. One deleted or changed is put back. Keys are namespace names on the
// work queue; what to write is plan.ts's.
import type { Logger } from 'pino';
import { isApiError } from '../../api/errors.js';
import type { ConfigMap, Namespace } from '../../api/types/core.js';
import { Informer, listWatch } from '../../client/informer.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { SharedInformers } from '../shared-informers.js';
import { WorkQueue } from '../work-queue.js';
import { ROOT_CA_CONFIGMAP, rootCAAction } from './plan.js';

export interface RootCAPublisherOptions {
  client: RestClient;
  /** The PEM bundle to publish (the contents of --root-ca-file). */
  rootCA: string;
  informers?: SharedInformers;
  logger?: Logger;
}

export class RootCAPublisher {
  readonly #rootCA: string;
  readonly #log?: Logger;
  readonly #configMaps: ResourceClient<ConfigMap>;
  readonly #informers: SharedInformers;
  readonly #ownInformers: boolean;
  readonly #queue: WorkQueue;
  readonly namespaces: Informer<Namespace>;
  readonly rootCAConfigMaps: Informer<ConfigMap>;

  constructor(o: RootCAPublisherOptions) {
    this.#rootCA = o.rootCA;
    this.#log = o.logger;
    this.#configMaps = o.client.resourceByName<ConfigMap>('configmaps', '');
    this.#ownInformers = !o.informers;
    this.#informers = o.informers ?? new SharedInformers();
    this.namespaces = this.#informers.informer(o.client.namespaces);
    this.rootCAConfigMaps = new Informer(listWatch(this.#configMaps, { fieldSelector: `metadata.name=${ROOT_CA_CONFIGMAP}` }));
    this.#queue = new WorkQueue({
      sync: (ns) => this.syncNamespace(ns),
      onError: (ns, err) => this.#log?.warn({ err, namespace: ns }, 'could not publish kube-root-ca.crt; retrying'),
    });
    const queueNs = (ns: Namespace) => this.#queue.add(ns.metadata.name ?? '');
    this.namespaces.on('add', queueNs);
    this.namespaces.on('update', (ns) => {
      if ((ns.status?.phase ?? 'Active') === 'Active') queueNs(ns);
    });
    const queueCm = (cm: ConfigMap) => this.#queue.add(cm.metadata.namespace ?? '');
    this.rootCAConfigMaps.on('add', queueCm);
    this.rootCAConfigMaps.on('update', queueCm);
    this.rootCAConfigMaps.on('delete', queueCm);
  }

  async start(signal?: AbortSignal): Promise<void> {
    for (const inf of [this.namespaces, this.rootCAConfigMaps]) inf.on('error', (err) => this.#log?.warn({ err }, 'root CA publisher informer error'));
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    // Both caches filled before the first sync, so an existing ConfigMap is never created again.
    await Promise.all([this.rootCAConfigMaps.start(signal), this.#informers.start(signal)]);
    for (const ns of this.namespaces.list()) this.#queue.add(ns.metadata.name ?? '');
  }

  async stop(): Promise<void> {
    await this.#queue.stop();
    await this.rootCAConfigMaps.stop();
    if (this.#ownInformers) await this.#informers.stop();
  }

  /** Resolves once every queued namespace has been synced. For tests. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  async syncNamespace(namespace: string): Promise<void> {
    if (!this.namespaces.hasSynced || !this.rootCAConfigMaps.hasSynced) return;
    const action = rootCAAction(this.namespaces.get(namespace), this.rootCAConfigMaps.get(ROOT_CA_CONFIGMAP, namespace), this.#rootCA);
    if (!action) return;
    try {
      if ('create' in action) await this.#configMaps.create(action.create, { namespace });
      else await this.#configMaps.update(action.update, { namespace });
    } catch (err) {
      // The namespace went or is ending: nothing to publish there. A conflict or a create that
      // raced another: the watch brings the current one and queues the namespace again.
      if (isApiError(err, 'NotFound') || isApiError(err, 'AlreadyExists') || isApiError(err, 'Conflict')) return;
      if (isApiError(err, 'Forbidden') && err.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return;
      throw err;
    }
  }
}
