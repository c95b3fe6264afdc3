// Which pods a workload controller counts, and which it deletes first, as kube-controller-
// manager's controller_utils.go: FilterActivePods, IsPodReady/IsPodAvailable and the
// ActivePodsWithRanks order (the pods to delete are the first ones in it).
import type { Pod } from '../api/types/core.js';

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

function readyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** When the pod became ready (its Ready condition's last transition), in ms; undefined when not ready or unknown. */
export function podReadySince(pod: Pod): number | undefined {
  const c = readyCondition(pod);
  if (c?.status !== 'True' || !c.lastTransitionTime) return undefined;
  const t = Date.parse(c.lastTransitionTime);
  return Number.isNaN(t) ? undefined : t;
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

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function maxRestarts(pod: Pod): number {
  const all = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return Math.max(0, ...all.map((c) => c.restartCount ?? 0));
}

function deletionCost(pod: Pod): number {
  const v = Number(pod.metadata.annotations?.[POD_DELETION_COST]);
  return Number.isInteger(v) ? v : 0;
}

function timeOf(iso: string | undefined): number | undefined {
  const t = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

/** afterOrZero: an unknown time first, then the later one. Negative when `a` goes first. */
function laterFirst(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return b - a;
}

/**
 * Kubernetes' ActivePodsWithRanks order, the pods to delete first at the front:
 * unscheduled before scheduled; Pending before Unknown before Running; not ready before ready;
 * lower pod-deletion-cost first; more related pods on the same node (higher rank) first; ready
 * for less time first; more container restarts first; newer first. `rank` defaults to none.
 */
export function compareForDeletion(a: Pod, b: Pod, rank: (p: Pod) => number = () => 0): number {
  const aNode = a.spec.nodeName ?? '';
  const bNode = b.spec.nodeName ?? '';
  if (aNode !== bNode && (aNode === '' || bNode === '')) return aNode === '' ? -1 : 1;
  const phase = (PHASE_ORDINAL[a.status?.phase ?? ''] ?? -1) - (PHASE_ORDINAL[b.status?.phase ?? ''] ?? -1);
  if (phase !== 0) return phase;
  const aReady = isPodReady(a);
  if (aReady !== isPodReady(b)) return aReady ? 1 : -1;
  const cost = deletionCost(a) - deletionCost(b);
  if (cost !== 0) return cost;
  const ranks = rank(b) - rank(a);
  if (ranks !== 0) return ranks;
  if (aReady) {
    const ready = laterFirst(podReadySince(a), podReadySince(b));
    if (ready !== 0) return ready;
  }
  const restarts = maxRestarts(b) - maxRestarts(a);
  if (restarts !== 0) return restarts;
  return laterFirst(timeOf(a.metadata.creationTimestamp), timeOf(b.metadata.creationTimestamp));
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
