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

export class BalancedAllocation implements ScorePlugin {
  readonly name = NAME;
  readonly #resources: string[];
  readonly #cpuAndMemoryOnly: boolean;

  constructor(args: BalancedAllocationArgs = {}) {
    this.#resources = (args.resources ?? [{ name: 'cpu' }, { name: 'memory' }]).map((r) => r.name);
    this.#cpuAndMemoryOnly = this.#resources.length === 2 && this.#resources.includes('cpu') && this.#resources.includes('memory');
  }

  scoreNodes(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], out: number[]): Status | undefined {
    if (this.#cpuAndMemoryOnly) {
      const cpu = pod.requests.milliCPU;
      const mem = pod.requests.memory;
      for (let i = 0; i < nodes.length; i++) {
        const node = nodes[i] as NodeInfo;
        const used = node.requested;
        const alloc = node.allocatable;
        out[i] = Math.floor((1 - Math.abs((fraction(used.milliCPU + cpu, alloc.milliCPU) - fraction(used.memory + mem, alloc.memory)) / 2)) * MAX_NODE_SCORE);
      }
      return undefined;
    }
    return scoreEach(this, state, pod, nodes, out);
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    if (this.#cpuAndMemoryOnly) {
      // The default, without building a list per node.
      const cpu = fraction(node.requested.milliCPU + pod.requests.milliCPU, node.allocatable.milliCPU);
      const mem = fraction(node.requested.memory + pod.requests.memory, node.allocatable.memory);
      return Math.floor((1 - Math.abs((cpu - mem) / 2)) * MAX_NODE_SCORE);
    }
    const fractions: number[] = [];
    for (const r of this.#resources) {
      // Actual requests (not the scoring defaults): an empty pod does not unbalance a node.
      if (r === 'cpu') fractions.push(fraction(node.requested.milliCPU + pod.requests.milliCPU, node.allocatable.milliCPU));
      else if (r === 'memory') fractions.push(fraction(node.requested.memory + pod.requests.memory, node.allocatable.memory));
      else {
        const alloc = node.allocatable.scalar[r] ?? 0;
        if (alloc > 0) fractions.push(fraction((node.requested.scalar[r] ?? 0) + (pod.requests.scalar[r] ?? 0), alloc));
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
