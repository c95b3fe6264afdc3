// The rules of disruption budgets that both pods/eviction (API server) and the disruption
// controller apply: which budgets cover a pod, and the
// DisruptionAllowed condition (Kubernetes' pkg/apis/policy and util/pdb helpers).
import { labelSelectorFromObject } from './selectors/labels.js';
import type { Pod, PodCondition } from './types/core.js';
import type { Condition, PodDisruptionBudget, PodDisruptionBudgetStatus } from './types/policy.js';
import { metaTime } from './time.js';

export const DISRUPTION_ALLOWED = 'DisruptionAllowed';
export const SUFFICIENT_PODS = 'SufficientPods';
export const INSUFFICIENT_PODS = 'InsufficientPods';
export const SYNC_FAILED = 'SyncFailed';
/** The StatusCause type of an eviction refused by a budget (policyv1.DisruptionBudgetCause). */
export const DISRUPTION_BUDGET_CAUSE = 'DisruptionBudget';
export const EVICTION_REFUSED_MESSAGE = "Cannot evict pod as it would violate the pod's disruption budget.";

/** A budget covers the pods its selector matches in its namespace; a missing selector covers none. */
export function budgetCovers(pdb: PodDisruptionBudget, pod: Pod): boolean {
  if (pdb.metadata.namespace !== pod.metadata.namespace) return false;
  return labelSelectorFromObject(pdb.spec?.selector).matches(pod.metadata.labels ?? {});
}

/**
 * The DisruptionAllowed condition for a status (UpdateDisruptionAllowedCondition): True with
 * SufficientPods while a disruption is allowed; the old transition time kept when the status
 * does not move.
 */
export function withDisruptionAllowedCondition(status: PodDisruptionBudgetStatus, generation: number | undefined, now: Date): Condition[] {
  const allowed = status.disruptionsAllowed > 0;
  const next: Condition = allowed
    ? { type: DISRUPTION_ALLOWED, status: 'True', reason: SUFFICIENT_PODS, message: '', lastTransitionTime: metaTime(now) }
    : { type: DISRUPTION_ALLOWED, status: 'False', reason: INSUFFICIENT_PODS, message: '', lastTransitionTime: metaTime(now) };
  if (generation !== undefined) next.observedGeneration = generation;
  const old = status.conditions?.find((c) => c.type === DISRUPTION_ALLOWED);
  if (old && old.status === next.status) next.lastTransitionTime = old.lastTransitionTime;
  return [...(status.conditions ?? []).filter((c) => c.type !== DISRUPTION_ALLOWED), next];
}

/**
 * The pod condition that says why it is going (DisruptionTarget, PodDisruptionConditions):
 * reason EvictionByEvictionAPI for pods/eviction, DeletionByTaintManager for a NoExecute taint.
 */
export function disruptionTarget(reason: string, message: string, at: Date): PodCondition {
  return { type: 'DisruptionTarget', status: 'True', reason, message, lastTransitionTime: metaTime(at) };
}

/** The pod with its DisruptionTarget condition set (UpdatePodCondition: the others kept). */
export function withDisruptionTarget(pod: Pod, condition: PodCondition): Pod {
  const others = (pod.status?.conditions ?? []).filter((c) => c.type !== condition.type);
  pod.status = { ...pod.status, conditions: [...others, condition] };
  return pod;
}
