// What the NoExecute taints of a pod's node mean for the pod (pkg/controller/tainteviction's
// processPodOnNode and getMinTolerationTime), as a pure function: a taint it does not
// tolerate evicts it now; tolerations with tolerationSeconds evict it after the shortest of
// them; tolerations without seconds (or no NoExecute taint at all) keep it.
import { matchingTolerations } from '../../api/tolerations.js';
import type { Node, Pod, Toleration } from '../../api/types/core.js';

export type EvictionPlan = { kind: 'keep' } | { kind: 'now' } | { kind: 'after'; ms: number };

/** getMinTolerationTime: 0 for a toleration of 0 s or less, -1 when every one tolerates forever. */
export function minTolerationMs(used: Toleration[]): number {
  if (used.length === 0) return 0;
  let min = Infinity;
  for (const t of used) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = Math.min(min, t.tolerationSeconds);
  }
  return min === Infinity ? -1 : min * 1000;
}

export function planPodOnNode(pod: Pod, node: Node | undefined): EvictionPlan {
  const taints = (node?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
  if (taints.length === 0) return { kind: 'keep' };
  const { all, used } = matchingTolerations(taints, pod.spec.tolerations ?? []);
  if (!all) return { kind: 'now' };
  const ms = minTolerationMs(used);
  return ms < 0 ? { kind: 'keep' } : ms === 0 ? { kind: 'now' } : { kind: 'after', ms };
}
