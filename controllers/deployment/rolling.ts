// One step of a RollingUpdate (Kubernetes' rolling.go), on the working copies: first the new
// ReplicaSet grows, up to replicas + maxSurge pods in all; only when it cannot, the old ones
// shrink, keeping replicas − maxUnavailable available: their unavailable pods go first
// (cleanupUnhealthyReplicas), then available ones, oldest ReplicaSet first.
import type { ReplicaSet } from '../../api/types/apps.js';
import { maxUnavailable, replicasOf } from './fenceposts.js';
import { newReplicaSetReplicas } from './new-replica-set.js';
import { availableReplicaCount, byCreation, replicaCount, specReplicas } from './replica-sets.js';
import type { WorkingSet } from './working-set.js';

/** Scales the new ReplicaSet toward the desired count as far as the surge allows. True when it scaled. */
export function reconcileNewReplicaSet(ws: WorkingSet, allRSs: readonly ReplicaSet[], newRS: ReplicaSet): boolean {
  const d = ws.deployment;
  const replicas = replicasOf(d);
  if (specReplicas(newRS) === replicas) return false;
  if (specReplicas(newRS) > replicas) return ws.scaleIfNeeded(newRS, replicas);
  return ws.scaleIfNeeded(newRS, newReplicaSetReplicas(d, allRSs, newRS));
}

/** Scales old ReplicaSets down as far as availability allows. True when any was scaled. */
export function reconcileOldReplicaSets(ws: WorkingSet, allRSs: readonly ReplicaSet[], oldRSs: readonly ReplicaSet[], newRS: ReplicaSet): boolean {
  const d = ws.deployment;
  if (replicaCount(oldRSs) === 0) return false;
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newRSUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  // Pods that may go: everything asked for, less what must stay available, less the new
  // ReplicaSet's pods that are not available yet (they count against the budget too).
  const maxScaledDown = replicaCount(allRSs) - minAvailable - newRSUnavailable;
  if (maxScaledDown <= 0) return false;
  const cleaned = cleanupUnhealthyReplicas(ws, oldRSs, maxScaledDown);
  const olds = oldRSs.map((rs) => ws.get(rs.metadata.name) ?? rs);
  const scaledDown = scaleDownOldReplicaSets(ws, [...olds, ws.get(newRS.metadata.name) ?? newRS], olds);
  return cleaned + scaledDown > 0;
}

/** Removes old ReplicaSets' unavailable pods first, at most `maxCleanup`. Returns how many. */
export function cleanupUnhealthyReplicas(ws: WorkingSet, oldRSs: readonly ReplicaSet[], maxCleanup: number): number {
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= maxCleanup) break;
    const size = specReplicas(rs);
    const available = rs.status?.availableReplicas ?? 0;
    if (size === 0 || size === available) continue;
    const count = Math.min(maxCleanup - total, size - available);
    ws.scaleIfNeeded(rs, size - count);
    total += count;
  }
  return total;
}

/** Scales old ReplicaSets down while more than replicas − maxUnavailable are available. Returns how many. */
export function scaleDownOldReplicaSets(ws: WorkingSet, allRSs: readonly ReplicaSet[], oldRSs: readonly ReplicaSet[]): number {
  const d = ws.deployment;
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const available = availableReplicaCount(allRSs);
  if (available <= minAvailable) return 0;
  const toScaleDown = available - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= toScaleDown) break;
    const size = specReplicas(rs);
    if (size === 0) continue;
    const count = Math.min(size, toScaleDown - total);
    ws.scaleIfNeeded(rs, size - count);
    total += count;
  }
  return total;
}
