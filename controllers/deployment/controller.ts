// The Deployment controller, as kube-controller-manager's deployment_controller.go: on shared
// informers of Deployments, ReplicaSets and Pods, a sync claims the ReplicaSets its selector
// matches (adopting orphans, releasing what stops matching), asks plan.ts what one step of
// the rollout is, and carries it out: ReplicaSets created, scaled by a PUT of spec.replicas
// whose resourceVersion is the precondition (a stale cache gets 409 and the key comes back),
// old ones deleted, the status (and revision annotation) through /status, and a look again
// when a rollout's progress deadline would pass. Keys are namespace/name on a work queue with
// `workers` workers.
import type { Logger } from 'pino';
import { isApiError } from '../../api/errors.js';
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import type { Pod } from '../../api/types/core.js';
import { objectKey, type Informer } from '../../client/informer.js';
import type { ResourceClient } from '../../client/rest.js';
import { ControllerLoop, LoopController, type ControllerOptions } from '../controller-loop.js';
import { claimObjects, controllerRefOf, recheckOwner } from '../controller-ref.js';
import { ownersSelecting, resolveControllerRef, selectorOf } from '../owners.js';
import { REPLICA_SET_KIND } from '../replicaset/controller.js';
import { newCondition, PROGRESSING, REASON, setCondition } from './conditions.js';
import { DEPLOYMENT_KIND, hasProgressDeadline } from './new-replica-set.js';
import { planDeploymentSync, type DeploymentSyncPlan } from './plan.js';
import { equalIgnoreHash } from './replica-sets.js';
import type { DeploymentAction, PlannedEvent } from './working-set.js';
import { metaTime } from '../../api/time.js';

export interface DeploymentControllerOptions extends ControllerOptions {
  /** --concurrent-deployment-syncs (5). */
  workers?: number;
  /** ms since the epoch (tests move it). */
  now?: () => number;
}

/** RFC 3339 to the second, as metav1.Time. */

export class DeploymentController extends LoopController {
  readonly #rsClient: ResourceClient<ReplicaSet>;
  readonly #deployClient: ResourceClient<Deployment>;
  readonly #now: () => number;
  readonly #log?: Logger;
  readonly deployments: Informer<Deployment>;
  readonly replicaSets: Informer<ReplicaSet>;
  readonly pods: Informer<Pod>;

  constructor(o: DeploymentControllerOptions) {
    super();
    this.#rsClient = o.client.resourceByName<ReplicaSet>('replicasets', 'apps');
    this.#deployClient = o.client.resourceByName<Deployment>('deployments', 'apps');
    this.#now = o.now ?? Date.now;
    this.#log = o.logger;
    this.loop = new ControllerLoop({
      ...o,
      workers: o.workers ?? 5,
      name: 'deployment-controller',
      sync: (key) => this.syncDeployment(key),
      // Every cache full: every Deployment gets a sync.
      synced: () => this.loop.enqueueAll(this.deployments),
    });
    const enqueue = (d: Deployment) => this.loop.enqueue(d);
    this.deployments = this.loop.informer(this.#deployClient, { add: enqueue, update: enqueue, delete: enqueue });
    const rsChanged = (rs: ReplicaSet) => this.#replicaSetChanged(rs);
    this.replicaSets = this.loop.informer(this.#rsClient, { add: rsChanged, update: (rs, old) => this.#replicaSetUpdated(rs, old), delete: rsChanged });
    const podChanged = (pod: Pod) => this.#podChanged(pod);
    this.pods = this.loop.informer(o.client.pods, { update: podChanged, delete: podChanged });
  }

  #owner(rs: ReplicaSet): Deployment | undefined {
    return resolveControllerRef(rs, DEPLOYMENT_KIND, this.deployments);
  }

  /** Deployments whose selector matches an orphan ReplicaSet: they may adopt it. */
  #matching(rs: ReplicaSet): Deployment[] {
    return ownersSelecting(rs, this.deployments, (d) => d.spec.selector);
  }

  #replicaSetChanged(rs: ReplicaSet): void {
    if (controllerRefOf(rs)) {
      const d = this.#owner(rs);
      if (d) this.loop.enqueue(d);
      return;
    }
    for (const d of this.#matching(rs)) this.loop.enqueue(d);
  }

