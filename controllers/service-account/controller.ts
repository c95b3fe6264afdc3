// The ServiceAccount controller (kube-controller-manager's serviceaccounts-controller): on
// informers of Namespaces and ServiceAccounts, every Active namespace has its `default`
// ServiceAccount; one deleted is created again. Keys are namespace names on the work queue;
// what to create is plan.ts's.
import type { Logger } from 'pino';
import { isApiError } from '../../api/errors.js';
import type { Namespace, ServiceAccount } from '../../api/types/core.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import { ControllerLoop } from '../controller-loop.js';
import type { SharedInformers } from '../shared-informers.js';
import { ENSURED_SERVICE_ACCOUNTS, serviceAccountsToCreate } from './plan.js';

export interface ServiceAccountControllerOptions {
  client: RestClient;
  /** The controller-manager's informers; by default the controller keeps its own. */
  informers?: SharedInformers;
  logger?: Logger;
}

export class ServiceAccountController {
  readonly #client: RestClient;
  readonly #log?: Logger;
  readonly #loop: ControllerLoop;
  readonly namespaces: Informer<Namespace>;
  readonly serviceAccounts: Informer<ServiceAccount>;

  constructor(o: ServiceAccountControllerOptions) {
    this.#client = o.client;
    this.#log = o.logger;
    const queueNs = (ns: Namespace) => this.#loop.queue.add(ns.metadata.name ?? '');
    // Both caches filled before the first sync, so an existing ServiceAccount is never created again.
    this.#loop = new ControllerLoop({
      ...o,
      name: 'service account',
      keyField: 'namespace',
      sync: (ns) => this.syncNamespace(ns),
      synced: () => this.namespaces.list().forEach(queueNs),
    });
    this.namespaces = this.#loop.informer(o.client.namespaces);
    this.serviceAccounts = this.#loop.informer(o.client.serviceAccounts);
    this.namespaces.on('add', queueNs);
    this.namespaces.on('update', queueNs);
    this.serviceAccounts.on('delete', (sa) => {
      if (ENSURED_SERVICE_ACCOUNTS.includes(sa.metadata.name ?? '')) this.#loop.queue.add(sa.metadata.namespace ?? '');
    });
  }

  start(signal?: AbortSignal): Promise<void> {
    return this.#loop.start(signal);
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Resolves once every queued namespace has been synced. For tests. */
  idle(): Promise<void> {
    return this.#loop.idle();
  }

  /** One namespace: create what plan.ts says is missing. */
  async syncNamespace(namespace: string): Promise<void> {
    const missing = serviceAccountsToCreate(this.namespaces.get(namespace), (name) => this.serviceAccounts.get(name, namespace) !== undefined);
    for (const name of missing) {
      try {
        await this.#client.serviceAccounts.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } }, { namespace });
        this.#log?.info({ namespace, name }, 'created service account');
      } catch (err) {
        // Made by someone else meanwhile (the API server makes it with its namespace), or the
        // namespace began to end or went: nothing left to do here.
        if (isApiError(err, 'AlreadyExists') || isApiError(err, 'NotFound')) continue;
        if (isApiError(err, 'Forbidden') && err.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) continue;
        throw err;
      }
    }
  }
}
