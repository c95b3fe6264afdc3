// The namespace controller (kube-controller-manager's namespace-controller): a namespace whose
// deletion was asked for is emptied (content.ts), its conditions say how that goes
// (conditions.ts), and once nothing is left the "kubernetes" finalizer is removed through
// namespaces/<n>/finalize, after which the API server removes the namespace. Keys are
// namespace names on the work queue; a namespace with content left comes back after the
// queue's backoff, so a restarted controller simply picks the work up from the informer.
import type { Logger } from 'pino';
import { isApiError } from '../../api/errors.js';
import { FINALIZER_KUBERNETES } from '../../api/kinds/namespace.js';
import type { Namespace } from '../../api/types/core.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import { ControllerLoop, LoopController, type ControllerOptions } from '../controller-loop.js';
import { updatedConditions } from './conditions.js';
import { deleteNamespaceContent } from './content.js';
import { metaTime } from '../../api/time.js';

export interface NamespaceControllerOptions extends ControllerOptions {
  /** First wait before a namespace with content left is looked at again; doubled each time. */
  initialBackoffMs?: number;
  /** The longest such wait (Kubernetes waits at most half its estimate plus a second: 8 s for finalizers). */
  maxBackoffMs?: number;
  /** Namespaces emptied at once (kube-controller-manager's --concurrent-namespace-syncs, 10). */
  workers?: number;
  now?: () => Date;
}

/** Content is still going (Kubernetes' ResourcesRemainingError): not a failure, a wait. */
export class ContentRemaining extends Error {
  constructor(readonly estimateSeconds: number) {
    super(`some content remains in the namespace, estimate ${estimateSeconds} seconds before it is removed`);
  }
}

export class NamespaceController extends LoopController {
  readonly #client: RestClient;
  readonly #log?: Logger;
  readonly #now: () => Date;
  readonly namespaces: Informer<Namespace>;

  constructor(o: NamespaceControllerOptions) {
    super();
    this.#client = o.client;
    this.#log = o.logger;
    this.#now = o.now ?? (() => new Date());
    this.loop = new ControllerLoop({
      ...o,
      workers: o.workers ?? 10,
      initialBackoffMs: o.initialBackoffMs ?? 250,
      maxBackoffMs: o.maxBackoffMs ?? 8_000,
      name: 'namespace-controller',
      sync: (name) => this.syncNamespace(name),
      onError: (name, err) => {
        if (err instanceof ContentRemaining) this.#log?.debug({ namespace: name, estimateSeconds: err.estimateSeconds }, 'content remaining in namespace');
        else this.#log?.warn({ err, namespace: name }, 'deletion of namespace failed; retrying');
      },
    });
    const consider = (ns: Namespace) => {
      if (ns.metadata.deletionTimestamp) this.loop.queue.add(ns.metadata.name ?? '');
    };
    this.namespaces = this.loop.informer(o.client.namespaces, { add: consider, update: consider });
  }

  /** One pass over one namespace (NamespacedResourcesDeleter.Delete). Throws to come back later. */
  async syncNamespace(name: string): Promise<void> {
    // Others edit a terminating namespace too: work from its newest state, not the cache's.
    let ns = await this.#get(name);
    if (!ns?.metadata.deletionTimestamp) return;
    if (ns.status?.phase !== 'Terminating') {
      ns = await this.#retryOnConflict(ns, (cur) => this.#client.namespaces.updateStatus({ ...cur, status: { ...cur.status, phase: 'Terminating' } }));
      if (!ns) return;
    }
    // Finalized by us already; other finalizers are their owners' to remove.
    if (!ns.spec?.finalizers?.includes(FINALIZER_KUBERNETES)) return;

    const deletedAt = Date.parse(ns.metadata.deletionTimestamp ?? '');
    const pass = await deleteNamespaceContent(this.#client, name, deletedAt, () => this.#now().getTime());
    // Written whenever they change, so a condition that was failing says when it stops.
    const { conditions, changed } = updatedConditions(ns.status?.conditions, pass.report, metaTime(this.#now()));
    if (changed) {
      try {
        ns = await this.#client.namespaces.updateStatus({ ...ns, status: { ...ns.status, conditions } });
      } catch (err) {
        if (isApiError(err, 'NotFound')) return;
        this.#log?.warn({ err, namespace: name }, 'could not update the conditions of a terminating namespace');
      }
    }
    const { discoveryError, contentErrors } = pass.report;
    if (discoveryError !== undefined || contentErrors.length > 0) {
      throw new Error([discoveryError, ...contentErrors].filter((m) => m !== undefined).join('; '));
    }
    if (pass.remaining > 0) throw new ContentRemaining(pass.estimateSeconds);

    await this.#retryOnConflict(ns, (cur) =>
      this.#client.namespaces.update(
        { ...cur, spec: { ...cur.spec, finalizers: (cur.spec?.finalizers ?? []).filter((f) => f !== FINALIZER_KUBERNETES) } },
        { subresource: 'finalize' },
      ),
    );
    this.#log?.info({ namespace: name }, 'namespace emptied and finalized');
  }

  async #get(name: string): Promise<Namespace | undefined> {
    try {
      return await this.#client.namespaces.get(name);
    } catch (err) {
      if (isApiError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  /** Applies `write` to the newest namespace until it does not conflict; undefined once the namespace is gone (or another with its name took its place). */
  async #retryOnConflict(ns: Namespace, write: (cur: Namespace) => Promise<Namespace>): Promise<Namespace | undefined> {
    let cur = ns;
    for (;;) {
      try {
        return await write(cur);
      } catch (err) {
        if (isApiError(err, 'NotFound')) return undefined;
        if (!isApiError(err, 'Conflict')) throw err;
      }
      const next = await this.#get(cur.metadata.name ?? '');
      if (!next || next.metadata.uid !== cur.metadata.uid) return undefined;
      cur = next;
    }
  }
}
