// The node lifecycle controller's decisions, as pure functions of a node, its lease and the
// time (Kubernetes' node_lifecycle_controller tryUpdateNodeHealth and taint handling):
//  - a node whose kubelet has not renewed its lease nor posted status within the grace
//    period gets every condition set to Unknown ("Kubelet stopped posting node status.");
//  - Ready=Unknown carries the unreachable taints, Ready=False the not-ready taints, both
//    NoSchedule and NoExecute; Ready=True carries neither.
import type { Node, NodeCondition, Taint } from '../../api/types/core.js';
import type { Lease } from '../../api/types/coordination.js';
import { metaTime } from '../../api/time.js';
import { nodeReadyCondition } from '../../api/node-conditions.js';

export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
const MANAGED_KEYS = new Set([TAINT_UNREACHABLE, TAINT_NOT_READY]);
const CONDITIONS_SET_UNKNOWN = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/** The last time we heard from the node's kubelet: lease renewal or status heartbeat. */
export function lastHeartbeat(node: Node, lease: Lease | undefined): number | undefined {
  const times = [lease?.spec?.renewTime, node.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime]
    .filter((t): t is string => typeof t === 'string')
    .map((t) => Date.parse(t))
    .filter((t) => !Number.isNaN(t));
  return times.length ? Math.max(...times) : undefined;
}

/**
 * The conditions to write when the node has gone silent, or undefined when nothing is due
 * (heard from in time, or already Unknown). A node never heard from counts from its creation.
 */
export function staleConditions(node: Node, lease: Lease | undefined, now: number, gracePeriodMs: number): NodeCondition[] | undefined {
  const heard = lastHeartbeat(node, lease) ?? Date.parse(node.metadata.creationTimestamp ?? metaTime(now));
  if (now - heard <= gracePeriodMs) return undefined;
  const conditions = node.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready?.status === 'Unknown') return undefined;
  const at = metaTime(now);
  const byType = new Map(conditions.map((c) => [c.type, c]));
  for (const type of CONDITIONS_SET_UNKNOWN) {
    const old = byType.get(type);
    byType.set(type, {
      type,
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: old ? 'Kubelet stopped posting node status.' : 'Kubelet never posted node status.',
      lastHeartbeatTime: old?.lastHeartbeatTime ?? node.metadata.creationTimestamp,
      lastTransitionTime: at,
    });
  }
  return [...byType.values()];
}

/** The taints the node should carry for its Ready condition; other taints are kept as they are. */
export function desiredTaints(node: Node, now: number): Taint[] {
  const kept = (node.spec?.taints ?? []).filter((t) => !MANAGED_KEYS.has(t.key));
  const ready = nodeReadyCondition(node);
  const key = ready?.status === 'Unknown' ? TAINT_UNREACHABLE : ready?.status === 'False' ? TAINT_NOT_READY : undefined;
  if (!key) return kept;
  const existing = (node.spec?.taints ?? []).filter((t) => t.key === key);
  const timeAdded = metaTime(now);
  const taint = (effect: 'NoSchedule' | 'NoExecute'): Taint =>
    existing.find((t) => t.effect === effect) ?? { key, effect, ...(effect === 'NoExecute' ? { timeAdded } : {}) };
  return [...kept, taint('NoSchedule'), taint('NoExecute')];
}

export function sameTaints(a: Taint[] | undefined, b: Taint[] | undefined): boolean {
  const norm = (ts: Taint[] | undefined) => (ts ?? []).map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`).sort().join(',');
  return norm(a) === norm(b);
}