  #replicaSetUpdated(rs: ReplicaSet, old: ReplicaSet): void {
    if (rs.metadata.resourceVersion === old.metadata.resourceVersion) return;
    if (controllerRefOf(old)?.uid !== controllerRefOf(rs)?.uid) {
      const was = this.#owner(old);
      if (was) this.loop.enqueue(was);
    }
    this.#replicaSetChanged(rs);
  }

  /** Recreate waits for the old pods to end: their end is worth a sync. */
  #podChanged(pod: Pod): void {
    const rs = resolveControllerRef(pod, REPLICA_SET_KIND, this.replicaSets);
    const d = rs && this.#owner(rs);
    if (d && d.spec.strategy?.type === 'Recreate') this.loop.enqueue(d);
  }

  /** One Deployment: claim its ReplicaSets, plan one step, carry it out. */
  async syncDeployment(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const d = this.deployments.get(name, namespace);
    if (!d) return;
    const selector = selectorOf(d.spec.selector);
    if (!selector) return;
    const { claimed, errors } = await claimObjects(this.replicaSets.list(namespace), {
      owner: d,
      ownerKind: DEPLOYMENT_KIND,
      selector,
      resource: this.#rsClient,
      canAdopt: () => recheckOwner(d, DEPLOYMENT_KIND, () => this.#deployClient.get(name, { namespace })),
    });
    if (errors.length > 0) throw errors[0];
    const uids = new Set(claimed.map((rs) => rs.metadata.uid));
    const pods = d.spec.strategy?.type === 'Recreate' ? this.pods.list(namespace).filter((p) => uids.has(controllerRefOf(p)?.uid)) : [];
    const plan = planDeploymentSync({ deployment: d, replicaSets: claimed, pods, now: metaTime(this.#now()) });
    await this.#carryOut(d, plan);
  }

  async #carryOut(d: Deployment, plan: DeploymentSyncPlan): Promise<void> {
    for (const action of plan.actions) await this.#write(d, action);
    for (const e of plan.events) this.#record(d, e);
    if (plan.statusUpdate) {
      try {
        await this.#deployClient.updateStatus(plan.statusUpdate);
      } catch (err) {
        if (!isApiError(err, 'NotFound')) throw err;
      }
    }
    if (plan.requeueAfterMs !== undefined) this.loop.queue.addAfter(objectKey(d), plan.requeueAfterMs);
  }

  async #write(d: Deployment, a: DeploymentAction): Promise<void> {
    const namespace = d.metadata.namespace ?? '';
    if (a.kind === 'update') {
      await this.#rsClient.update(a.replicaSet, { namespace });
      return;
    }
    if (a.kind === 'delete') {
      try {
        await this.#rsClient.delete(a.name, { namespace, preconditions: { uid: a.uid, resourceVersion: a.resourceVersion } });
      } catch (err) {
        if (!isApiError(err, 'NotFound') && !isApiError(err, 'Conflict')) throw err;
      }
      return;
    }
    try {
      await this.#rsClient.create(a.replicaSet, { namespace });
    } catch (err) {
      if (isApiError(err, 'AlreadyExists')) return this.#alreadyExists(d, a.replicaSet, err);
      if (isApiError(err, 'Forbidden') && /being terminated/.test(err.message)) throw err;
      const msg = `Failed to create new replica set "${a.replicaSet.metadata.name ?? ''}": ${err instanceof Error ? err.message : String(err)}`;
      if (hasProgressDeadline(d)) {
        const next = structuredClone(d);
        next.status ??= {};
        setCondition(next.status, newCondition(PROGRESSING, 'False', REASON.failedReplicaSetCreate, msg, metaTime(this.#now())));
        await this.#deployClient.updateStatus(next).catch(() => undefined); // the create's error is the one to report
      }
      this.#record(d, { type: 'Warning', reason: REASON.failedReplicaSetCreate, message: msg });
      throw err;
    }
  }

  /**
   * The name is taken. By our own ReplicaSet of this template (a cache behind the create):
   * nothing to do. By another: a hash collision, so collisionCount goes up and the next sync
   * makes another name.
   */
  async #alreadyExists(d: Deployment, wanted: ReplicaSet, err: Error): Promise<void> {
    const name = wanted.metadata.name ?? '';
    const existing = this.replicaSets.get(name, d.metadata.namespace) ?? (await this.#rsClient.get(name, { namespace: d.metadata.namespace }));
    if (controllerRefOf(existing)?.uid === d.metadata.uid && equalIgnoreHash(d.spec.template, existing.spec.template)) return;
    const next = structuredClone(d);
    next.status = { ...next.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 };
    await this.#deployClient.updateStatus(next);
    this.#log?.info({ deployment: objectKey(d), collisionCount: next.status.collisionCount }, 'found a hash collision for deployment - bumping collisionCount to resolve it');
    throw err;
  }

  #record(d: Deployment, e: PlannedEvent): void {
    const ref = { apiVersion: DEPLOYMENT_KIND.apiVersion, kind: DEPLOYMENT_KIND.kind, name: d.metadata.name, namespace: d.metadata.namespace, uid: d.metadata.uid, resourceVersion: d.metadata.resourceVersion };
    this.loop.events.event(ref, e.type, e.reason, e.message);
  }
}
