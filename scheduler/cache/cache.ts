// The scheduler's picture of the cluster: nodes and the pods on them, including pods it has
// assumed (chosen a node for) but whose binding the watch has not confirmed yet. An assumed
// pod counts against its node at once, so a burst of pods never overcommits a node while
// bindings are in flight. An assumed pod is forgotten when binding fails, or expires a while
// after binding finished if the watch never confirms it.
import type { Node, Pod } from '../../api/types/core.js';
import { NodeInfo, PodInfo, podKey } from '../framework/node-info.js';
import type { Snapshot } from './snapshot.js';

interface PodState {
  info: PodInfo;
  nodeName: string;
  assumed: boolean;
  /** Set when binding finished: after this time an unconfirmed assumed pod is dropped. */
  deadline?: number;
}

export interface CacheOptions {
  /** How long an assumed pod may stay unconfirmed after its binding finished. */
  assumedTTLms?: number;
  now?: () => number;
}

export class SchedulerCache {
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #pods = new Map<string, PodState>();
  readonly #dirty = new Set<string>();
  readonly #ttl: number;
  readonly #now: () => number;

  constructor(options: CacheOptions = {}) {
    this.#ttl = options.assumedTTLms ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  #nodeInfo(name: string): NodeInfo {
    let ni = this.#nodes.get(name);
    if (!ni) {
      // A pod may arrive before its node; keep a placeholder without a Node object.
      ni = new NodeInfo();
      this.#nodes.set(name, ni);
    }
    return ni;
  }

  #touch(name: string, ni: NodeInfo): void {
    ni.generation++;
    this.#dirty.add(name);
  }

  addNode(node: Node): void {
    const name = node.metadata.name ?? '';
    const ni = this.#nodeInfo(name);
    ni.setNode(node);
    this.#touch(name, ni);
  }

  updateNode(node: Node): void {
    this.addNode(node);
  }

  removeNode(name: string): void {
    const ni = this.#nodes.get(name);
    if (!ni) return;
    ni.node = undefined;
    if (ni.pods.length === 0) this.#nodes.delete(name);
    this.#touch(name, ni);
  }

  get nodeCount(): number {
    let n = 0;
    for (const ni of this.#nodes.values()) if (ni.node) n++;
    return n;
  }

  #place(info: PodInfo, nodeName: string, assumed: boolean): void {
    const ni = this.#nodeInfo(nodeName);
    ni.addPod(info);
    this.#pods.set(info.key, { info, nodeName, assumed });
    this.#touch(nodeName, ni);
  }

  #unplace(key: string): PodState | undefined {
    const st = this.#pods.get(key);
    if (!st) return undefined;
    this.#pods.delete(key);
    const ni = this.#nodes.get(st.nodeName);
    if (ni) {
      ni.removePod(key);
      if (!ni.node && ni.pods.length === 0) this.#nodes.delete(st.nodeName);
      this.#touch(st.nodeName, ni);
    }
    return st;
  }

  /**
   * Counts the pod against `nodeName` now, before the API server has confirmed the binding.
   * `info`: the cycle's PodInfo of this pod, whose numbers the assumed copy shares.
   */
  assumePod(pod: Pod, nodeName: string, info?: PodInfo): void {
    const key = podKey(pod);
    if (this.#pods.has(key)) throw new Error(`pod ${pod.metadata.namespace}/${pod.metadata.name} is already in the cache`);
    this.#place(new PodInfo({ ...pod, spec: { ...pod.spec, nodeName } }, info?.pod === pod ? info : undefined), nodeName, true);
  }

  /** Binding succeeded: start the expiry clock in case the watch never confirms it. */
  finishBinding(pod: Pod): void {
    const st = this.#pods.get(podKey(pod));
    if (st?.assumed) st.deadline = this.#now() + this.#ttl;
  }

  /** Binding failed (or reserve did): the pod no longer counts against the node. */
  forgetPod(pod: Pod): void {
    const st = this.#pods.get(podKey(pod));
    if (st?.assumed) this.#unplace(podKey(pod));
  }

  isAssumed(pod: Pod): boolean {
    return this.#pods.get(podKey(pod))?.assumed ?? false;
  }

  /** A bound pod seen by the watch: confirms an assumed pod, or adds one bound elsewhere. */
  addPod(pod: Pod): void {
    const nodeName = pod.spec.nodeName;
    if (!nodeName) return;
    const key = podKey(pod);
    const st = this.#pods.get(key);
    if (st) this.#unplace(key);
    this.#place(new PodInfo(pod), nodeName, false);
  }

  updatePod(pod: Pod): void {
    this.addPod(pod);
  }

  removePod(pod: Pod): void {
    this.#unplace(podKey(pod));
  }

  /** Drops assumed pods whose binding finished more than the TTL ago without confirmation. */
  cleanupExpiredAssumedPods(): Pod[] {
    const now = this.#now();
    const expired: Pod[] = [];
    for (const [key, st] of this.#pods) {
      if (st.assumed && st.deadline !== undefined && st.deadline < now) {
        this.#unplace(key);
        expired.push(st.info.pod);
      }
    }
    return expired;
  }

  /** Brings `snapshot` up to date, cloning only the nodes that changed since last time. */
  updateSnapshot(snapshot: Snapshot): void {
    for (const name of this.#dirty) {
      const ni = this.#nodes.get(name);
      snapshot.set(name, ni ? ni.clone() : undefined);
    }
    this.#dirty.clear();
  }

  /** The live NodeInfo of a node (for tests and invariant checks; do not mutate). */
  nodeInfo(name: string): NodeInfo | undefined {
    return this.#nodes.get(name);
  }

  podCount(): number {
    return this.#pods.size;
  }
}
