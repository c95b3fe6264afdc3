// A Deployment's status from its ReplicaSets (Kubernetes' sync.go calculateStatus and
// progress.go syncRolloutStatus): the counts, observedGeneration, Available while at least
// replicas − maxUnavailable pods are available, and Progressing: NewReplicaSetAvailable when
// the rollout is complete, ReplicaSetUpdated whenever it moved, ProgressDeadlineExceeded once
// progressDeadlineSeconds pass without progress. A rollout neither complete nor timed out is
// looked at again when its deadline would pass.
import type { Deployment, WorkloadCondition, DeploymentStatus, ReplicaSet } from '../../api/types/apps.js';
import { AVAILABLE, getCondition, newCondition, PROGRESSING, REASON, REPLICA_FAILURE, removeCondition, setCondition } from './conditions.js';
import { maxUnavailable, replicasOf } from './fenceposts.js';
import { hasProgressDeadline } from './new-replica-set.js';
import { actualReplicaCount, availableReplicaCount, readyReplicaCount, replicaCount } from './replica-sets.js';

export function calculateStatus(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment, now: string): DeploymentStatus {
  const available = availableReplicaCount(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: actualReplicaCount(allRSs),
    updatedReplicas: actualReplicaCount([newRS]),
    readyReplicas: readyReplicaCount(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, replicaCount(allRSs) - available),
    conditions: [...(d.status?.conditions ?? [])],
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, newCondition(AVAILABLE, 'True', REASON.minimumReplicasAvailable, 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition(AVAILABLE, 'False', REASON.minimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  }
  return status;
}

/** Every pod updated and available, and the status is of the current generation (DeploymentComplete). */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const r = replicasOf(d);
  return s.updatedReplicas === r && s.replicas === r && s.availableReplicas === r && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** Something moved since the stored status (DeploymentProgressing). */
function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

const ms = (t: string | undefined): number => (t ? Date.parse(t) : NaN);

/** DeploymentTimedOut: no progress reported for progressDeadlineSeconds. */
function deploymentTimedOut(d: Deployment, s: DeploymentStatus, now: string): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(s, PROGRESSING);
  if (!cond || cond.reason === REASON.newReplicaSetAvailable) return false;
  if (cond.reason === REASON.progressDeadlineExceeded) return true;
  return ms(cond.lastUpdateTime) + (d.spec.progressDeadlineSeconds ?? 0) * 1000 < ms(now);
}

export interface RolloutStatus {
  status: DeploymentStatus;
  /** Look at the Deployment again after this long, to see whether its deadline passed. */
  requeueAfterMs?: number;
}

/** syncRolloutStatus's decision: the status to write (the working Deployment's own when nothing changed). */
export function rolloutStatus(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment, now: string): RolloutStatus {
  const s = calculateStatus(allRSs, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(s, PROGRESSING);
  const current = getCondition(d.status, PROGRESSING);
  const complete = s.replicas === s.updatedReplicas && current?.reason === REASON.newReplicaSetAvailable;
  if (hasProgressDeadline(d) && !complete) {
    const rsName = newRS?.metadata.name;
    const subject = rsName !== undefined ? `ReplicaSet "${rsName}"` : `Deployment "${d.metadata.name ?? ''}"`;
    if (deploymentComplete(d, s)) {
      setCondition(s, newCondition(PROGRESSING, 'True', REASON.newReplicaSetAvailable, `${subject} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, s)) {
      // Progress refreshes lastUpdateTime even under the same reason; the transition time stays while True.
      const cond = newCondition(PROGRESSING, 'True', REASON.replicaSetUpdated, `${subject} is progressing.`, now);
      if (current?.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
      removeCondition(s, PROGRESSING);
      setCondition(s, cond);
    } else if (deploymentTimedOut(d, s, now)) {
      setCondition(s, newCondition(PROGRESSING, 'False', REASON.progressDeadlineExceeded, `${subject} has timed out progressing.`, now));
    }
  }
  // A ReplicaSet's ReplicaFailure (pods it could not create) shows on the Deployment, the new one's first.
  const failure = replicaFailure(newRS) ?? allRSs.map(replicaFailure).find((c) => c !== undefined);
  if (failure) setCondition(s, failure);
  else removeCondition(s, REPLICA_FAILURE);
  return { status: s, requeueAfterMs: stuckRequeueMs(d, s, now) };
}

function replicaFailure(rs: ReplicaSet | undefined): WorkloadCondition | undefined {
  const c = rs?.status?.conditions?.find((x) => x.type === REPLICA_FAILURE);
  if (!c) return undefined;
  return { type: c.type, status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
}

/** requeueStuckDeployment: when a rollout in progress would pass its deadline. */
function stuckRequeueMs(d: Deployment, s: DeploymentStatus, now: string): number | undefined {
  const cond = getCondition(d.status, PROGRESSING);
  if (!hasProgressDeadline(d) || !cond) return undefined;
  if (deploymentComplete(d, s) || cond.reason === REASON.progressDeadlineExceeded) return undefined;
  const after = ms(cond.lastUpdateTime) + (d.spec.progressDeadlineSeconds ?? 0) * 1000 - ms(now);
  // Kubernetes requeues at once (rate limited) under a second; a second is the clock's grain here.
  return Number.isNaN(after) ? undefined : Math.max(after, 1000);
}

/** checkPausedConditions: Progressing Unknown DeploymentPaused / DeploymentResumed, unless timed out. In place. */
export function syncPausedCondition(d: Deployment, now: string): void {
  if (!hasProgressDeadline(d)) return;
  d.status ??= {};
  const cond = getCondition(d.status, PROGRESSING);
  if (cond?.reason === REASON.progressDeadlineExceeded) return;
  const pausedShown = cond?.reason === REASON.deploymentPaused;
  if (d.spec.paused && !pausedShown) {
    setCondition(d.status, newCondition(PROGRESSING, 'Unknown', REASON.deploymentPaused, 'Deployment is paused', now));
  } else if (!d.spec.paused && pausedShown) {
    setCondition(d.status, newCondition(PROGRESSING, 'Unknown', REASON.deploymentResumed, 'Deployment is resumed', now));
  }
}
