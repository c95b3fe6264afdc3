// The ReplicaSet controller, as kube-controller-manager's replica_set.go: on shared informers of
// ReplicaSets and Pods, every ReplicaSet has `replicas` active pods it controls. A sync claims
// the pods (controller-ref.ts), creates what is missing from the template in slow-start batches
// or deletes the surplus (plan.ts's choice), and writes the status through /status
// (status.ts). Expectations keep it from counting pods again until the watch has shown the
// creates and deletes of its last sync, so a lagging watch never makes it over-create or
// over-delete. Keys are namespace/name on a work queue with `workers` workers.
import { isApiError } from '../../api/errors.js';
import type { ReplicaSet } from '../../api/types/apps.js';
import type { Pod } from '../../api/types/core.js';
import { objectKey, type Informer } from '../../client/informer.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { filterActivePods } from '../active-pods.js';
import { ControllerLoop, LoopController, type ControllerOptions } from '../controller-loop.js';
import { claimObjects, controllerRefOf, recheckOwner, type OwnerKind } from '../controller-ref.js';
import { ControllerExpectations } from '../expectations.js';
import { deleteOwnedPods, podFromTemplate, watchOwnedPods, writeStatusOnce } from '../owned-pods.js';
import { selectorOf } from '../owners.js';
import { slowStartBatch } from '../slow-start.js';
import { BURST_REPLICAS, planReplicas } from './plan.js';
import { replicaSetStatus, statusChanged } from './status.js';

export const REPLICA_SET_KIND: OwnerKind = { apiVersion: 'apps/v1', kind: 'ReplicaSet' };

export interface ReplicaSetControllerOptions extends ControllerOptions {
  /** --concurrent-replicaset-syncs (5). */
  workers?: number;
  burstReplicas?: number;
  now?: () => number;
}

export class ReplicaSetController extends LoopController {
  readonly #client: RestClient;
  readonly #rsClient: ResourceClient<ReplicaSet>;
  readonly #burst: number;
  readonly #now: () => number;
  readonly replicaSets: Informer<ReplicaSet>;
  readonly pods: Informer<Pod>;
  readonly expectations = new ControllerExpectations();

  constructor(o: ReplicaSetControllerOptions) {
    super();
    this.#client = o.client;
    this.#rsClient = o.client.resourceByName<ReplicaSet>('replicasets', 'apps');
    this.#burst = o.burstReplicas ?? BURST_REPLICAS;
    this.#now = o.now ?? Date.now;
    this.loop = new ControllerLoop({
      ...o,
      workers: o.workers ?? 5,
      name: 'replicaset-controller',
      sync: (key) => this.syncReplicaSet(key),
      // Both caches full: every ReplicaSet gets a sync.
      synced: () => this.loop.enqueueAll(this.replicaSets),
    });
    const enqueue = (rs: ReplicaSet) => this.loop.enqueue(rs);
    const deleted = (rs: ReplicaSet) => {
      this.expectations.delete(objectKey(rs));
      enqueue(rs);
    };
    this.replicaSets = this.loop.informer(this.#rsClient, { add: enqueue, update: enqueue, delete: deleted });
    this.pods = this.loop.informer(o.client.pods);
    watchOwnedPods(this.pods, { kind: REPLICA_SET_KIND, owners: this.replicaSets, selectorOf: (rs) => selectorOf(rs.spec.selector), expectations: this.expectations, enqueue });
  }

  /** One ReplicaSet: claim its pods, create or delete what the plan says, write its status. */
  async syncReplicaSet(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const needsSync = this.expectations.satisfied(key);
    const rs = this.replicaSets.get(name, namespace);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const selector = selectorOf(rs.spec.selector);
    if (!selector) return;
    const { claimed, errors } = await claimObjects(filterActivePods(this.pods.list(namespace)), {
      owner: rs,
      ownerKind: REPLICA_SET_KIND,
      selector,
      resource: this.#client.pods,
      canAdopt: () => recheckOwner(rs, REPLICA_SET_KIND, () => this.#rsClient.get(name, { namespace })),
    });
    if (errors.length > 0) throw errors[0];

    let manageError: unknown;
    if (needsSync && !rs.metadata.deletionTimestamp) manageError = await this.#manageReplicas(key, rs, claimed);
    const { status, nextAvailableInMs } = replicaSetStatus(rs, claimed, manageError, this.#now());
    await this.#writeStatus(rs, status);
    // A ready pod becomes available after minReadySeconds with no event to say so: look again then.
    if (manageError === undefined && nextAvailableInMs !== undefined) this.loop.queue.addAfter(key, nextAvailableInMs + 1);
    if (manageError !== undefined) throw manageError;
  }

  /**
   * getIndirectlyRelatedPods: for a ReplicaSet that a Deployment controls, the active pods of
   * all that Deployment's ReplicaSets, so that scaling down thins the nodes where its pods crowd
   * whichever ReplicaSet they belong to. Undefined (its own pods) otherwise.
   */
  #relatedPods(rs: ReplicaSet): Pod[] | undefined {
    const owner = controllerRefOf(rs);
    if (!owner) return undefined;
    const siblings = new Set(this.replicaSets.list(rs.metadata.namespace).filter((r) => controllerRefOf(r)?.uid === owner.uid).map((r) => r.metadata.uid));
    return filterActivePods(this.pods.list(rs.metadata.namespace)).filter((p) => siblings.has(controllerRefOf(p)?.uid));
  }

  /** Creates or deletes pods; answers the first error (the expectations already account for it). */
  async #manageReplicas(key: string, rs: ReplicaSet, pods: Pod[]): Promise<unknown> {
    const plan = planReplicas(rs.spec.replicas ?? 1, pods, this.#relatedPods(rs), this.#burst);
    const namespace = rs.metadata.namespace ?? '';
    const ref = { apiVersion: REPLICA_SET_KIND.apiVersion, kind: REPLICA_SET_KIND.kind, name: rs.metadata.name, namespace, uid: rs.metadata.uid, resourceVersion: rs.metadata.resourceVersion };
    if (plan.create > 0) {
      this.expectations.expectCreations(key, plan.create);
      const { successes, error } = await slowStartBatch(plan.create, 1, async () => {
        if (this.loop.stopping.aborted) throw new Error('the controller is stopping');
        try {
          const pod = await this.#client.pods.create(podFromTemplate(rs, REPLICA_SET_KIND, rs.spec.template), { namespace });
          this.loop.events.event(ref, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name ?? ''}`);
        } catch (err) {
          // The namespace is going away: nothing will ever be created there again.
          if (isApiError(err, 'Forbidden') && /being terminated/.test(err.message)) return;
          this.loop.events.event(ref, 'Warning', 'FailedCreate', `Error creating: ${err instanceof Error ? err.message : String(err)}`);
          throw err;
        }
      });
      // The creates not made will never show on the watch.
      for (let i = successes; i < plan.create; i++) this.expectations.creationObserved(key);
      return error;
    }
    if (plan.delete.length > 0) {
      this.expectations.expectDeletions(key, plan.delete.map(objectKey));
      return deleteOwnedPods(plan.delete, { pods: this.#client.pods, key, expectations: this.expectations, events: this.loop.events, ref });
    }
    return undefined;
  }

  /** PUT /status when it changed; on a conflict once more on a fresh read, as updateReplicaSetStatus. */
  async #writeStatus(rs: ReplicaSet, status: ReplicaSet['status']): Promise<void> {
    if (!status || !statusChanged(rs, status)) return;
    await writeStatusOnce(this.#rsClient, rs, status);
  }
}
