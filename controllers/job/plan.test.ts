import { describe, expect, it } from 'vitest';
import { metaTime } from '../../api/time.js';
import type { Job, JobSpec } from '../../api/types/batch.js';
import type { Pod } from '../../api/types/core.js';
import { COMPLETION_INDEX, failureBackoffMs, formatIndexes, planJob } from './plan.js';

const NOW = Date.parse('2026-01-01T00:10:00Z');
const iso = metaTime;

function job(spec: Partial<JobSpec>, status: Job['status'] = {}): Job {
  return { metadata: { name: 'j', namespace: 'ns', uid: 'u' }, spec: { parallelism: 1, backoffLimit: 6, template: { spec: { containers: [] } }, ...spec }, status };
}

let n = 0;
function pod(phase: string, o: { index?: number; finishedAt?: number; deleting?: boolean } = {}): Pod {
  const at = iso(o.finishedAt ?? NOW - 60_000);
  return {
    metadata: {
      name: `p${n++}`,
      namespace: 'ns',
      creationTimestamp: iso(NOW - 120_000),
      ...(o.index !== undefined ? { annotations: { [COMPLETION_INDEX]: String(o.index) } } : {}),
      ...(o.deleting ? { deletionTimestamp: iso(NOW) } : {}),
    },
    spec: { containers: [], nodeName: 'n' },
    status: { phase: phase as 'Running', conditions: [{ type: 'Ready', status: phase === 'Running' ? 'True' : 'False', lastTransitionTime: at }] },
  };
}
const pods = (phase: string, count: number) => Array.from({ length: count }, () => pod(phase));

