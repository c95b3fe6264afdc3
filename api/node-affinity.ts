// Which nodes a pod's nodeSelector and node affinity terms select, as Kubernetes'
// component-helpers/scheduling/corev1/nodeaffinity: every nodeSelector label must match, and
// one of the required terms (all of its matchExpressions on labels, all of its matchFields on
// metadata.name). The scheduler's NodeAffinity plugin and the DaemonSet controller share it.
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod } from './types/core.js';

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

/** GetRequiredNodeAffinity(pod).Match(node): the nodeSelector's labels and any one required term. */
export function podMatchesNode(pod: Pod, node: Node): boolean {
  if (!pod.spec.nodeSelector && !pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution) return true;
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) return required.nodeSelectorTerms.some((t) => termMatches(t, node));
  return true;
}
