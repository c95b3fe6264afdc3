// The disruption controller (kube-controller-manager's disruption controller): on shared
// informers of PodDisruptionBudgets, Pods, ReplicaSets and Deployments, keeps each budget's status (currentHealthy,
// desiredHealthy, expectedPods, disruptionsAllowed, disruptedPods, observedGeneration and the
// DisruptionAllowed condition) as plan.ts computes it. Keys are budgets (namespace/name) on
// the work queue (one worker, as Kubernetes' has; it has no flag); a pod's change queues the
// budgets covering it, before and after, and so does a change of the replicas of the
// ReplicaSet or Deployment controlling it, so a scale shows in the budget before any pod
// comes or goes (Kubernetes only lists those kinds and sees the scale at the next pod event).
// The expected count of a maxUnavailable or percent budget is the scale of the pods'
// controllers: a ReplicaSet's or Deployment's replicas from the caches (a ReplicaSet's
// Deployment's when it has one), any other kind's from its /scale; pods without a controller
// count for themselves.
import { budgetCovers } from '../../api/disruption.js';
import { isApiError } from '../../api/errors.js';
import { resourceForKind, resourcePath } from '../../api/resources.js';
import type { Pod } from '../../api/types/core.js';
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import type { KubeObject, OwnerReference } from '../../api/types/meta.js';
import type { PodDisruptionBudget } from '../../api/types/policy.js';
import type { Informer } from '../../client/informer.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { ControllerLoop, LoopController, type ControllerOptions } from '../controller-loop.js';
import { controllerRefOf } from '../controller-ref.js';
import { DEPLOYMENT_KIND } from '../deployment/new-replica-set.js';
import { labelsChanged, resolveControllerRef } from '../owners.js';
import { REPLICA_SET_KIND } from '../replicaset/controller.js';
import { needsScale, planStatus, statusChanged } from './plan.js';

export interface DisruptionControllerOptions extends ControllerOptions {
  now?: () => number;
}

interface Scale {
  spec?: { replicas?: number };
}

export class DisruptionController extends LoopController {
  readonly #client: RestClient;
  readonly #now: () => number;
  readonly #budgets: ResourceClient<PodDisruptionBudget>;
  readonly pdbs: Informer<PodDisruptionBudget>;
  readonly pods: Informer<Pod>;
  readonly replicaSets: Informer<ReplicaSet>;
  readonly deployments: Informer<Deployment>;
  readonly #rechecks = new Map<string, NodeJS.Timeout>();

  constructor(o: DisruptionControllerOptions) {
    super();
    this.#client = o.client;
    this.#now = o.now ?? Date.now;
    this.#budgets = o.client.resourceByName<PodDisruptionBudget>('poddisruptionbudgets', 'policy');
    // One worker, as Kubernetes' has. Every cache filled before the first sync, so no budget
    // is written from half the pods.
    this.loop = new ControllerLoop({
      ...o,
      name: 'disruption-controller',
      sync: (key) => this.syncBudget(key),
      synced: () => this.loop.enqueueAll(this.pdbs),
    });
    // The shared informers may go on calling the handlers after stop(), which then start no timer.
    this.loop.stopping.addEventListener('abort', () => {
      for (const t of this.#rechecks.values()) clearTimeout(t);
      this.#rechecks.clear();
    });
    const queueBudget = (pdb: PodDisruptionBudget) => this.loop.enqueue(pdb);
    this.pdbs = this.loop.informer(this.#budgets, { add: queueBudget, update: queueBudget });
    const queuePod = (pod: Pod) => this.#queuePod(pod);
    const relabelled = (pod: Pod, old: Pod) => {
      queuePod(pod);
      if (labelsChanged(pod, old)) queuePod(old);
    };
    this.pods = this.loop.informer(o.client.pods, { add: queuePod, update: relabelled, delete: queuePod });
    const scaled = (o: ReplicaSet | Deployment, old: ReplicaSet | Deployment) => {
      if (o.spec.replicas !== old.spec.replicas) this.#queueControlledBy(o);
    };
    this.replicaSets = this.loop.informer(o.client.resourceByName<ReplicaSet>('replicasets', 'apps'), { update: scaled });
    this.deployments = this.loop.informer(o.client.resourceByName<Deployment>('deployments', 'apps'), { update: scaled });
  }

  /** The budgets covering the pods `owner` controls, itself or through a ReplicaSet it controls. */
  #queueControlledBy(owner: KubeObject): void {
    const uid = owner.metadata.uid;
    for (const pod of this.pods.list(owner.metadata.namespace)) {
      const rs = resolveControllerRef(pod, REPLICA_SET_KIND, this.replicaSets);
      if (controllerRefOf(pod)?.uid === uid || (rs && controllerRefOf(rs)?.uid === uid)) this.#queuePod(pod);
    }
  }

  #queuePod(pod: Pod): void {
    for (const pdb of this.pdbs.list(pod.metadata.namespace)) if (budgetCovers(pdb, pod)) this.loop.enqueue(pdb);
  }

