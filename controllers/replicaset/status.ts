// A ReplicaSet's status from its active pods, as calculateStatus in kube-controller-manager's
// replica_set_utils.go: replicas, fullyLabeledReplicas (pods carrying every template label),
// readyReplicas, availableReplicas (ready for minReadySeconds), observedGeneration, and the
// ReplicaFailure condition while creating or deleting pods fails. Also when the next pod
// becomes available, so the controller can look again then.
import { labelSelectorFromSet } from '../../api/selectors/labels.js';
import type { Pod } from '../../api/types/core.js';
import type { ReplicaSet, ReplicaSetStatus, WorkloadCondition } from '../../api/types/apps.js';
import { isPodReady } from '../../api/active-pods.js';
import { isPodAvailable, msUntilAvailable } from '../active-pods.js';
import { metaTime } from '../../api/time.js';

export const REPLICA_FAILURE = 'ReplicaFailure';

export interface StatusResult {
  status: ReplicaSetStatus;
  /** ms until a ready pod becomes available (minReadySeconds), when one is waiting. */
  nextAvailableInMs?: number;
}

/** `pods` are the ReplicaSet's active pods; `manageError` what creating or deleting them threw this sync. */
export function replicaSetStatus(rs: ReplicaSet, pods: readonly Pod[], manageError: unknown, now: number): StatusResult {
  const templateLabels = labelSelectorFromSet(rs.spec.template?.metadata?.labels ?? {});
  const minReady = rs.spec.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  let nextAvailableInMs: number | undefined;
  for (const pod of pods) {
    if (templateLabels.matches(pod.metadata.labels ?? {})) fullyLabeled++;
    if (!isPodReady(pod)) continue;
    ready++;
    if (isPodAvailable(pod, minReady, now)) available++;
    else {
      const wait = msUntilAvailable(pod, minReady, now) ?? 0;
      nextAvailableInMs = nextAvailableInMs === undefined ? wait : Math.min(nextAvailableInMs, wait);
    }
  }
  const previous = rs.status ?? {};
  let conditions = previous.conditions ?? [];
  const failure = conditions.find((c) => c.type === REPLICA_FAILURE);
  if (manageError !== undefined && !failure) {
    const diff = pods.length - (rs.spec.replicas ?? 1);
    const condition: WorkloadCondition = {
      type: REPLICA_FAILURE,
      status: 'True',
      lastTransitionTime: metaTime(now),
      reason: diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '',
      message: errorMessage(manageError),
    };
    conditions = [...conditions, condition];
  } else if (manageError === undefined && failure) {
    conditions = conditions.filter((c) => c !== failure);
  }
  const status: ReplicaSetStatus = {
    ...previous,
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata.generation ?? previous.observedGeneration,
    conditions: conditions.length > 0 ? conditions : undefined,
  };
  if (status.conditions === undefined) delete status.conditions;
  return { status, nextAvailableInMs };
}

/** Whether writing `next` would change what the ReplicaSet says (updateReplicaSetStatus's test). */
export function statusChanged(rs: ReplicaSet, next: ReplicaSetStatus): boolean {
  const cur = rs.status ?? {};
  return (
    (cur.replicas ?? 0) !== (next.replicas ?? 0) ||
    (cur.fullyLabeledReplicas ?? 0) !== (next.fullyLabeledReplicas ?? 0) ||
    (cur.readyReplicas ?? 0) !== (next.readyReplicas ?? 0) ||
    (cur.availableReplicas ?? 0) !== (next.availableReplicas ?? 0) ||
    cur.observedGeneration !== next.observedGeneration ||
    JSON.stringify(cur.conditions ?? []) !== JSON.stringify(next.conditions ?? [])
  );
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
