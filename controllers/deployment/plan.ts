// One sync of a Deployment as a plan (Kubernetes' syncDeployment): from the Deployment, the
// ReplicaSets it owns and their pods, the ReplicaSets to create, update or delete, the
// Deployment to write through /status (its status, and its revision annotation, which
// Kubernetes writes the same way), the events, and when to look again. Deciding is here;
// the controller only carries the plan out. No API, no clock: `now` is given.
import { isDeepStrictEqual } from 'node:util';
import type { Pod } from '../../api/types/core.js';
import type { Deployment, DeploymentStatus, ReplicaSet } from '../../api/types/apps.js';
import { isRollingUpdate, replicasOf } from './fenceposts.js';
import { syncNewReplicaSet } from './new-replica-set.js';
import { calculateStatus, deploymentComplete, rolloutStatus, syncPausedCondition } from './progress.js';
import { scale } from './proportional.js';
import { activeReplicaSets, actualReplicaCount, byRevision, desiredReplicasAnnotation, findNewReplicaSet, specReplicas } from './replica-sets.js';
import { reconcileNewReplicaSet, reconcileOldReplicaSets } from './rolling.js';
import { WorkingSet, type DeploymentAction, type PlannedEvent } from './working-set.js';

export interface DeploymentSyncInput {
  deployment: Deployment;
  /** The ReplicaSets the Deployment owns (after adoption and release). */
  replicaSets: readonly ReplicaSet[];
  /** Pods matching the Deployment's selector; Recreate waits until its old ReplicaSets' pods have ended. */
  pods?: readonly Pod[];
  /** RFC 3339, to the second. */
  now: string;
}

export interface DeploymentSyncPlan {
  actions: DeploymentAction[];
  /** The Deployment to PUT to /status, when its status or revision changed. */
  statusUpdate?: Deployment;
  events: PlannedEvent[];
  requeueAfterMs?: number;
}

const COUNTS = ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'terminatingReplicas'] as const;

/** The status as Kubernetes writes it: zero counts and empty conditions left out (omitempty). */
export function normalizeStatus(s: DeploymentStatus | undefined): DeploymentStatus {
  const out: DeploymentStatus = { ...(s ?? {}) };
  for (const k of COUNTS) if (!out[k]) delete out[k];
  if (!out.conditions?.length) delete out.conditions;
  return out;
}

export function planDeploymentSync(input: DeploymentSyncInput): DeploymentSyncPlan {
  const d = structuredClone(input.deployment);
  d.status = normalizeStatus(d.status);
  const ws = new WorkingSet(d, input.replicaSets);
  const requeueAfterMs = decide(ws, input);
  const original = input.deployment;
  const changed =
    !isDeepStrictEqual(normalizeStatus(original.status), normalizeStatus(d.status)) || !isDeepStrictEqual(original.metadata.annotations ?? {}, d.metadata.annotations ?? {});
  if (changed) d.status = normalizeStatus(d.status);
  return { actions: ws.actions(), statusUpdate: changed ? d : undefined, events: ws.events, requeueAfterMs };
}

/** Walks syncDeployment's branches; leaves the status to write in ws.deployment. */
function decide(ws: WorkingSet, input: DeploymentSyncInput): number | undefined {
  const d = ws.deployment;
  const { now } = input;
  const sel = d.spec.selector;
  if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) {
    ws.events.push({ type: 'Warning', reason: 'SelectingAll', message: 'This deployment is selecting all pods. A non-empty selector is required.' });
    if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) d.status = { ...d.status, observedGeneration: d.metadata.generation };
    return undefined;
  }
  if (d.metadata.deletionTimestamp) return syncStatusOnly(ws, now);
  syncPausedCondition(d, now);
  if (d.spec.paused || isScalingEvent(ws, now)) return resize(ws, now);
  return isRollingUpdate(d) ? rolloutRolling(ws, now) : rolloutRecreate(ws, input.pods ?? [], now);
}

interface Split {
  newRS: ReplicaSet | undefined;
  oldRSs: ReplicaSet[];
}

/** getAllReplicaSetsAndSyncRevision, then the working copies of what it found. */
function split(ws: WorkingSet, create: boolean, now: string): Split {
  const found = findNewReplicaSet(ws.deployment, ws.all());
  const olds = ws.all().filter((rs) => rs !== found);
  const newRS = syncNewReplicaSet(ws, olds, create, now);
  return current(ws, newRS, olds);
}

/** The latest copies of the given ReplicaSets. */
function current(ws: WorkingSet, newRS: ReplicaSet | undefined, olds: readonly ReplicaSet[]): Split {
  return { newRS: newRS && ws.get(newRS.metadata.name), oldRSs: olds.map((rs) => ws.get(rs.metadata.name)).filter((rs): rs is ReplicaSet => rs !== undefined) };
}

