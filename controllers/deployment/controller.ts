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
import { labelSelectorFromObject, type LabelSelectorMatcher } from '../../api/selectors/labels.js';
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import type { Pod } from '../../api/types/core.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { objectKey, type Informer } from '../../client/informer.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { claimObjects, controllerRefOf, recheckOwner, type OwnerKind } from '../controller-ref.js';
import { SharedInformers } from '../shared-informers.js';
import { WorkQueue } from '../work-queue.js';
import { newCondition, PROGRESSING, REASON, setCondition } from './conditions.js';
import { hasProgressDeadline } from './new-replica-set.js';
import { planDeploymentSync, type DeploymentSyncPlan } from './plan.js';
import { equalIgnoreHash } from './replica-sets.js';
import type { DeploymentAction, PlannedEvent } from './working-set.js';

export const DEPLOYMENT_KIND: OwnerKind = { apiVersion: 'apps/v1', kind: 'Deployment' };

export interface DeploymentControllerOptions {
  client: RestClient;
  /** The controller-manager's informers; by default the controller keeps its own. */
  informers?: SharedInformers;
  /** --concurrent-deployment-syncs (5). */
  workers?: number;
  /** ms since the epoch (tests move it). */
  now?: () => number;
  logger?: Logger;
}

/** RFC 3339 to the second, as metav1.Time. */
const rfc3339 = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

function selectorOf(obj: Deployment): LabelSelectorMatcher | undefined {
  try {
    return labelSelectorFromObject(obj.spec.selector);
  } catch {
    return undefined; // validation refuses these; a stored one selects nothing
  }
}

export class DeploymentController {
  readonly #rsClient: ResourceClient<ReplicaSet>;
  readonly #deployClient: ResourceClient<Deployment>;
  readonly #informers: SharedInformers;
  readonly #ownInformers: boolean;
  readonly #now: () => number;
  readonly #log?: Logger;
  readonly #events: EventRecorder;
  readonly #queue: WorkQueue;
  readonly deployments: Informer<Deployment>;
  readonly replicaSets: Informer<ReplicaSet>;
  readonly pods: Informer<Pod>;

  constructor(o: DeploymentControllerOptions) {
    this.#rsClient = o.client.resourceByName<ReplicaSet>('replicasets', 'apps');
    this.#deployClient = o.client.resourceByName<Deployment>('deployments', 'apps');
    this.#ownInformers = !o.informers;
    this.#informers = o.informers ?? new SharedInformers();
    this.#now = o.now ?? Date.now;
    this.#log = o.logger;
    this.#events = new EventRecorder({ client: o.client, source: { component: 'deployment-controller' }, logger: o.logger });
    this.#queue = new WorkQueue({
      workers: o.workers ?? 5,
      sync: (key) => this.syncDeployment(key),
      onError: (key, err) => this.#log?.warn({ err, deployment: key }, 'deployment sync failed; retrying'),
    });
    this.deployments = this.#informers.informer(this.#deployClient);
    this.replicaSets = this.#informers.informer(this.#rsClient);
    this.pods = this.#informers.informer(o.client.pods);
    this.deployments.on('add', (d) => this.#enqueue(d));
    this.deployments.on('update', (d) => this.#enqueue(d));
    this.deployments.on('delete', (d) => this.#enqueue(d));
    this.replicaSets.on('add', (rs) => this.#replicaSetChanged(rs));
    this.replicaSets.on('update', (rs, old) => this.#replicaSetUpdated(rs, old));
    this.replicaSets.on('delete', (rs) => this.#replicaSetChanged(rs));
    this.pods.on('update', (pod) => this.#podChanged(pod));
    this.pods.on('delete', (pod) => this.#podChanged(pod));
  }

  async start(signal?: AbortSignal): Promise<void> {
    for (const inf of [this.deployments, this.replicaSets, this.pods]) inf.on('error', (err) => this.#log?.warn({ err }, 'deployment controller informer error'));
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    await this.#informers.start(signal);
    // Syncs before the caches were filled did nothing: every Deployment gets one now.
    for (const d of this.deployments.list()) this.#enqueue(d);
  }

  async stop(): Promise<void> {
    await this.#queue.stop();
    if (this.#ownInformers) await this.#informers.stop();
    await this.#events.flush();
  }

  /** Resolves once every queued Deployment has been synced. For tests. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  #enqueue(d: Deployment): void {
    this.#queue.add(objectKey(d));
  }

  /** The Deployment a controllerRef points at, if it is still that one. */
  #owner(obj: ReplicaSet): Deployment | undefined {
    const ref = controllerRefOf(obj);
    if (!ref || ref.kind !== DEPLOYMENT_KIND.kind || ref.apiVersion.split('/')[0] !== 'apps') return undefined;
    const d = this.deployments.get(ref.name, obj.metadata.namespace);
    return d?.metadata.uid === ref.uid ? d : undefined;
  }

  /** Deployments whose selector matches an orphan ReplicaSet: they may adopt it. */
  #matching(rs: ReplicaSet): Deployment[] {
    return this.deployments.list(rs.metadata.namespace).filter((d) => {
      const sel = selectorOf(d);
      return sel !== undefined && !sel.isEmpty() && sel.matches(rs.metadata.labels ?? {});
    });
  }

  #replicaSetChanged(rs: ReplicaSet): void {
    if (controllerRefOf(rs)) {
      const d = this.#owner(rs);
      if (d) this.#enqueue(d);
      return;
    }
    for (const d of this.#matching(rs)) this.#enqueue(d);
  }

  #replicaSetUpdated(rs: ReplicaSet, old: ReplicaSet): void {
    if (rs.metadata.resourceVersion === old.metadata.resourceVersion) return;
    if (controllerRefOf(old)?.uid !== controllerRefOf(rs)?.uid) {
      const was = this.#owner(old);
      if (was) this.#enqueue(was);
    }
    this.#replicaSetChanged(rs);
  }

  /** Recreate waits for the old pods to end: their end is worth a sync. */
  #podChanged(pod: Pod): void {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.replicaSets.get(ref.name, pod.metadata.namespace);
    const d = rs && rs.metadata.uid === ref.uid ? this.#owner(rs) : undefined;
    if (d && d.spec.strategy?.type === 'Recreate') this.#enqueue(d);
  }

  /** One Deployment: claim its ReplicaSets, plan one step, carry it out. */
  async syncDeployment(key: string): Promise<void> {
    if (!this.deployments.hasSynced || !this.replicaSets.hasSynced || !this.pods.hasSynced) return;
    const [namespace = '', name = ''] = key.split('/');
    const d = this.deployments.get(name, namespace);
    if (!d) return;
    const selector = selectorOf(d);
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
    const plan = planDeploymentSync({ deployment: d, replicaSets: claimed, pods, now: rfc3339(this.#now()) });
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
    if (plan.requeueAfterMs !== undefined) this.#queue.addAfter(objectKey(d), plan.requeueAfterMs);
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
        setCondition(next.status, newCondition(PROGRESSING, 'False', REASON.failedReplicaSetCreate, msg, rfc3339(this.#now())));
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
    this.#events.event(ref, e.type, e.reason, e.message);
  }
}