describe('planJob', () => {
  it.each([
    // [what, spec, pods, create, delete]
    ['starts parallelism pods', { completions: 5, parallelism: 2 }, [], 2, 0],
    ['tops up to parallelism', { completions: 5, parallelism: 2 }, [...pods('Running', 1), ...pods('Succeeded', 1)], 1, 0],
    ['never more than the remaining completions', { completions: 4, parallelism: 3 }, [...pods('Running', 1), ...pods('Succeeded', 3)], 0, 0],
    ['deletes above parallelism', { completions: 5, parallelism: 1 }, pods('Running', 3), 0, 2],
    ['a work queue stops creating after a success, and lets its pods finish', { parallelism: 3, completions: undefined }, [...pods('Running', 2), ...pods('Succeeded', 1)], 0, 0],
    ['pods being deleted do not count', { completions: 2, parallelism: 2 }, [pod('Running', { deleting: true })], 2, 0],
  ] as const)('%s', (_what, spec, ps, create, del) => {
    const plan = planJob(job(spec), ps, { now: NOW });
    expect(plan.create).toBe(create);
    expect(plan.delete).toHaveLength(del);
  });

  it('counts succeeded, failed, ready and active, and sets startTime', () => {
    const plan = planJob(job({ completions: 5, parallelism: 2 }), [...pods('Running', 1), ...pods('Succeeded', 2), ...pods('Failed', 1)], { now: NOW, backoffBaseMs: 1 });
    expect(plan.status).toMatchObject({ active: 2, succeeded: 2, failed: 1, ready: 1, startTime: iso(NOW) });
    expect(plan.create).toBe(1);
  });

  it('Indexed: creates the missing indexes, writes completedIndexes as ranges, drops duplicates', () => {
    const ps = [pod('Succeeded', { index: 0 }), pod('Succeeded', { index: 1 }), pod('Succeeded', { index: 2 }), pod('Succeeded', { index: 4 }), pod('Running', { index: 5 }), pod('Running', { index: 5 })];
    const plan = planJob(job({ completions: 8, parallelism: 3, completionMode: 'Indexed' }), ps, { now: NOW });
    expect(plan.status.completedIndexes).toBe('0-2,4');
    expect(plan.delete).toHaveLength(1);
    const next = planJob(job({ completions: 8, parallelism: 3, completionMode: 'Indexed' }), ps.slice(0, 5), { now: NOW });
    expect(next.createIndexes).toEqual([3, 6]);
    expect(formatIndexes([7, 1, 2, 3, 5, 6])).toBe('1-3,5-7');
    expect(formatIndexes([])).toBe('');
  });

  it('waits out the exponential pod-failure backoff: 10 s doubling, capped at 6 min', () => {
    expect([1, 2, 3, 6, 7, 20].map((f) => failureBackoffMs(f))).toEqual([10_000, 20_000, 40_000, 320_000, 360_000, 360_000]);
    const failed = [pod('Failed', { finishedAt: NOW - 15_000 }), pod('Failed', { finishedAt: NOW - 5_000 })];
    const plan = planJob(job({ completions: 1 }), failed, { now: NOW });
    expect(plan.create).toBe(0);
    expect(plan.requeueAfterMs).toBe(15_000); // 20 s after the last failure
    expect(planJob(job({ completions: 1 }), failed, { now: NOW + 15_000 }).create).toBe(1);
    // A success since resets the count.
    const after = [...failed, pod('Succeeded', { finishedAt: NOW - 1_000 })];
    expect(planJob(job({ completions: 2 }), after, { now: NOW }).create).toBe(1);
  });

  it('more failures than backoffLimit: FailureTarget, the pods go, then Failed BackoffLimitExceeded', () => {
    const j = job({ completions: 3, backoffLimit: 1 });
    const first = planJob(j, [...pods('Failed', 2), ...pods('Running', 1)], { now: NOW });
    expect(first.delete).toHaveLength(1);
    expect(first.status.conditions).toEqual([{ type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastProbeTime: iso(NOW), lastTransitionTime: iso(NOW) }]);
    const second = planJob({ ...j, status: first.status }, pods('Failed', 2), { now: NOW + 1 });
    expect(second.status.conditions?.map((c) => [c.type, c.reason])).toEqual([
      ['FailureTarget', 'BackoffLimitExceeded'],
      ['Failed', 'BackoffLimitExceeded'],
    ]);
    expect(second.status.completionTime).toBeUndefined();
    expect(second.create).toBe(0);
  });

  it('past activeDeadlineSeconds: DeadlineExceeded; before it, a sync is asked for at the deadline', () => {
    const started = { startTime: iso(NOW - 30_000) };
    const before = planJob(job({ completions: 1, activeDeadlineSeconds: 60 }, started), pods('Running', 1), { now: NOW });
    expect(before.requeueAfterMs).toBe(30_000);
    const past = planJob(job({ completions: 1, activeDeadlineSeconds: 20 }, started), pods('Running', 1), { now: NOW });
    expect(past.delete).toHaveLength(1);
    expect(past.status.conditions?.[0]).toMatchObject({ type: 'FailureTarget', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
  });

  it('completions reached: SuccessCriteriaMet, then Complete with completionTime', () => {
    const j = job({ completions: 2, parallelism: 2 });
    const first = planJob(j, pods('Succeeded', 2), { now: NOW });
    expect(first.status.conditions?.map((c) => [c.type, c.reason, c.message])).toEqual([
      ['SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'],
      ['Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'],
    ]);
    expect(first.status).toMatchObject({ succeeded: 2, active: 0, completionTime: iso(NOW) });
    const finished = planJob({ ...j, status: first.status }, pods('Succeeded', 2), { now: NOW + 5 });
    expect(finished.status).toEqual(first.status);
  });

  it('suspend deletes the active pods and sets Suspended; resuming sets it False', () => {
    const s = planJob(job({ completions: 3, parallelism: 2, suspend: true }), pods('Running', 2), { now: NOW });
    expect(s.delete).toHaveLength(2);
    expect(s.create).toBe(0);
    expect(s.status.conditions?.[0]).toMatchObject({ type: 'Suspended', status: 'True', reason: 'JobSuspended' });
    const r = planJob(job({ completions: 3, parallelism: 2 }, s.status), [], { now: NOW + 1 });
    expect(r.create).toBe(2);
    expect(r.status.conditions?.[0]).toMatchObject({ type: 'Suspended', status: 'False', reason: 'JobResumed' });
  });
});
