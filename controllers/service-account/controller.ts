// The ServiceAccount controller (kube-controller-manager's serviceaccounts-controller): on
// informers of Namespaces and ServiceAccounts, every Active namespace has its `default`
// ServiceAccount; one deleted is created again. Keys are namespace names on the work queue;
// what to create is plan.ts's.
import type { Logger } from 'pino';
import { isApiError } from '../../api/errors.js';
import type { Namespace, ServiceAccount } from '../../api/types/core.js';
import { Informer, listWatch } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import { WorkQueue } from '../work-queue.js';
import { ENSURED_SERVICE_ACCOUNTS, serviceAccountsToCreate } from './plan.js';

export interface ServiceAccountControllerOptions {
  client: RestClient;
  logger?: Logger;
}

export class ServiceAccountController {
  readonly #client: RestClient;
  readonly #log?: Logger;
  readonly namespaces: Informer<Namespace>;
  readonly serviceAccounts: Informer<ServiceAccount>;
  readonly #queue: WorkQueue;

  constructor(o: ServiceAccountControllerOptions) {
    this.#client = o.client;
    this.#log = o.logger;
    this.namespaces = new Informer(listWatch(o.client.namespaces));
    this.serviceAccounts = new Informer(listWatch(o.client.serviceAccounts));
    this.#queue = new WorkQueue({
      sync: (ns) => this.syncNamespace(ns),
      onError: (ns, err) => this.#log?.warn({ err, namespace: ns }, 'could not ensure the default service account; retrying'),
    });
  }

  async start(signal?: AbortSignal): Promise<void> {
    for (const inf of [this.namespaces, this.serviceAccounts]) inf.on('error', (err) => this.#log?.warn({ err }, 'service account informer error'));
    const queueNs = (ns: Namespace) => this.#queue.add(ns.metadata.name ?? '');
    this.namespaces.on('add', queueNs);
    this.namespaces.on('update', queueNs);
    this.serviceAccounts.on('delete', (sa) => {
      if (ENSURED_SERVICE_ACCOUNTS.includes(sa.metadata.name ?? '')) this.#queue.add(sa.metadata.namespace ?? '');
    });
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    // Both caches filled before the first sync, so an existing ServiceAccount is never created again.
    await Promise.all([this.serviceAccounts.start(signal), this.namespaces.start(signal)]);
    for (const ns of this.namespaces.list()) queueNs(ns);
  }

  async stop(): Promise<void> {
    await this.#queue.stop();
    await Promise.all([this.namespaces.stop(), this.serviceAccounts.stop()]);
  }

  /** Resolves once every queued namespace has been synced. For tests. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** One namespace: create what plan.ts says is missing. */
  async syncNamespace(namespace: string): Promise<void> {
    // Before both caches are filled, nothing is known to be missing.
    if (!this.namespaces.hasSynced || !this.serviceAccounts.hasSynced) return;
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
