// The ServiceAccount controller (kube-controller-manager's serviceaccounts-controller): on
// informers of Namespaces and ServiceAccounts, every Active namespace has its `default`
// ServiceAccount; one deleted is created again. Keys are namespace names on the work queue;
// what to create is plan.ts's.
import type { Logger } from 'pino';
import { isApiError } from '../../api/errors.js';
import type { Namespace, ServiceAccount } from '../../api/types/core.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import { ControllerLoop, LoopController, type ControllerOptions } from '../controller-loop.js';
import { ENSURED_SERVICE_ACCOUNTS, serviceAccountsToCreate } from './plan.js';

export type ServiceAccountControllerOptions = ControllerOptions;

export class ServiceAccountController extends LoopController {
  readonly #client: RestClient;
  readonly #log?: Logger;
  readonly namespaces: Informer<Namespace>;
  readonly serviceAccounts: Informer<ServiceAccount>;

  constructor(o: ServiceAccountControllerOptions) {
    super();
    this.#client = o.client;
    this.#log = o.logger;
    const queueNs = (ns: Namespace) => this.loop.queue.add(ns.metadata.name ?? '');
    // Both caches filled before the first sync, so an existing ServiceAccount is never created again.
    this.loop = new ControllerLoop({
      ...o,
      name: 'serviceaccount-controller',
      sync: (ns) => this.syncNamespace(ns),
      synced: () => this.namespaces.list().forEach(queueNs),
    });
    this.namespaces = this.loop.informer(o.client.namespaces, { add: queueNs, update: queueNs });
    const deleted = (sa: ServiceAccount) => {
      if (ENSURED_SERVICE_ACCOUNTS.includes(sa.metadata.name ?? '')) this.loop.queue.add(sa.metadata.namespace ?? '');
    };
    this.serviceAccounts = this.loop.informer(o.client.serviceAccounts, { delete: deleted });
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
