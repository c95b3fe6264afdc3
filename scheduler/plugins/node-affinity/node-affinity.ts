// Filter: the pod's nodeSelector (every label must match) and its required node affinity
// (any one term, all of its expressions). Score: the summed weights of the preferred terms
// a node matches, normalized to [0, 100].
import type { Node, NodeSelectorRequirement, NodeSelectorTerm } from '../../../api/types/core.js';
import type { CycleState } from '../../framework/cycle-state.js';
import { defaultNormalizeScore, defaultNormalizeValues, MAX_NODE_SCORE, type FilterPlugin, type NodeScore, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin } from '../../framework/interfaces.js';
import type { NodeInfo, PodInfo } from '../../framework/node-info.js';
import { skip, success, unresolvable, type Status } from '../../framework/status.js';

export const NAME = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      // Both sides must be integers, as in Kubernetes; anything else does not match.
      if (value === undefined || values.length !== 1 || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(values[0] ?? '')) return false;
      const have = Number(value);
      const want = Number(values[0]);
      return r.operator === 'Gt' ? have > want : have < want;
    }
    default:
      return false;
  }
}

/** A term with no requirements matches nothing (Kubernetes' rule for node selector terms). */
export function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  for (const e of exprs) if (!requirementMatches(e, labels[e.key])) return false;
  for (const f of fields) {
    // metadata.name is the only field Kubernetes supports in matchFields.
    if (f.key !== 'metadata.name' || !requirementMatches(f, node.metadata.name)) return false;
  }
  return true;
}

/** Also the DaemonSet controller's test of which nodes should run a daemon pod (it passes `{ pod }`). */
export function podMatchesNode(pod: Pick<PodInfo, 'pod'>, node: Node): boolean {
  if (!pod.pod.spec.nodeSelector && !pod.pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution) return true;
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.pod.spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) return required.nodeSelectorTerms.some((t) => termMatches(t, node));
  return true;
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
