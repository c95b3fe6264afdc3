// Filter: a node's NoSchedule / NoExecute taints repel pods that do not tolerate them.
// Score: fewer untolerated PreferNoSchedule taints is better (normalized, reversed).
import type { CycleState } from '../../framework/cycle-state.js';
import { defaultNormalizeScore, defaultNormalizeValues, MAX_NODE_SCORE, type FilterPlugin, type NodeScore, type ScorePlugin } from '../../framework/interfaces.js';
import type { NodeInfo, PodInfo } from '../../framework/node-info.js';
import { success, unresolvable, type Status } from '../../framework/status.js';
import { effectiveTaints, tolerates } from './tolerations.js';

export const NAME = 'TaintToleration';

export class TaintToleration implements FilterPlugin, ScorePlugin {
  readonly name = NAME;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    // The common case: no taints, and Ready (so no not-ready/unreachable taint is derived).
    if (node.taintFree) return success();
    const taints = effectiveTaints(node.node);
    if (taints.length === 0) return success();
    const tolerations = pod.pod.spec.tolerations ?? [];
    for (const taint of taints) {
      if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
      if (!tolerations.some((t) => tolerates(t, taint))) {
        return unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
      }
    }
    return success();
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const taints = node.taints;
    if (taints.length === 0) return 0;
    const tolerations = (pod.pod.spec.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    let n = 0;
    for (const taint of taints) {
      if (taint.effect === 'PreferNoSchedule' && !tolerations.some((t) => tolerates(t, taint))) n++;
    }
    return n;
  }

  scoreNodes(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], out: number[]): undefined {
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i] as NodeInfo;
      // Most nodes have no taints at all: no call for them.
      out[i] = node.taints.length === 0 ? 0 : this.score(state, pod, node);
    }
    return undefined;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: NodeScore[]): void {
    defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
  }

  normalizeScoreValues(_state: CycleState, _pod: PodInfo, scores: number[]): void {
    defaultNormalizeValues(MAX_NODE_SCORE, true, scores);
  }
}
