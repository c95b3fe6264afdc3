// Filter: the pod's nodeSelector (every label must match) and its required node affinity
// (any one term, all of its expressions). Score: the summed weights of the preferred terms
// a node matches, normalized to [0, 100].
import { podMatchesNode as podSpecMatchesNode, termMatches } from '../../../api/node-affinity.js';
import type { Node } from '../../../api/types/core.js';
import type { CycleState } from '../../framework/cycle-state.js';
import { defaultNormalizeScore, defaultNormalizeValues, MAX_NODE_SCORE, type FilterPlugin, type NodeScore, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin } from '../../framework/interfaces.js';
import type { NodeInfo, PodInfo } from '../../framework/node-info.js';
import { skip, success, unresolvable, type Status } from '../../framework/status.js';

export const NAME = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";

// The matching rules are api/'s (component-helpers' nodeaffinity), shared with the DaemonSet controller.
export { termMatches } from '../../../api/node-affinity.js';

export function podMatchesNode(pod: PodInfo, node: Node): boolean {
  return podSpecMatchesNode(pod.pod, node);
}

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NAME;

  /** No nodeSelector and no required affinity: every node matches, Skip the Filter (as Kubernetes does). */
  preFilter(_state: CycleState, pod: PodInfo): Status {
    const required = pod.pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    return pod.pod.spec.nodeSelector || required ? success() : skip();
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (!node.node) return unresolvable('node not found');
    return podMatchesNode(pod, node.node) ? success() : unresolvable(ERR_REASON_POD);
  }

  /** Nothing preferred, nothing to score: Skip, as Kubernetes' NodeAffinity does. */
  preScore(_state: CycleState, pod: PodInfo): Status {
    return pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ? success() : skip();
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const preferred = pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
    if (!preferred) return 0;
    let sum = 0;
    for (const p of preferred) if (p.weight !== 0 && node.node && termMatches(p.preference, node.node)) sum += p.weight;
    return sum;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: NodeScore[]): void {
    defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
  }

  normalizeScoreValues(_state: CycleState, _pod: PodInfo, scores: number[]): void {
    defaultNormalizeValues(MAX_NODE_SCORE, false, scores);
  }
}