  /** One budget: its status from the cached pods, written when it changed. */
  async syncBudget(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const pdb = this.pdbs.get(name, namespace);
    if (!pdb) return;
    const pods = this.pods.list(namespace).filter((p) => budgetCovers(pdb, p));
    const scale = needsScale(pdb) ? await this.#expectedScale(pods) : undefined;
    const { status, recheckAt } = planStatus(pdb, pods, this.#now(), scale);
    if (recheckAt !== undefined) this.#recheck(key, recheckAt);
    if (!statusChanged(pdb.status, status)) return;
    try {
      await this.#budgets.updateStatus({ ...pdb, status }, { namespace });
    } catch (err) {
      // Gone meanwhile: nothing to keep. A conflict (an eviction spent the budget) is retried
      // by the queue once the informer has the newer version.
      if (isApiError(err, 'NotFound')) return;
      throw err;
    }
  }

  /** A sync again when the earliest disruptedPods entry expires. */
  #recheck(key: string, at: number): void {
    if (this.loop.stopping.aborted) return;
    clearTimeout(this.#rechecks.get(key));
    const t = setTimeout(() => {
      this.#rechecks.delete(key);
      this.loop.queue.add(key);
    }, Math.max(0, at - this.#now()) + 1);
    this.#rechecks.set(key, t);
  }

  /**
   * A ReplicaSet or Deployment `ref` names, from the caches as Kubernetes' finders read them
   * (null when the cached one is gone or another of that name); undefined for any other kind.
   */
  #cachedOwner(ref: OwnerReference, namespace: string): ReplicaSet | Deployment | null | undefined {
    const cache = ref.apiVersion.split('/')[0] !== 'apps' ? undefined : ref.kind === REPLICA_SET_KIND.kind ? this.replicaSets : ref.kind === DEPLOYMENT_KIND.kind ? this.deployments : undefined;
    if (!cache) return undefined;
    const owner = (cache as Informer<ReplicaSet | Deployment>).get(ref.name, namespace);
    return owner?.metadata.uid === ref.uid ? owner : null;
  }

  /**
   * getExpectedScale: the replicas of each distinct controller of the pods, read from its
   * /scale (a ReplicaSet's Deployment's, when a Deployment controls it, as Kubernetes'
   * finders do), plus one for each pod without a controller. A controller whose kind has no
   * /scale here, or that is gone, is an Error: the budget then allows nothing (SyncFailed).
   */
  async #expectedScale(pods: Pod[]): Promise<number | Error> {
    const seen = new Set<string>();
    let total = 0;
    for (const pod of pods) {
      const ref = controllerRefOf(pod);
      if (!ref) {
        total++;
        continue;
      }
      const namespace = pod.metadata.namespace ?? '';
      const noController = new Error(`found no controllers for pod "${pod.metadata.name ?? ''}"`);
      const owner = await this.#scaled(ref, namespace);
      if (!owner) return noController;
      // A ReplicaSet of a Deployment counts as the Deployment does, whatever its own size mid-rollout.
      const top = (owner.controller && (await this.#scaled(owner.controller, namespace))) || owner;
      if (seen.has(top.uid)) continue;
      seen.add(top.uid);
      total += top.replicas;
    }
    return total;
  }

  /** The uid, replicas and controller of a pod's owner; undefined when it is gone or has no /scale. */
  async #scaled(ref: OwnerReference, namespace: string): Promise<{ uid: string; replicas: number; controller?: OwnerReference } | undefined> {
    const cached = this.#cachedOwner(ref, namespace);
    if (cached !== undefined) {
      if (cached === null) return undefined;
      return { uid: ref.uid, replicas: cached.spec.replicas ?? 1, controller: controllerRefOf(cached) };
    }
    const r = resourceForKind(ref.apiVersion, ref.kind);
    if (!r || !r.subresources.includes('scale')) return undefined;
    try {
      const obj = await this.#client.request<KubeObject>({ path: resourcePath(r, { namespace, name: ref.name }) });
      if (obj.metadata.uid !== ref.uid) return undefined;
      const scale = await this.#client.request<Scale>({ path: resourcePath(r, { namespace, name: ref.name, subresource: 'scale' }) });
      return { uid: ref.uid, replicas: scale.spec?.replicas ?? 0, controller: controllerRefOf(obj) };
    } catch (err) {
      if (isApiError(err, 'NotFound')) return undefined;
      throw err;
    }
  }
}

