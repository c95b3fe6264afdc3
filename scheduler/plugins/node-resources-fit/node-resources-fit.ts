// Filter: the pod's requests fit the node's allocatable minus what its pods already request
// (cpu, memory, ephemeral storage, extended resources, pod count). Score: LeastAllocated
// (spread: prefer the emptiest node, the default) or MostAllocated (bin packing), over
// weighted resources, with Kubernetes' integer arithmetic so results match its.
import type { CycleState } from '../../framework/cycle-state.js';
import type { FilterPlugin, ScorePlugin } from '../../framework/interfaces.js';
import { MAX_NODE_SCORE, scoreEach } from '../../framework/interfaces.js';
import type { NodeInfo, PodInfo } from '../../framework/node-info.js';
import { success, unschedulable, type Status } from '../../framework/status.js';

export const NAME = 'NodeResourcesFit';

export type ScoringStrategyType = 'LeastAllocated' | 'MostAllocated';

export interface ResourceSpec {
  name: string;
  weight: number;
}

export interface NodeResourcesFitArgs {
  scoringStrategy?: { type?: ScoringStrategyType; resources?: ResourceSpec[] };
  /** Extended resources the filter ignores (as Kubernetes' ignoredResources). */
  ignoredResources?: string[];
}

const DEFAULT_RESOURCES: ResourceSpec[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

/** Every reason a node is too small, in Kubernetes' order and words. */
export function insufficientResources(pod: PodInfo, node: NodeInfo, ignored: ReadonlySet<string> = new Set()): string[] {
  const reasons: string[] = [];
  if (node.podCount + 1 > node.allowedPodNumber) reasons.push('Too many pods');
  const req = pod.requests;
  if (req.milliCPU > 0 && req.milliCPU > node.allocatableMilliCPU - node.requestedMilliCPU) reasons.push('Insufficient cpu');
  if (req.memory > 0 && req.memory > node.allocatableMemory - node.requestedMemory) reasons.push('Insufficient memory');
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > node.allocatableEphemeralStorage - node.requestedEphemeralStorage) {
    reasons.push('Insufficient ephemeral-storage');
  }
  for (const [name, want] of pod.scalarRequests) {
    if (ignored.has(name)) continue;
    if (want > node.allocatableScalar(name) - node.requestedScalar(name)) reasons.push(`Insufficient ${name}`);
  }
  return reasons;
}

/** The common case answered without building a list (this runs per node per pod). */
function fitsEverything(pod: PodInfo, node: NodeInfo): boolean {
  const req = pod.requests;
  return (
    node.podCount + 1 <= node.allowedPodNumber &&
    (req.milliCPU <= 0 || req.milliCPU <= node.allocatableMilliCPU - node.requestedMilliCPU) &&
    (req.memory <= 0 || req.memory <= node.allocatableMemory - node.requestedMemory) &&
    (req.ephemeralStorage <= 0 || req.ephemeralStorage <= node.allocatableEphemeralStorage - node.requestedEphemeralStorage) &&
    pod.scalarRequests.length === 0
  );
}

/** [requested including this pod, allocatable] of one resource; cpu/memory use the non-zero defaults. */
function requestedAndAllocatable(pod: PodInfo, node: NodeInfo, resource: string): [number, number] {
  switch (resource) {
    case 'cpu':
      return [node.nonZeroMilliCPU + pod.nonZero.milliCPU, node.allocatableMilliCPU];
    case 'memory':
      return [node.nonZeroMemory + pod.nonZero.memory, node.allocatableMemory];
    case 'ephemeral-storage':
      return [node.requestedEphemeralStorage + pod.requests.ephemeralStorage, node.allocatableEphemeralStorage];
    default:
      return [node.requestedScalar(resource) + (pod.requests.scalar[resource] ?? 0), node.allocatableScalar(resource)];
  }
}

export function leastAllocatedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

export function mostAllocatedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  return Math.floor((Math.min(requested, capacity) * MAX_NODE_SCORE) / capacity);
}

/** The score over the default resources (cpu and memory, weight 1 each). */
function cpuAndMemoryScore(fn: (requested: number, capacity: number) => number, pod: PodInfo, node: NodeInfo): number {
  return Math.floor((fn(node.nonZeroMilliCPU + pod.nonZero.milliCPU, node.allocatableMilliCPU) + fn(node.nonZeroMemory + pod.nonZero.memory, node.allocatableMemory)) / 2);
}

export class NodeResourcesFit implements FilterPlugin, ScorePlugin {
  readonly name = NAME;
  readonly strategy: ScoringStrategyType;
  readonly resources: ResourceSpec[];
  readonly #ignored: Set<string>;
  readonly #scoreFn: (requested: number, capacity: number) => number;
  readonly #cpuAndMemory: boolean;

  constructor(args: NodeResourcesFitArgs = {}) {
    this.strategy = args.scoringStrategy?.type ?? 'LeastAllocated';
    if (this.strategy !== 'LeastAllocated' && this.strategy !== 'MostAllocated') {
      throw new Error(`NodeResourcesFit: scoringStrategy.type "${String(this.strategy)}" is not supported (LeastAllocated, MostAllocated)`);
    }
    this.resources = args.scoringStrategy?.resources ?? DEFAULT_RESOURCES;
    for (const r of this.resources) {
      if (!r.name || !Number.isInteger(r.weight) || r.weight < 1 || r.weight > 100) {
        throw new Error(`NodeResourcesFit: resource "${r.name}" needs a weight between 1 and 100`);
      }
    }
    this.#ignored = new Set(args.ignoredResources ?? []);
    this.#scoreFn = this.strategy === 'MostAllocated' ? mostAllocatedScore : leastAllocatedScore;
    const [a, b] = this.resources;
    this.#cpuAndMemory = this.resources.length === 2 && a?.name === 'cpu' && b?.name === 'memory' && a.weight === 1 && b.weight === 1;
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (fitsEverything(pod, node)) return success();
    const reasons = insufficientResources(pod, node, this.#ignored);
    return reasons.length === 0 ? success() : unschedulable(...reasons);
  }

  scoreNodes(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], out: number[]): Status | undefined {
    if (!this.#cpuAndMemory) return scoreEach(this, state, pod, nodes, out);
    const fn = this.#scoreFn;
    for (let i = 0; i < nodes.length; i++) out[i] = cpuAndMemoryScore(fn, pod, nodes[i] as NodeInfo);
    return undefined;
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const fn = this.#scoreFn;
    // The default resources (cpu and memory, weight 1 each), without the loop: this runs per node per pod.
    if (this.#cpuAndMemory) return cpuAndMemoryScore(fn, pod, node);
    let total = 0;
    let weights = 0;
    for (const r of this.resources) {
      if (r.name === 'cpu') {
        total += fn(node.nonZeroMilliCPU + pod.nonZero.milliCPU, node.allocatableMilliCPU) * r.weight;
        weights += r.weight;
        continue;
      }
      if (r.name === 'memory') {
        total += fn(node.nonZeroMemory + pod.nonZero.memory, node.allocatableMemory) * r.weight;
        weights += r.weight;
        continue;
      }
      const [requested, allocatable] = requestedAndAllocatable(pod, node, r.name);
      // A node without an extended resource is not scored on it (as Kubernetes skips it).
      if (allocatable === 0 && r.name !== 'cpu' && r.name !== 'memory') continue;
      total += fn(requested, allocatable) * r.weight;
      weights += r.weight;
    }
    return weights === 0 ? 0 : Math.floor(total / weights);
  }
}
