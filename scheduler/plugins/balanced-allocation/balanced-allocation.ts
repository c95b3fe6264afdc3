// Score: prefer nodes whose resources would be used evenly after placing the pod (cpu and
// memory fractions close together), so no node ends up full of memory with idle cpu.
// Kubernetes' formula: 1 - standard deviation of the requested/allocatable fractions.
import type { CycleState } from '../../framework/cycle-state.js';
import { MAX_NODE_SCORE, scoreEach, type ScorePlugin } from '../../framework/interfaces.js';
import type { Status } from '../../framework/status.js';
import type { NodeInfo, PodInfo } from '../../framework/node-info.js';

export const NAME = 'BalancedAllocation';

export interface BalancedAllocationArgs {
  resources?: { name: string; weight?: number }[];
}

function fraction(requested: number, allocatable: number): number {
  if (allocatable === 0) return 0;
  return Math.min(1, requested / allocatable);
}

/** The score over cpu and memory alone (the default): 1 - half their fractions' difference. */
function cpuAndMemoryScore(pod: PodInfo, node: NodeInfo): number {
  const cpu = fraction(node.requestedMilliCPU + pod.requests.milliCPU, node.allocatableMilliCPU);
  const mem = fraction(node.requestedMemory + pod.requests.memory, node.allocatableMemory);
  return Math.floor((1 - Math.abs((cpu - mem) / 2)) * MAX_NODE_SCORE);
}

export class BalancedAllocation implements ScorePlugin {
  readonly name = NAME;
  readonly #resources: string[];
  readonly #cpuAndMemoryOnly: boolean;

  constructor(args: BalancedAllocationArgs = {}) {
    this.#resources = (args.resources ?? [{ name: 'cpu' }, { name: 'memory' }]).map((r) => r.name);
    this.#cpuAndMemoryOnly = this.#resources.length === 2 && this.#resources.includes('cpu') && this.#resources.includes('memory');
  }

  scoreNodes(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], out: number[]): Status | undefined {
    if (!this.#cpuAndMemoryOnly) return scoreEach(this, state, pod, nodes, out);
    for (let i = 0; i < nodes.length; i++) out[i] = cpuAndMemoryScore(pod, nodes[i] as NodeInfo);
    return undefined;
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    // The default, without building a list per node.
    if (this.#cpuAndMemoryOnly) return cpuAndMemoryScore(pod, node);
    const fractions: number[] = [];
    for (const r of this.#resources) {
      // Actual requests (not the scoring defaults): an empty pod does not unbalance a node.
      if (r === 'cpu') fractions.push(fraction(node.requestedMilliCPU + pod.requests.milliCPU, node.allocatableMilliCPU));
      else if (r === 'memory') fractions.push(fraction(node.requestedMemory + pod.requests.memory, node.allocatableMemory));
      else {
        const alloc = node.allocatableScalar(r);
        if (alloc > 0) fractions.push(fraction(node.requestedScalar(r) + (pod.requests.scalar[r] ?? 0), alloc));
      }
    }
    let std = 0;
    if (fractions.length === 2) {
      std = Math.abs(((fractions[0] ?? 0) - (fractions[1] ?? 0)) / 2);
    } else if (fractions.length > 2) {
      const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
      std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / fractions.length);
    }
    return Math.floor((1 - std) * MAX_NODE_SCORE);
  }
}
