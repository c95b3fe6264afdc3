// The node lifecycle controller: watches nodes, their leases (kube-node-lease) and pods,
// and every monitor period applies the decisions of health.ts: a silent node goes
// Ready=Unknown with the unreachable taints and its pods Ready=False (so nothing routes to
// them and the scheduler stops placing pods there); a node that speaks again loses the
// taints. Evicting pods after tolerationSeconds (NoExecute) is not done yet.
import type { Logger } from 'pino';
import { isApiError } from '../../api/errors.js';
import type { Node, Pod, PodCondition } from '../../api/types/core.js';
import type { Lease } from '../../api/types/coordination.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import { ControllerLoop, type ControllerOptions } from '../controller-loop.js';
import { desiredTaints, sameTaints, staleConditions } from './health.js';
import { metaTime } from '../../api/time.js';

export interface NodeLifecycleOptions extends ControllerOptions {
  /** How long a node may stay silent before it is Unknown (Kubernetes: 40 s). */
  gracePeriodMs?: number;
  /** How often nodes are checked (Kubernetes: 5 s). */
  monitorPeriodMs?: number;
  now?: () => number;
}

export class NodeLifecycleController {
  readonly #client: RestClient;
  readonly #grace: number;
  readonly #period: number;
  readonly #now: () => number;
  readonly #log?: Logger;
  /** Its informers and lifecycle; no work queue: every node is checked each monitor period. */
  readonly #loop: ControllerLoop;
  readonly nodes: Informer<Node>;
  /** Every namespace's, as kube-controller-manager's shared lease informer; node leases are in kube-node-lease. */
  readonly leases: Informer<Lease>;
  readonly pods: Informer<Pod>;
  #timer?: NodeJS.Timeout;
  #running = false;

  constructor(o: NodeLifecycleOptions) {
    this.#client = o.client;
    this.#grace = o.gracePeriodMs ?? 40_000;
    this.#period = o.monitorPeriodMs ?? 5_000;
    this.#now = o.now ?? Date.now;
    this.#log = o.logger;
    this.#loop = new ControllerLoop({ ...o, name: 'node-controller' });
    this.#loop.stopping.addEventListener('abort', () => clearInterval(this.#timer));
    this.nodes = this.#loop.informer(o.client.nodes);
    this.leases = this.#loop.informer(o.client.leases);
    this.pods = this.#loop.informer(o.client.pods);
  }

  /** Resolves after the first pass over the nodes, once every cache holds its first list. */
  async start(signal?: AbortSignal): Promise<void> {
    await this.#loop.start(signal);
    if (this.#loop.stopping.aborted) return;
    const tick = async () => {
      if (this.#running) return;
      this.#running = true;
      try {
        await this.monitorOnce();
      } catch (err) {
        this.#log?.error({ err }, 'node health check failed');
      } finally {
        this.#running = false;
      }
    };
    this.#timer = setInterval(() => void tick(), this.#period);
    await tick();
  }

  stop(): Promise<void> { return this.#loop.stop(); }

  /** One pass over every node. Exposed for tests. */
  async monitorOnce(): Promise<void> {
    const now = this.#now();
    for (const node of this.nodes.list()) {
      const name = node.metadata.name ?? '';
      try {
        await this.#checkNode(node, this.leases.get(name, 'kube-node-lease'), now);
      } catch (err) {
        if (!isApiError(err, 'Conflict') && !isApiError(err, 'NotFound')) throw err;
        // Someone wrote the node meanwhile: the next pass sees the new version.
      }
    }
  }

  async #checkNode(node: Node, lease: Lease | undefined, now: number): Promise<void> {
    const name = node.metadata.name ?? '';
    let current = node;
    const conditions = staleConditions(node, lease, now, this.#grace);
    if (conditions) {
      this.#log?.warn({ node: name }, 'node stopped posting status: Ready=Unknown');
      current = await this.#client.nodes.updateStatus({ ...node, status: { ...node.status, conditions } });
      await this.#markPodsNotReady(name, now);
      await this.#event(current, 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    }
    const taints = desiredTaints(current, now);
    if (!sameTaints(taints, current.spec?.taints)) {
      await this.#client.nodes.update({ ...current, spec: { ...current.spec, taints } });
    }
  }

  async #markPodsNotReady(nodeName: string, now: number): Promise<void> {
    const at = metaTime(now);
    for (const pod of this.pods.list()) {
      if (pod.spec.nodeName !== nodeName) continue;
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      const conds = pod.status?.conditions ?? [];
      const ready = conds.find((c) => c.type === 'Ready');
      if (ready?.status === 'False') continue;
      const next: PodCondition[] = conds.filter((c) => c.type !== 'Ready');
      next.push({ type: 'Ready', status: 'False', reason: 'NodeNotReady', message: 'Node is not ready', lastProbeTime: null, lastTransitionTime: at });
      try {
        await this.#client.pods.patchStatus(pod.metadata.name ?? '', { status: { conditions: next } }, { namespace: pod.metadata.namespace, type: 'merge' });
      } catch (err) {
        if (!isApiError(err, 'NotFound')) throw err;
      }
    }
  }

  async #event(node: Node, reason: string, message: string): Promise<void> {
    const at = metaTime(this.#now());
    try {
      await this.#client.events.create(
        {
          metadata: { generateName: `${node.metadata.name}.`, namespace: 'default' },
          involvedObject: { kind: 'Node', name: node.metadata.name, uid: node.metadata.uid, apiVersion: 'v1' },
          reason,
          message,
          type: 'Normal',
          source: { component: 'node-controller' },
          firstTimestamp: at,
          lastTimestamp: at,
          count: 1,
          reportingComponent: 'node-controller',
        },
        { namespace: 'default' },
      );
    } catch (err) {
      this.#log?.warn({ err }, 'could not record node event');
    }
  }
}
