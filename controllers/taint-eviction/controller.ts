// The taint eviction controller (kube-controller-manager's taint-eviction-controller, once
// the node lifecycle controller's taint manager): on informers of Nodes and Pods, a pod
// bound to a node with a NoExecute taint it does not tolerate is deleted at once; one that
// tolerates it for tolerationSeconds is deleted when the shortest of them runs out, counted
// from when this controller first saw it due, and the timer is cancelled when the taint
// goes. What each pod is due is plan.ts's; deletions go through the work queue (retried)
// with 8 workers, as Kubernetes' taint eviction controller's UpdateWorkerSize (it has no flag).
import type { Logger } from 'pino';
import { disruptionTarget } from '../../api/disruption.js';
import { isApiError } from '../../api/errors.js';
import type { Node, Pod } from '../../api/types/core.js';
import { objectKey, type Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import { ControllerLoop, LoopController, type ControllerOptions } from '../controller-loop.js';
import { planPodOnNode } from './plan.js';

export interface TaintEvictionOptions extends ControllerOptions {
  /** Deletions at once (default 8, Kubernetes' UpdateWorkerSize). */
  workers?: number;
  now?: () => number;
}

interface Scheduled {
  uid: string | undefined;
  /** When the eviction was first scheduled, and when it fires (ms since epoch). */
  createdAt: number;
  fireAt: number;
  timer: NodeJS.Timeout;
}

export class TaintEvictionController extends LoopController {
  readonly #client: RestClient;
  readonly #log?: Logger;
  readonly #now: () => number;
  readonly nodes: Informer<Node>;
  readonly pods: Informer<Pod>;
  /** Pods (namespace/name) whose eviction waits on a timer. */
  readonly #scheduled = new Map<string, Scheduled>();
  /** Pods due now, with the uid that was due (a pod of the same name made later is not). */
  readonly #due = new Map<string, string | undefined>();

  constructor(o: TaintEvictionOptions) {
    super();
    this.#client = o.client;
    this.#log = o.logger;
    this.#now = o.now ?? Date.now;
    this.loop = new ControllerLoop({
      ...o,
      workers: o.workers ?? 8,
      name: 'taint-eviction-controller',
      sync: (key) => this.#evict(key),
      // Both caches full: every pod judged against its node's taints once more.
      synced: () => this.pods.list().forEach((pod) => this.#processPod(pod)),
    });
    // The shared informers may go on calling the handlers after stop(), which then start no timer.
    this.loop.stopping.addEventListener('abort', () => {
      for (const s of this.#scheduled.values()) clearTimeout(s.timer);
      this.#scheduled.clear();
    });
    // A pod seen before its node is judged untainted (kept); the node's add then judges every pod on it.
    const processPod = (pod: Pod) => this.#processPod(pod);
    this.pods = this.loop.informer(o.client.pods, { add: processPod, update: processPod, delete: (pod) => this.#cancel(objectKey(pod), false) });
    const processNode = (node: Node) => {
      for (const pod of this.pods.list()) if (pod.spec.nodeName === node.metadata.name) this.#processPod(pod);
    };
    const nodeUpdated = (node: Node, old: Node) => {
      if (JSON.stringify(noExecute(node)) !== JSON.stringify(noExecute(old))) processNode(node);
    };
    this.nodes = this.loop.informer(o.client.nodes, { add: processNode, update: nodeUpdated });
  }

  #processPod(pod: Pod): void {
    if (this.loop.stopping.aborted) return;
    const key = objectKey(pod);
    if (!pod.spec.nodeName || pod.metadata.deletionTimestamp) {
      this.#cancel(key, false);
      return;
    }
    const plan = planPodOnNode(pod, this.nodes.get(pod.spec.nodeName));
    if (plan.kind === 'keep') {
      this.#cancel(key, true, pod);
      return;
    }
    if (plan.kind === 'now') {
      this.#cancel(key, false);
      this.#markDue(key, pod);
      return;
    }
    const now = this.#now();
    const existing = this.#scheduled.get(key);
    // A timer already running keeps its start: only a shorter toleration brings it forward.
    const createdAt = existing?.createdAt ?? now;
    const fireAt = createdAt + plan.ms;
    if (existing && existing.fireAt <= fireAt) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.#scheduled.delete(key);
      this.#markDue(key, pod);
    }, Math.max(0, fireAt - now));
    this.#scheduled.set(key, { uid: pod.metadata.uid, createdAt, fireAt, timer });
  }

  #markDue(key: string, pod: Pod): void {
    if (!this.#due.has(key)) this.#event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    this.#due.set(key, pod.metadata.uid);
    this.loop.queue.add(key);
  }

  #cancel(key: string, announce: boolean, pod?: Pod): void {
    const s = this.#scheduled.get(key);
    if (!s) return;
    clearTimeout(s.timer);
    this.#scheduled.delete(key);
    if (announce && pod) this.#event(pod, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
  }

  /** Deletes a pod due now: the DisruptionTarget condition first, as Kubernetes does, then the delete. */
  async #evict(key: string): Promise<void> {
    if (!this.#due.has(key)) return;
    const uid = this.#due.get(key);
    const [namespace, name] = key.split('/') as [string, string];
    const pod = this.pods.get(name, namespace);
    // Gone, replaced or no longer due (its node lost the taint meanwhile): nothing to do.
    if (!pod || pod.metadata.uid !== uid || pod.metadata.deletionTimestamp || planPodOnNode(pod, this.nodes.get(pod.spec.nodeName ?? '')).kind === 'keep') {
      this.#due.delete(key);
      return;
    }
    try {
      const condition = disruptionTarget('DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint', new Date(this.#now()));
      await this.#client.pods.patchStatus(name, { status: { conditions: [condition] } }, { namespace, type: 'strategic' });
      await this.#client.pods.delete(name, { namespace, preconditions: { uid } });
      this.#log?.info({ pod: key, node: pod.spec.nodeName }, 'evicted the pod for a NoExecute taint');
    } catch (err) {
      if (!isApiError(err, 'NotFound') && !isApiError(err, 'Conflict')) throw err;
    }
    this.#due.delete(key);
  }

  #event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.loop.events.event({ kind: 'Pod', apiVersion: 'v1', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid }, type, reason, message);
  }
}

const noExecute = (node: Node) => (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute').map((t) => [t.key, t.value ?? '']);
