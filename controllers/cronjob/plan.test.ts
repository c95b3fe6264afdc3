import { describe, expect, it } from 'vitest';
import type { CronJob, CronJobSpec, Job } from '../../api/types/batch.js';
import { SCHEDULED_TIMESTAMP, jobNameFor, mostRecentScheduleTime, planCronJob } from './plan.js';

const T = (s: string) => Date.parse(s);
const CREATED = '2026-01-01T00:00:00Z';

function cron(spec: Partial<CronJobSpec>, status: CronJob['status'] = {}): CronJob {
  return {
    metadata: { name: 'c', namespace: 'ns', uid: 'cu', creationTimestamp: CREATED },
    spec: { schedule: '*/5 * * * *', concurrencyPolicy: 'Allow', successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1, jobTemplate: { metadata: { labels: { a: 'b' } }, spec: { template: { spec: { containers: [] } } } }, ...spec },
    status,
  };
}

function job(name: string, o: { finished?: 'Complete' | 'Failed'; start?: string; done?: string } = {}): Job {
  return {
    metadata: { name, namespace: 'ns', uid: `u-${name}` },
    spec: { template: { spec: { containers: [] } } },
    status: { startTime: o.start, completionTime: o.done, conditions: o.finished ? [{ type: o.finished, status: 'True' }] : undefined },
  };
}

describe('planCronJob', () => {
  it('starts the Job of the schedule time just passed, named by its minutes, annotated, owned; next sync at the next time', () => {
    const plan = planCronJob(cron({}), [], T('2026-01-01T00:05:30Z'));
    expect(plan.create?.metadata.name).toBe(`c-${T('2026-01-01T00:05:00Z') / 60_000}`);
    expect(plan.create?.metadata.annotations?.[SCHEDULED_TIMESTAMP]).toBe('2026-01-01T00:05:00Z');
    expect(plan.create?.metadata.labels).toEqual({ a: 'b' });
    expect(plan.create?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'c', uid: 'cu', controller: true });
    expect(plan.status.lastScheduleTime).toBe('2026-01-01T00:05:00Z');
    expect(plan.requeueAfterMs).toBe(270_000);
  });

  it('nothing before the first time, and nothing twice for one time', () => {
    expect(planCronJob(cron({}), [], T('2026-01-01T00:04:59Z')).create).toBeUndefined();
    const ran = cron({}, { lastScheduleTime: '2026-01-01T00:05:00Z' });
    expect(planCronJob(ran, [], T('2026-01-01T00:09:00Z')).create).toBeUndefined();
    expect(planCronJob(cron({}), [job(jobNameFor(cron({}), T('2026-01-01T00:05:00Z')))], T('2026-01-01T00:05:30Z')).create).toBeUndefined();
  });

  it('after missed runs, only the most recent starts; more than 100 missed is TooManyMissedTimes', () => {
    const plan = planCronJob(cron({}), [], T('2026-01-01T01:02:00Z'));
    expect(plan.status.lastScheduleTime).toBe('2026-01-01T01:00:00Z');
    expect(mostRecentScheduleTime(cron({}), T('2026-01-01T01:02:00Z')).missed).toBe(12);
    expect(plan.events).toEqual([]);
    const late = planCronJob(cron({}), [], T('2026-01-02T00:00:00Z'));
    expect(late.events.map((e) => e.reason)).toEqual(['TooManyMissedTimes']);
    expect(late.create?.metadata.annotations?.[SCHEDULED_TIMESTAMP]).toBe('2026-01-02T00:00:00Z');
  });

  it('startingDeadlineSeconds: too late is MissSchedule and no Job; within it, the Job', () => {
    const missed = planCronJob(cron({ startingDeadlineSeconds: 10 }, { lastScheduleTime: '2026-01-01T00:00:00Z' }), [], T('2026-01-01T00:05:30Z'));
    expect(missed.create).toBeUndefined();
    expect(missed.events).toEqual([]); // the deadline window holds no schedule time at all
    const withinWindow = cron({ startingDeadlineSeconds: 60 }, { lastScheduleTime: '2026-01-01T00:00:00Z' });
    expect(planCronJob(withinWindow, [], T('2026-01-01T00:05:30Z')).create).toBeDefined();
    expect(planCronJob(withinWindow, [], T('2026-01-01T00:06:01Z')).create).toBeUndefined();
  });

  it.each([
    ['Allow', true, 2],
    ['Forbid', false, 1],
    ['Replace', true, 1],
  ] as const)('concurrencyPolicy %s with a Job running', (policy, creates, activeAfter) => {
    const running = job('c-old');
    const cj = cron({ concurrencyPolicy: policy }, { active: [{ kind: 'Job', name: 'c-old', uid: 'u-c-old' }], lastScheduleTime: '2026-01-01T00:00:00Z' });
    const plan = planCronJob(cj, [running], T('2026-01-01T00:05:01Z'));
    expect(plan.create !== undefined).toBe(creates);
    expect((plan.status.active?.length ?? 0) + (plan.create ? 1 : 0)).toBe(activeAfter);
    expect(plan.deleteActive.map((r) => r.name)).toEqual(policy === 'Replace' ? ['c-old'] : []);
    if (policy === 'Forbid') expect(plan.events.map((e) => e.reason)).toEqual(['JobAlreadyActive']);
  });

  it('finished Jobs leave active, set lastSuccessfulTime, and beyond the history limits the oldest go', () => {
    const jobs = [
      job('s1', { finished: 'Complete', start: '2026-01-01T00:00:00Z', done: '2026-01-01T00:01:00Z' }),
      job('s2', { finished: 'Complete', start: '2026-01-01T00:05:00Z', done: '2026-01-01T00:06:00Z' }),
      job('s3', { finished: 'Complete', start: '2026-01-01T00:10:00Z', done: '2026-01-01T00:11:00Z' }),
      job('s4', { finished: 'Complete', start: '2026-01-01T00:15:00Z', done: '2026-01-01T00:16:00Z' }),
      job('f1', { finished: 'Failed', start: '2026-01-01T00:02:00Z' }),
      job('f2', { finished: 'Failed', start: '2026-01-01T00:07:00Z' }),
    ];
    const cj = cron({ suspend: true }, { active: [{ name: 's4', uid: 'u-s4' }] });
    const plan = planCronJob(cj, jobs, T('2026-01-01T00:17:00Z'));
    expect(plan.status.active).toBeUndefined();
    expect(plan.status.lastSuccessfulTime).toBe('2026-01-01T00:16:00Z');
    expect(plan.deleteFinished.map((j) => j.metadata.name)).toEqual(['s1', 'f1']);
    expect(plan.events.map((e) => e.reason)).toEqual(['SawCompletedJob']);
    expect(plan.create).toBeUndefined(); // suspended
  });

  it('time zones: 9:00 in Europe/Paris is 8:00 UTC in winter', () => {
    const cj = cron({ schedule: '0 9 * * *', timeZone: 'Europe/Paris' });
    expect(planCronJob(cj, [], T('2026-01-01T08:00:30Z')).status.lastScheduleTime).toBe('2026-01-01T08:00:00Z');
    expect(planCronJob(cj, [], T('2026-01-01T07:59:30Z')).create).toBeUndefined();
  });
});
