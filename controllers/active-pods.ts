// Which pods a workload controller counts, and which it deletes first, as kube-controller-
// manager's controller_utils.go: FilterActivePods, IsPodReady/IsPodAvailable and the
// ActivePodsWithRanks order (the pods to delete are the first ones in it), on api/active-pods.ts's
// IsPodReady and ActivePods order.
import { compareActivePods, isPodReady, podReadySince } from '../api/active-pods.js';
import type { Pod } from '../api/types/core.js';

// The controllers' one import for readiness too.
export { isPodReady } from '../api/active-pods.js';

/** Kubernetes' ByCreationTimestamp on pods: the oldest first, ties by name. */
export function compareOldestByName(a: Pod, b: Pod): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** The annotation that lets a user say which pods go first (lower cost first). */
export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

/** Not terminal and not being deleted: what a controller counts as one of its replicas. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function filterActivePods(pods: readonly Pod[]): Pod[] {
  return pods.filter(isPodActive);
}

/**
 * Ready for at least minReadySeconds at `now`. Kubernetes' IsPodAvailable: a pod with no
 * transition time counts as available once ready.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = podReadySince(pod);
  return since === undefined || since + minReadySeconds * 1000 <= now;
}

/** ms until a ready pod becomes available; 0 when it is, undefined when it is not ready. */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, now: number): number | undefined {
  if (!isPodReady(pod)) return undefined;
  if (isPodAvailable(pod, minReadySeconds, now)) return 0;
  return (podReadySince(pod) ?? now) + minReadySeconds * 1000 - now;
}

function deletionCost(pod: Pod): number {
  const v = Number(pod.metadata.annotations?.[POD_DELETION_COST]);
  return Number.isInteger(v) ? v : 0;
}

/**
 * Kubernetes' ActivePodsWithRanks order, the pods to delete first at the front:
 * unscheduled before scheduled; Pending before Unknown before Running; not ready before ready;
 * lower pod-deletion-cost first; more related pods on the same node (higher rank) first; ready
 * for less time first; more container restarts first; newer first. `rank` defaults to none.
 */
export function compareForDeletion(a: Pod, b: Pod, rank: (p: Pod) => number = () => 0): number {
  return compareActivePods(a, b, (x, y) => deletionCost(x) - deletionCost(y) || rank(y) - rank(x));
}

/**
 * The `count` pods to delete of `pods`, ranked by how many of `related` (the owner's own
 * active pods, or a Deployment's across its ReplicaSets) share each one's node, as
 * getPodsToDelete does so that doubled-up nodes are thinned first.
 */
export function podsToDelete(pods: readonly Pod[], count: number, related: readonly Pod[] = pods): Pod[] {
  if (count <= 0) return [];
  const perNode = new Map<string, number>();
  for (const p of related) {
    const node = p.spec.nodeName;
    if (node && isPodActive(p)) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const rank = (p: Pod) => (p.spec.nodeName ? (perNode.get(p.spec.nodeName) ?? 0) : 0);
  return [...pods].sort((a, b) => compareForDeletion(a, b, rank)).slice(0, count);
}
