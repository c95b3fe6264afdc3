// A node's Ready condition, as Kubernetes' nodeutil helpers read it: the one place that looks it
// up, for the controllers and the scheduler that ask whether a node is Ready.
import type { Node, NodeCondition } from './types/core.js';

/** The node's Ready condition, if it has one. */
export function nodeReadyCondition(node: Node | undefined): NodeCondition | undefined {
  return node?.status?.conditions?.find((c) => c.type === 'Ready');
}

/** nodeutil.IsNodeReady: the node's Ready condition is True. */
export function isNodeReady(node: Node): boolean {
  return nodeReadyCondition(node)?.status === 'True';
}
