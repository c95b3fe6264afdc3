// Resizing a Deployment (Kubernetes' sync.go scale): with one active ReplicaSet, that one takes
// the new size; with a saturated new ReplicaSet, the old ones go to 0; mid-rollout, every
// active ReplicaSet grows or shrinks in proportion to its size, measured against the size the
// Deployment had when it was last scaled (the max-replicas annotation), and what rounding
// leaves over goes to the largest ReplicaSet (the newest of equals when adding, the oldest
// when removing).
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import { isRollingUpdate, maxSurge, replicasOf } from './fenceposts.js';
import { activeReplicaSets, bySizeNewer, bySizeOlder, findActiveOrLatest, isSaturated, maxReplicasAnnotation, replicaCount, specReplicas } from './replica-sets.js';
import type { WorkingSet } from './working-set.js';

/** Go's math.Round: halves away from zero. */
const roundHalfAway = (x: number): number => Math.sign(x) * Math.round(Math.abs(x));

/** How much `rs` would change if the Deployment's new size were spread by proportion (getReplicaSetFraction). */
function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (replicasOf(d) === 0) return -specReplicas(rs);
  const maxReplicas = replicasOf(d) + maxSurge(d);
  let before = maxReplicasAnnotation(rs) ?? 0;
  // Scaled by hand, without the annotation: measure against the Deployment's pods now.
  if (before === 0) before = d.status?.replicas ?? 0;
  if (before === 0) return 0;
  return roundHalfAway((specReplicas(rs) * maxReplicas) / before) - specReplicas(rs);
}

/** GetProportion: this ReplicaSet's share of `toAdd`, given `added` already handed out. */
export function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** The sizes each active ReplicaSet should have after a resize (pure; ReplicaSets from the working set). */
export function proportionalSizes(d: Deployment, active: readonly ReplicaSet[]): Map<string, number> {
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - replicaCount(active);
  const ordered = [...active];
  if (toAdd > 0) ordered.sort(bySizeNewer);
  else if (toAdd < 0) ordered.sort(bySizeOlder);
  const sizes = new Map<string, number>();
  let added = 0;
  for (const rs of ordered) {
    const share = toAdd !== 0 ? proportion(rs, d, toAdd, added) : 0;
    sizes.set(rs.metadata.name ?? '', specReplicas(rs) + share);
    added += share;
  }
  const largest = ordered[0];
  if (largest && toAdd !== 0) {
    const name = largest.metadata.name ?? '';
    sizes.set(name, Math.max(0, (sizes.get(name) ?? 0) + toAdd - added));
  }
  return sizes;
}

/** Applies a resize to the working set. */
export function scale(ws: WorkingSet, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): void {
  const d = ws.deployment;
  const only = findActiveOrLatest(newRS, oldRSs);
  if (only) {
    if (specReplicas(only) !== replicasOf(d)) ws.scaleIfNeeded(only, replicasOf(d));
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of activeReplicaSets(oldRSs)) ws.scaleIfNeeded(old, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const active = activeReplicaSets([...oldRSs, newRS]);
  const toAdd = (replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0) - replicaCount(active);
  const operation = toAdd > 0 ? 'up' : toAdd < 0 ? 'down' : undefined;
  for (const [name, size] of proportionalSizes(d, active)) {
    const rs = ws.get(name);
    // Every active ReplicaSet is written, size or not: its annotations record the new size.
    if (rs) ws.scale(rs, size, operation);
  }
}
