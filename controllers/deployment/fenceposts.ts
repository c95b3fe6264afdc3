// maxSurge and maxUnavailable as numbers of pods (Kubernetes' deployment_util ResolveFenceposts,
// MaxSurge, MaxUnavailable): an integer is taken as is, a percentage of the desired replicas
// rounds up for the surge and down for the unavailable, and when both come out 0 the rollout
// could never move, so maxUnavailable becomes 1.
import { scaledValue } from '../../api/int-or-percent.js';
import type { IntOrString } from '../../api/types/apps.js';
import type { Deployment } from '../../api/types/apps.js';

/** [maxSurge, maxUnavailable] in pods for `desired` replicas. */
export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): [number, number] {
  const surge = scaledValue(maxSurge, desired, true);
  let unavailable = scaledValue(maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

export function replicasOf(d: Deployment): number {
  return d.spec.replicas ?? 1;
}

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** Pods the rollout may run above the desired count (0 for Recreate). */
export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge ?? '25%', ru?.maxUnavailable ?? '25%', replicasOf(d))[0];
}

/** Pods that may be unavailable during the rollout, never more than the desired count. */
export function maxUnavailable(d: Deployment): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  const unavailable = resolveFenceposts(ru?.maxSurge ?? '25%', ru?.maxUnavailable ?? '25%', replicas)[1];
  return Math.min(unavailable, replicas);
}
