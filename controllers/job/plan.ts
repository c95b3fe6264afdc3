// What one sync of a Job does, as kube-controller-manager's job_controller.go, from plain
// records: its pods (claimed, finished ones included), the Job and the time. It counts the
// succeeded and failed pods (Indexed: the succeeded indexes, as compressed ranges), decides
// whether the Job is finished (completions reached; more failures than backoffLimit; past
// activeDeadlineSeconds) with Kubernetes' 1.31+ conditions (SuccessCriteriaMet / FailureTarget
// first, Complete / Failed once no pod is left running), and otherwise how many pods to create
// (at most parallelism, at most the remaining completions; after failures not before the
// exponential pod-failure backoff) or delete (surplus, suspended, finished).
import type { Job, JobCondition, JobStatus } from '../../api/types/batch.js';
import type { Pod } from '../../api/types/core.js';
import { isPodActive, isPodReady, podsToDelete } from '../active-pods.js';
import { metaTime } from '../../api/time.js';
import { matchPodFailurePolicy, POD_FAILURE_POLICY_REASON } from './pod-failure-policy.js';

export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
/** DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff. */
export const POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 6 * 60_000;
const BURST = 500;

export interface JobPlanOptions {
  now: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

export interface JobPlan {
  /** NonIndexed: pods to create. */
  create: number;
  /** Indexed: the completion indexes to create pods for. */
  createIndexes: number[];
  delete: Pod[];
  status: JobStatus;
  /** Sync again after this long (backoff or deadline), if set. */
  requeueAfterMs?: number;
}

/** The Job's completion index of a pod (annotation, else label); undefined when absent or invalid. */
export function completionIndexOf(pod: Pod): number | undefined {
  const v = pod.metadata.annotations?.[COMPLETION_INDEX] ?? pod.metadata.labels?.[COMPLETION_INDEX];
  if (v === undefined || !/^(0|[1-9]\d*)$/.test(v)) return undefined;
  return Number(v);
}

/** Sorted indexes as Kubernetes writes completedIndexes: "0-2,4". */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** When a finished pod finished: its containers' last finishedAt, else its last condition change, else its creation. */
export function podFinishedAt(pod: Pod): number {
  const times = [
    ...(pod.status?.containerStatuses ?? []).map((c) => c.state?.terminated?.finishedAt),
    ...(pod.status?.conditions ?? []).map((c) => c.lastTransitionTime),
  ]
    .map((t) => (t ? Date.parse(t) : NaN))
    .filter((t) => !Number.isNaN(t));
  return times.length > 0 ? Math.max(...times) : Date.parse(pod.metadata.creationTimestamp ?? '') || 0;
}

/** The delay before replacing after `failures` failures in a row: base·2^(n−1), at most the cap. */
export function failureBackoffMs(failures: number, baseMs = POD_FAILURE_BACKOFF_MS, capMs = MAX_POD_FAILURE_BACKOFF_MS): number {
  if (failures <= 0) return 0;
  return Math.min(capMs, baseMs * 2 ** Math.min(failures - 1, 30));
}

const isTrue = (job: Job, type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

function setCondition(conditions: JobCondition[], type: string, status: JobCondition['status'], reason: string, message: string, now: string): JobCondition[] {
  const old = conditions.find((c) => c.type === type);
  if (old && old.status === status && old.reason === reason && old.message === message) return conditions;
  const next: JobCondition = { type, status, lastProbeTime: now, lastTransitionTime: old?.status === status ? (old.lastTransitionTime ?? now) : now, reason, message };
  return old ? conditions.map((c) => (c === old ? next : c)) : [...conditions, next];
}

export function planJob(job: Job, pods: readonly Pod[], o: JobPlanOptions): JobPlan {
  const nowIso = metaTime(o.now);
  const spec = job.spec;
  const indexed = spec.completionMode === 'Indexed';
  const parallelism = Math.max(0, spec.parallelism ?? 1);
  const completions = spec.completions;
  const active = pods.filter(isPodActive);
  const terminating = pods.filter((p) => p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const succeededPods = pods.filter((p) => p.status?.phase === 'Succeeded');
  // podFailurePolicy: an ignored failure does not count; the first FailJob match fails the Job.
  let failJobMessage: string | undefined;
  const failedPods = pods.filter((p) => {
    if (p.status?.phase !== 'Failed') return false;
    const verdict = matchPodFailurePolicy(spec.podFailurePolicy, p);
    failJobMessage ??= verdict.failJobMessage;
    return verdict.counts;
  });
  const doneIndexes = new Set<number>();
  if (indexed) for (const p of succeededPods) {
    const i = completionIndexOf(p);
    if (i !== undefined && i < (completions ?? 0)) doneIndexes.add(i);
  }
  // Counted pods may since have been deleted (no tracking finalizer): counts never go down.
  const succeeded = Math.max(indexed ? doneIndexes.size : succeededPods.length, indexed ? 0 : (job.status?.succeeded ?? 0));
  const failed = Math.max(failedPods.length, job.status?.failed ?? 0);
  let conditions = [...(job.status?.conditions ?? [])];
  const status: JobStatus = { ...job.status, failed, succeeded, ready: active.filter(isPodReady).length, terminating: terminating.length };
  if (indexed) status.completedIndexes = formatIndexes(doneIndexes);
  const plan: JobPlan = { create: 0, createIndexes: [], delete: [], status };
  const finish = (remaining: readonly Pod[]) => {
    status.active = active.length - remaining.length;
    status.conditions = conditions.length > 0 ? conditions : undefined;
    return plan;
  };

  if (isTrue(job, 'Complete') || isTrue(job, 'Failed')) {
    plan.delete = active;
    return finish(active);
  }
  const suspended = spec.suspend === true;
  if (!suspended && !status.startTime) status.startTime = nowIso;

  // Finished? A failure target first, then success.
  let target = isTrue(job, 'FailureTarget') ?? isTrue(job, 'SuccessCriteriaMet');
  if (!target) {
    const start = status.startTime ? Date.parse(status.startTime) : undefined;
    const deadline = spec.activeDeadlineSeconds !== undefined && start !== undefined && !suspended ? start + spec.activeDeadlineSeconds * 1000 : undefined;
    if (failJobMessage !== undefined) {
      conditions = setCondition(conditions, 'FailureTarget', 'True', POD_FAILURE_POLICY_REASON, failJobMessage, nowIso);
    } else if (failed > (spec.backoffLimit ?? 6)) {
      conditions = setCondition(conditions, 'FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', nowIso);
    } else if (deadline !== undefined && o.now >= deadline) {
      conditions = setCondition(conditions, 'FailureTarget', 'True', 'DeadlineExceeded', 'Job was active longer than specified deadline', nowIso);
    } else if (completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0) {
      conditions = setCondition(conditions, 'SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', nowIso);
    } else if (deadline !== undefined) {
      plan.requeueAfterMs = deadline - o.now;
    }
    target = conditions.find((c) => (c.type === 'FailureTarget' || c.type === 'SuccessCriteriaMet') && c.status === 'True');
  }
  if (target) {
    // Every pod still running goes; the final condition once none is left.
    plan.delete = active;
    if (active.length === 0 && terminating.length === 0) {
      const done = target.type === 'FailureTarget' ? 'Failed' : 'Complete';
      conditions = setCondition(conditions, done, 'True', target.reason ?? '', target.message ?? '', nowIso);
      if (done === 'Complete') status.completionTime = nowIso;
    }
    return finish(active);
  }

  if (suspended) {
    plan.delete = active;
    if (active.length > 0 || isTrue(job, 'Suspended') === undefined) conditions = setCondition(conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', nowIso);
    return finish(active);
  }
  if (isTrue(job, 'Suspended')) {
    conditions = setCondition(conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', nowIso);
    status.startTime = nowIso; // a resumed Job's deadline counts from its resumption
  }

  // How many should run now.
  let pendingIndexes: number[] = [];
  let want: number;
  let surplus: Pod[] = [];
  if (indexed) {
    const running = new Map<number, Pod[]>();
    for (const p of active) {
      const i = completionIndexOf(p);
      // A pod without a valid index, for an index already done, or a second one for an index goes.
      if (i === undefined || i >= (completions ?? 0) || doneIndexes.has(i) || running.has(i)) surplus.push(p);
      else running.set(i, [p]);
    }
    for (let i = 0; i < (completions ?? 0); i++) if (!doneIndexes.has(i) && !running.has(i)) pendingIndexes.push(i);
    want = Math.min(parallelism, running.size + pendingIndexes.length);
    const keep = active.length - surplus.length;
    if (keep > want) surplus = [...surplus, ...podsToDelete(active.filter((p) => !surplus.includes(p)), keep - want)];
    pendingIndexes = pendingIndexes.slice(0, Math.max(0, want - keep));
  } else {
    want = completions !== undefined ? Math.min(parallelism, completions - succeeded) : succeeded > 0 ? Math.min(active.length, parallelism) : parallelism;
    if (active.length > want) surplus = podsToDelete(active, Math.min(active.length - want, BURST));
  }
  if (surplus.length > 0) {
    plan.delete = surplus.slice(0, BURST);
    return finish(plan.delete);
  }
  const missing = indexed ? pendingIndexes.length : want - active.length;
  if (missing > 0) {
    // The pod-failure backoff: failures since the last success, counted from the last failure.
    const lastSuccess = Math.max(0, ...succeededPods.map(podFinishedAt));
    const recent = failedPods.map(podFinishedAt).filter((t) => t >= lastSuccess);
    const wait = recent.length > 0 ? Math.max(...recent) + failureBackoffMs(recent.length, o.backoffBaseMs, o.backoffCapMs) - o.now : 0;
    if (wait > 0) {
      plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, wait);
    } else if (indexed) {
      plan.createIndexes = pendingIndexes.slice(0, BURST);
    } else {
      plan.create = Math.min(missing, BURST);
    }
  }
  status.conditions = conditions.length > 0 ? conditions : undefined;
  status.active = active.length + plan.create + plan.createIndexes.length;
  return plan;
}
