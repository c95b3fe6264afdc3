// What a PodDisruptionBudget's status should be, as a pure function of the budget, the pods
// it covers and the time (pkg/controller/disruption's getExpectedPodCount, buildDisruptedPodMap,
// countHealthyPods and updatePdbStatus). The controller feeds it from its informers and
// writes the answer through /status.
import { isPodReady } from '../../api/active-pods.js';
import { SYNC_FAILED, DISRUPTION_ALLOWED, withDisruptionAllowedCondition } from '../../api/disruption.js';
import { scaledValue } from '../../api/int-or-percent.js';
import type { Pod } from '../../api/types/core.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from '../../api/types/policy.js';
import { metaTime } from '../../api/time.js';

/** How long an admitted eviction may take before the pod counts again (Kubernetes' DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

/** Whether a budget needs its pods' controllers' scale (maxUnavailable, or a percent minAvailable). */
export function needsScale(pdb: PodDisruptionBudget): boolean {
  const spec = pdb.spec ?? {};
  return spec.maxUnavailable !== undefined || typeof spec.minAvailable === 'string';
}

export interface StatusPlan {
  status: PodDisruptionBudgetStatus;
  /** When a disruptedPods entry expires and the budget should be synced again (ms since epoch). */
  recheckAt?: number;
}

/**
 * The status for `pods` (those the selector matches). `scale` is the sum of the pods'
 * controllers' replicas when needsScale says it is needed: a number, or the reason it could not
 * be found (the budget then fails safe: no disruption allowed, SyncFailed).
 */
export function planStatus(pdb: PodDisruptionBudget, pods: Pod[], now: number, scale?: number | Error): StatusPlan {
  const old = pdb.status;
  const at = new Date(now);
  if (scale instanceof Error) {
    const failed: PodDisruptionBudgetStatus = {
      ...(old ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 }),
      disruptionsAllowed: 0,
      observedGeneration: pdb.metadata.generation,
    };
    const stamp = metaTime(at);
    const prev = old?.conditions?.find((c) => c.type === DISRUPTION_ALLOWED);
    const cond = { type: DISRUPTION_ALLOWED, status: 'False' as const, reason: SYNC_FAILED, message: scale.message, observedGeneration: pdb.metadata.generation, lastTransitionTime: prev?.status === 'False' ? prev.lastTransitionTime : stamp };
    failed.conditions = [...(old?.conditions ?? []).filter((c) => c.type !== DISRUPTION_ALLOWED), cond];
    return { status: failed };
  }
  const spec = pdb.spec ?? {};
  let expected = 0;
  let desired = 0;
  if (spec.maxUnavailable !== undefined) {
    expected = scale ?? pods.length;
    desired = Math.max(0, expected - scaledValue(spec.maxUnavailable, expected, true));
  } else if (typeof spec.minAvailable === 'number') {
    desired = spec.minAvailable;
    expected = pods.length;
  } else if (typeof spec.minAvailable === 'string') {
    expected = scale ?? pods.length;
    desired = scaledValue(spec.minAvailable, expected, true);
  }
  // Admitted evictions whose pods are not going yet: not healthy until they expire.
  const disrupted: Record<string, string> = {};
  let recheckAt: number | undefined;
  for (const pod of pods) {
    const when = old?.disruptedPods?.[pod.metadata.name ?? ''];
    if (when === undefined || pod.metadata.deletionTimestamp) continue;
    const expires = Date.parse(when) + DELETION_TIMEOUT_MS;
    if (expires < now) continue;
    disrupted[pod.metadata.name ?? ''] = when;
    recheckAt = recheckAt === undefined ? expires : Math.min(recheckAt, expires);
  }
  const healthy = pods.filter((p) => !p.metadata.deletionTimestamp && disrupted[p.metadata.name ?? ''] === undefined && isPodReady(p)).length;
  const allowed = expected <= 0 ? 0 : Math.max(0, healthy - desired);
  const status: PodDisruptionBudgetStatus = {
    observedGeneration: pdb.metadata.generation,
    ...(Object.keys(disrupted).length > 0 ? { disruptedPods: disrupted } : {}),
    disruptionsAllowed: allowed,
    currentHealthy: healthy,
    desiredHealthy: desired,
    expectedPods: expected,
    conditions: old?.conditions,
  };
  status.conditions = withDisruptionAllowedCondition(status, pdb.metadata.generation, at);
  return { status, recheckAt };
}

/** Whether a planned status differs from the stored one (no write when it does not). */
export function statusChanged(old: PodDisruptionBudgetStatus | undefined, next: PodDisruptionBudgetStatus): boolean {
  return JSON.stringify(normal(old)) !== JSON.stringify(normal(next));
}

function normal(s: PodDisruptionBudgetStatus | undefined): unknown {
  if (!s) return undefined;
  const { disruptedPods, conditions, ...counts } = s;
  const sorted = Object.fromEntries(Object.entries(disruptedPods ?? {}).sort(([a], [b]) => a.localeCompare(b)));
  const conds = (conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message, c.observedGeneration ?? null]);
  return [counts.observedGeneration ?? null, counts.disruptionsAllowed, counts.currentHealthy, counts.desiredHealthy, counts.expectedPods, sorted, conds];
}
