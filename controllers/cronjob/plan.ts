// What one sync of a CronJob does now, as kube-controller-manager's cronjob_controllerv2.go,
// from plain records: the CronJob, the Jobs it controls and the time. Finished Jobs leave
// status.active (the last Complete one sets lastSuccessfulTime); only the most recent missed
// schedule time is started (more than 100 missed: TooManyMissedTimes), none once past
// startingDeadlineSeconds; concurrencyPolicy Forbid skips while a Job runs, Replace deletes the
// running ones first; the Job is named `<cronjob>-<scheduled minutes since the epoch>` and
// annotated with its scheduled time; finished Jobs beyond the history limits are deleted,
// oldest first; and the next sync is at the next schedule time.
import { parseSchedule } from '../../api/cron.js';
import type { CronJob, CronJobStatus, Job } from '../../api/types/batch.js';
import type { ObjectReference } from '../../api/types/core.js';
import { metaTime } from '../../api/time.js';

export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
const TOO_MANY_MISSED = 100;

export interface CronEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface CronPlan {
  /** The Job to create (without its controllerRef's uid filled in by the caller). */
  create?: Job;
  /** Running Jobs to delete first (Replace). */
  deleteActive: ObjectReference[];
  /** Finished Jobs beyond the history limits. */
  deleteFinished: Job[];
  status: CronJobStatus;
  events: CronEvent[];
  /** Sync again after this long: the next schedule time. */
  requeueAfterMs?: number;
}

const finishedAs = (job: Job): 'Complete' | 'Failed' | undefined =>
  job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.type as 'Complete' | 'Failed' | undefined;

/** The Job's name for a scheduled time: getJobName. */
export function jobNameFor(cronJob: CronJob, scheduled: number): string {
  return `${cronJob.metadata.name ?? ''}-${Math.floor(scheduled / 60_000)}`;
}

/** The first schedule time after `now`, in ms. */
export function nextScheduleTime(cronJob: CronJob, now: number): number {
  return parseSchedule(cronJob.spec.schedule, cronJob.spec.timeZone, new Date(now)).next().getTime();
}

/**
 * mostRecentScheduleTime: the latest schedule time after the last one started (or the
 * creation) and not after `now`, with how many were missed (counted up to 101).
 */
export function mostRecentScheduleTime(cronJob: CronJob, now: number): { time?: number; missed: number } {
  let earliest = Date.parse(cronJob.status?.lastScheduleTime ?? cronJob.metadata.creationTimestamp ?? '') || now;
  const sds = cronJob.spec.startingDeadlineSeconds;
  if (sds !== undefined) earliest = Math.max(earliest, now - sds * 1000);
  if (earliest > now) return { missed: 0 };
  const { schedule, timeZone } = cronJob.spec;
  const latest = parseSchedule(schedule, timeZone, new Date(now + 1)).prev().getTime();
  if (latest <= earliest) return { missed: 0 };
  const it = parseSchedule(schedule, timeZone, new Date(earliest));
  let missed = 0;
  while (missed <= TOO_MANY_MISSED && it.next().getTime() <= now) missed++;
  return { time: latest, missed };
}

function jobFor(cronJob: CronJob, scheduled: number): Job {
  const t = cronJob.spec.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cronJob, scheduled),
      namespace: cronJob.metadata.namespace,
      labels: { ...t.metadata?.labels },
      annotations: { ...t.metadata?.annotations, [SCHEDULED_TIMESTAMP]: metaTime(scheduled) },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob.metadata.name ?? '', uid: cronJob.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(t.spec),
  };
}

const refOf = (job: Job): ObjectReference => ({ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, namespace: job.metadata.namespace, uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion });

/** The finished Jobs beyond `limit`, oldest start first (nil start last, then by name), as removeOldestJobs. */
function oldest(jobs: Job[], limit: number): Job[] {
  if (jobs.length <= limit) return [];
  const start = (j: Job) => (j.status?.startTime ? Date.parse(j.status.startTime) : Infinity);
  const sorted = [...jobs].sort((a, b) => start(a) - start(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  return sorted.slice(0, jobs.length - limit);
}

/** `jobs` are the Jobs the CronJob controls. */
export function planCronJob(cronJob: CronJob, jobs: readonly Job[], now: number): CronPlan {
  const plan: CronPlan = { deleteActive: [], deleteFinished: [], status: { ...cronJob.status }, events: [] };
  const status = plan.status;
  // Reconcile status.active with the Jobs: finished ones leave it, running unknown ones join it.
  const byUid = new Map(jobs.map((j) => [j.metadata.uid, j]));
  let active = (cronJob.status?.active ?? []).filter((r) => {
    const j = byUid.get(r.uid);
    return j !== undefined && finishedAs(j) === undefined;
  });
  for (const j of jobs) {
    const how = finishedAs(j);
    if (how === undefined && !active.some((r) => r.uid === j.metadata.uid)) active.push(refOf(j));
    if (how !== undefined && (cronJob.status?.active ?? []).some((r) => r.uid === j.metadata.uid)) {
      plan.events.push({ type: 'Normal', reason: 'SawCompletedJob', message: `Saw completed job: ${j.metadata.name ?? ''}, condition: ${how}` });
    }
    if (how === 'Complete' && j.status?.completionTime && (!status.lastSuccessfulTime || Date.parse(j.status.completionTime) > Date.parse(status.lastSuccessfulTime))) {
      status.lastSuccessfulTime = j.status.completionTime;
    }
  }
  status.active = active.length > 0 ? active : undefined;

  // History limits.
  const succeeded = jobs.filter((j) => finishedAs(j) === 'Complete');
  const failed = jobs.filter((j) => finishedAs(j) === 'Failed');
  plan.deleteFinished = [...oldest(succeeded, cronJob.spec.successfulJobsHistoryLimit ?? 3), ...oldest(failed, cronJob.spec.failedJobsHistoryLimit ?? 1)];

  if (cronJob.metadata.deletionTimestamp || cronJob.spec.suspend) return plan;
  let next: number;
  let recent: { time?: number; missed: number };
  try {
    next = nextScheduleTime(cronJob, now);
    recent = mostRecentScheduleTime(cronJob, now);
  } catch (err) {
    plan.events.push({ type: 'Warning', reason: 'UnparseableSchedule', message: `unparseable schedule: ${JSON.stringify(cronJob.spec.schedule)} : ${err instanceof Error ? err.message : String(err)}` });
    return plan;
  }
  plan.requeueAfterMs = next - now;
  if (recent.missed > TOO_MANY_MISSED) {
    plan.events.push({ type: 'Warning', reason: 'TooManyMissedTimes', message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew' });
  }
  const scheduled = recent.time;
  if (scheduled === undefined) return plan;
  const sds = cronJob.spec.startingDeadlineSeconds;
  if (sds !== undefined && scheduled + sds * 1000 < now) {
    plan.events.push({ type: 'Warning', reason: 'MissSchedule', message: `Missed scheduled time to start a job: ${metaTime(scheduled)}` });
    return plan;
  }
  const name = jobNameFor(cronJob, scheduled);
  if (jobs.some((j) => j.metadata.name === name)) return plan; // already started for this time
  const policy = cronJob.spec.concurrencyPolicy ?? 'Allow';
  if (policy === 'Forbid' && active.length > 0) {
    plan.events.push({ type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' });
    return plan;
  }
  if (policy === 'Replace') {
    plan.deleteActive = active;
    active = [];
  }
  plan.create = jobFor(cronJob, scheduled);
  status.active = active.length > 0 ? active : undefined;
  status.lastScheduleTime = metaTime(scheduled);
  return plan;
}
