// Which of several pods is the most active, as Kubernetes' podutil helpers say it: IsPodReady
// (the health disruption budgets count, the readiness controllers count) and the ActivePods
// order that kubectl sorts a workload's pods by (k8s.io/kubectl's podutils.ActivePods) and that
// the controllers' ActivePodsWithRanks extends with deletion cost and node rank.
import type { Pod } from './types/core.js';

function readyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** podutil.IsPodReady: the pod's Ready condition is True. */
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

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function maxRestarts(pod: Pod): number {
  const all = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return Math.max(0, ...all.map((c) => c.restartCount ?? 0));
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
 * The ActivePods order, the least active first: unscheduled before scheduled; Pending before
 * Unknown before Running; not ready before ready; then `tie` (ActivePodsWithRanks puts
 * deletion cost and node rank there; kubectl nothing); ready for less time first; more
 * container restarts first; newer first.
 */
export function compareActivePods(a: Pod, b: Pod, tie: (a: Pod, b: Pod) => number = () => 0): number {
  const aNode = a.spec.nodeName ?? '';
  const bNode = b.spec.nodeName ?? '';
  if (aNode !== bNode && (aNode === '' || bNode === '')) return aNode === '' ? -1 : 1;
  const phase = (PHASE_ORDINAL[a.status?.phase ?? ''] ?? -1) - (PHASE_ORDINAL[b.status?.phase ?? ''] ?? -1);
  if (phase !== 0) return phase;
  const aReady = isPodReady(a);
  if (aReady !== isPodReady(b)) return aReady ? 1 : -1;
  const tied = tie(a, b);
  if (tied !== 0) return tied;
  if (aReady) {
    const ready = laterFirst(podReadySince(a), podReadySince(b));
    if (ready !== 0) return ready;
  }
  const restarts = maxRestarts(b) - maxRestarts(a);
  if (restarts !== 0) return restarts;
  return laterFirst(timeOf(a.metadata.creationTimestamp), timeOf(b.metadata.creationTimestamp));
}
