// The disruption controller (kube-controller-manager's disruption controller): on informers
// of PodDisruptionBudgets and Pods, keeps each budget's status (currentHealthy,
// desiredHealthy, expectedPods, disruptionsAllowed, disruptedPods, observedGeneration and the
// DisruptionAllowed condition) as plan.ts computes it. Keys are budgets (namespace/name) on
// the work queue; a pod's change queues the budgets covering it, before and after.
// The expected count of a maxUnavailable or percent budget is the scale of the pods'
// controllers, read from their /scale (a ReplicaSet's Deployment's when it has one); pods
// without a controller count for themselves.
import type { Logger } from 'pino';
import { budgetCovers } from '../../api/disruption.js';
import { isApiError } from '../../api/errors.js';
import { resourceForKind, resourcePath } from '../../api/resources.js';
import type { Pod } from '../../api/types/core.js';
import type { KubeObject, OwnerReference } from '../../api/types/meta.js';
import type { PodDisruptionBudget } from '../../api/types/policy.js';
import { Informer, listWatch, objectKey } from '../../client/informer.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { WorkQueue } from '../work-queue.js';
import { needsScale, planStatus, statusChanged } from './plan.js';

export interface DisruptionControllerOptions {
  client: RestClient;
  logger?: Logger;
  now?: () => number;
}

interface Scale {
  spec?: { replicas?: number };
}

export class DisruptionController {
  readonly #client: RestClient;
  readonly #log?: Logger;
  readonly #now: () => number;
  readonly #budgets: ResourceClient<PodDisruptionBudget>;
  readonly pdbs: Informer<PodDisruptionBudget>;
  readonly pods: Informer<Pod>;
  readonly #queue: WorkQueue;
  readonly #rechecks = new Map<string, NodeJS.Timeout>();

  constructor(o: DisruptionControllerOptions) {
    this.#client = o.client;
    this.#log = o.logger;
    this.#now = o.now ?? Date.now;
    this.#budgets = o.client.resourceByName<PodDisruptionBudget>('poddisruptionbudgets', 'policy');
    this.pdbs = new Informer(listWatch(this.#budgets));
    this.pods = new Informer(listWatch(o.client.pods));
    this.#queue = new WorkQueue({
      sync: (key) => this.syncBudget(key),
      onError: (key, err) => this.#log?.warn({ err, pdb: key }, 'could not sync the disruption budget; retrying'),
    });
  }

  async start(signal?: AbortSignal): Promise<void> {
    for (const inf of [this.pdbs, this.pods]) inf.on('error', (err) => this.#log?.warn({ err }, 'disruption informer error'));
    const queueBudget = (pdb: PodDisruptionBudget) => this.#queue.add(objectKey(pdb));
    this.pdbs.on('add', queueBudget);
    this.pdbs.on('update', queueBudget);
    this.pods.on('add', (pod) => this.#queuePod(pod));
    this.pods.on('update', (pod, old) => {
      this.#queuePod(pod);
      if (JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {})) this.#queuePod(old);
    });
    this.pods.on('delete', (pod) => this.#queuePod(pod));
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    // Both caches filled before the first sync, so no budget is written from half the pods.
    await Promise.all([this.pods.start(signal), this.pdbs.start(signal)]);
    for (const pdb of this.pdbs.list()) queueBudget(pdb);
  }

  async stop(): Promise<void> {
    for (const t of this.#rechecks.values()) clearTimeout(t);
    this.#rechecks.clear();
    await this.#queue.stop();
    await Promise.all([this.pdbs.stop(), this.pods.stop()]);
  }

  /** Resolves once every queued budget has been synced. For tests. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  #queuePod(pod: Pod): void {
    for (const pdb of this.pdbs.list(pod.metadata.namespace)) if (budgetCovers(pdb, pod)) this.#queue.add(objectKey(pdb));
  }

  /** One budget: its status from the cached pods, written when it changed. */
  async syncBudget(key: string): Promise<void> {
    if (!this.pdbs.hasSynced || !this.pods.hasSynced) return;
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
    clearTimeout(this.#rechecks.get(key));
    const t = setTimeout(() => {
      this.#rechecks.delete(key);
      this.#queue.add(key);
    }, Math.max(0, at - this.#now()) + 1);
    this.#rechecks.set(key, t);
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
      const ref = controllerOf(pod);
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

  /** The uid, replicas (from /scale) and controller of a pod's owner; undefined when it is gone or has no /scale. */
  async #scaled(ref: OwnerReference, namespace: string): Promise<{ uid: string; replicas: number; controller?: OwnerReference } | undefined> {
    const r = resourceForKind(ref.apiVersion, ref.kind);
    if (!r || !r.subresources.includes('scale')) return undefined;
    try {
      const obj = await this.#client.request<KubeObject>({ path: resourcePath(r, { namespace, name: ref.name }) });
      if (obj.metadata.uid !== ref.uid) return undefined;
      const scale = await this.#client.request<Scale>({ path: resourcePath(r, { namespace, name: ref.name, subresource: 'scale' }) });
      return { uid: ref.uid, replicas: scale.spec?.replicas ?? 0, controller: controllerOf(obj) };
    } catch (err) {
      if (isApiError(err, 'NotFound')) return undefined;
      throw err;
    }
  }
}

const controllerOf = (o: KubeObject): OwnerReference | undefined => o.metadata.ownerReferences?.find((r) => r.controller);
