// Toleration matching (core/v1 helper ToleratesTaint) and the taints a node effectively
// has. Kubernetes' node lifecycle controller turns a NotReady / unreachable node into
// not-ready / unreachable NoSchedule taints; the scheduler derives the same taints from the
// Ready condition itself, so a NotReady node is skipped even before a controller reacts.
import type { Node, Taint } from '../../../api/types/core.js';
import { nodeReadyCondition } from '../../../api/node-conditions.js';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';

// The matching rule itself is api/'s, shared with the taint eviction controller.
export { tolerates } from '../../../api/tolerations.js';

// Node objects are replaced, never mutated, when they change, so the taints derived from one
// can be kept for as long as the object lives (filtering asks for them per node per pod).
const memo = new WeakMap<Node, readonly Taint[]>();

export function effectiveTaints(node: Node | undefined): readonly Taint[] {
  if (!node) return computeTaints(undefined);
  let t = memo.get(node);
  if (!t) memo.set(node, (t = computeTaints(node)));
  return t;
}

function computeTaints(node: Node | undefined): Taint[] {
  const taints = [...(node?.spec?.taints ?? [])];
  const ready = nodeReadyCondition(node);
  const derived = !ready || ready.status === 'False' ? TAINT_NOT_READY : ready.status === 'Unknown' ? TAINT_UNREACHABLE : undefined;
  if (derived && !taints.some((t) => t.key === derived && t.effect === 'NoSchedule')) taints.push({ key: derived, effect: 'NoSchedule' });
  return taints;
}