function writeStatus(ws: WorkingSet, status: DeploymentStatus): void {
  ws.deployment.status = status;
}

function syncStatusOnly(ws: WorkingSet, now: string): undefined {
  const { newRS, oldRSs } = split(ws, false, now);
  writeStatus(ws, calculateStatus([...oldRSs, newRS], newRS, ws.deployment, now));
  return undefined;
}

/** A ReplicaSet's desired-replicas annotation disagrees with the Deployment's size. */
function isScalingEvent(ws: WorkingSet, now: string): boolean {
  const { newRS, oldRSs } = split(ws, false, now);
  return activeReplicaSets([...oldRSs, newRS]).some((rs) => {
    const desired = desiredReplicasAnnotation(rs);
    return desired !== undefined && desired !== replicasOf(ws.deployment);
  });
}

/** sync(): proportional scaling, cleanup when paused, status. */
function resize(ws: WorkingSet, now: string): undefined {
  const found = split(ws, false, now);
  scale(ws, found.newRS, found.oldRSs);
  const { newRS, oldRSs } = current(ws, found.newRS, found.oldRSs);
  if (ws.deployment.spec.paused) cleanup(ws, oldRSs);
  writeStatus(ws, calculateStatus([...oldRSs, newRS], newRS, ws.deployment, now));
  return undefined;
}

function finish(ws: WorkingSet, s: Split, now: string): number | undefined {
  const { newRS, oldRSs } = current(ws, s.newRS, s.oldRSs);
  const r = rolloutStatus([...oldRSs, newRS], newRS, ws.deployment, now);
  // A status write brings the Deployment back through the watch; only an unchanged one needs a timer.
  const unchanged = isDeepStrictEqual(normalizeStatus(ws.deployment.status), normalizeStatus(r.status));
  writeStatus(ws, r.status);
  return unchanged ? r.requeueAfterMs : undefined;
}

function rolloutRolling(ws: WorkingSet, now: string): number | undefined {
  const s = split(ws, true, now);
  const newRS = s.newRS as ReplicaSet;
  if (reconcileNewReplicaSet(ws, [...s.oldRSs, newRS], newRS)) return finish(ws, s, now);
  const c = current(ws, newRS, s.oldRSs);
  const latestNew = c.newRS ?? newRS;
  if (reconcileOldReplicaSets(ws, [...c.oldRSs, latestNew], activeReplicaSets(c.oldRSs), latestNew)) return finish(ws, s, now);
  if (deploymentComplete(ws.deployment, ws.deployment.status ?? {})) cleanup(ws, current(ws, newRS, s.oldRSs).oldRSs);
  return finish(ws, s, now);
}

function rolloutRecreate(ws: WorkingSet, pods: readonly Pod[], now: string): number | undefined {
  let s = split(ws, false, now);
  let scaledDown = false;
  for (const rs of activeReplicaSets(s.oldRSs)) if (ws.scaleIfNeeded(rs, 0)) scaledDown = true;
  if (scaledDown) return finish(ws, s, now);
  if (oldPodsRunning(s, pods)) return finish(ws, s, now);
  if (!s.newRS) s = split(ws, true, now);
  if (s.newRS) ws.scaleIfNeeded(s.newRS, replicasOf(ws.deployment));
  if (deploymentComplete(ws.deployment, ws.deployment.status ?? {})) cleanup(ws, current(ws, s.newRS, s.oldRSs).oldRSs);
  return finish(ws, s, now);
}

/** Old ReplicaSets still have pods, or pods of theirs have not ended (Recreate never runs both). */
function oldPodsRunning({ newRS, oldRSs }: Split, pods: readonly Pod[]): boolean {
  if (actualReplicaCount(oldRSs) > 0) return true;
  const oldUids = new Set(oldRSs.map((rs) => rs.metadata.uid));
  return pods.some((p) => {
    const owner = p.metadata.ownerReferences?.find((o) => o.controller)?.uid;
    if (!owner || owner === newRS?.metadata.uid || !oldUids.has(owner)) return false;
    return p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded';
  });
}

/** Deletes the oldest old ReplicaSets beyond revisionHistoryLimit, only those at 0 replicas. */
function cleanup(ws: WorkingSet, oldRSs: readonly ReplicaSet[]): void {
  const limit = ws.deployment.spec.revisionHistoryLimit;
  if (limit === undefined) return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = cleanable.length - limit;
  if (diff <= 0) return;
  for (const rs of [...cleanable].sort(byRevision).slice(0, diff)) {
    if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0) continue;
    if ((rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    ws.delete(rs);
  }
}
