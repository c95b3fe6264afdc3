import { describe, expect, it } from 'vitest';
import type { Job, PodFailurePolicy } from '../../api/types/batch.js';
import type { Pod, PodCondition } from '../../api/types/core.js';
import { matchPodFailurePolicy } from './pod-failure-policy.js';
import { planJob } from './plan.js';

const NOW = Date.parse('2026-01-01T00:10:00Z');

function failed(name: string, o: { exit?: Record<string, number>; initExit?: Record<string, number>; conditions?: PodCondition[] } = {}): Pod {
  const statuses = (codes: Record<string, number> = {}) =>
    Object.entries(codes).map(([c, exitCode]) => ({ name: c, ready: false, restartCount: 0, image: 'i', imageID: '', state: { terminated: { exitCode } } }));
  return {
    metadata: { name, namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { containers: [], nodeName: 'n' },
    status: { phase: 'Failed', containerStatuses: statuses(o.exit), initContainerStatuses: statuses(o.initExit), conditions: o.conditions ?? [] },
  };
}

const policy: PodFailurePolicy = {
  rules: [
    { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
    { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
    { action: 'Count', onExitCodes: { operator: 'NotIn', values: [1, 2] } },
    { action: 'FailIndex', onExitCodes: { operator: 'In', values: [1] } },
  ],
};

describe('matchPodFailurePolicy', () => {
  it.each<[string, Pod, ReturnType<typeof matchPodFailurePolicy>]>([
    ['FailJob on the named container\'s exit code, with Kubernetes\' message', failed('a', { exit: { main: 42 } }), { counts: true, action: 'FailJob', failJobMessage: 'Container main for pod ns/a failed with exit code 42 matching FailJob rule at index 0' }],
    ['another container\'s 42 is not the named one: NotIn [1,2] counts it', failed('b', { exit: { side: 42 } }), { counts: true, action: 'Count' }],
    ['DisruptionTarget (status True by default) is ignored', failed('c', { exit: { main: 1 }, conditions: [{ type: 'DisruptionTarget', status: 'True' }] }), { counts: false, action: 'Ignore' }],
    ['a condition of another status does not match', failed('d', { exit: { main: 1 }, conditions: [{ type: 'DisruptionTarget', status: 'False' }] }), { counts: true, action: 'FailIndex' }],
    ['exit code 0 never matches; init containers are looked at after app ones', failed('e', { exit: { main: 0 }, initExit: { init: 1 } }), { counts: true, action: 'FailIndex' }],
    ['no rule matches: counts, as without a policy', failed('f', { exit: { main: 2 } }), { counts: true }],
  ])('%s', (_what, pod, verdict) => {
    expect(matchPodFailurePolicy(policy, pod)).toEqual(verdict);
  });

  it('without a policy every failure counts', () => {
    expect(matchPodFailurePolicy(undefined, failed('g', { exit: { main: 42 } }))).toEqual({ counts: true });
  });
});

describe('planJob with a podFailurePolicy', () => {
  const job = (backoffLimit: number): Job => ({ metadata: { name: 'j', namespace: 'ns', uid: 'u' }, spec: { parallelism: 1, completions: 1, backoffLimit, podFailurePolicy: policy, template: { spec: { containers: [] } } }, status: {} });

  it('FailJob: FailureTarget PodFailurePolicy at once, then Failed, whatever the backoffLimit', () => {
    const plan = planJob(job(6), [failed('a', { exit: { main: 42 } })], { now: NOW });
    expect(plan.status.conditions?.map((c) => [c.type, c.reason, c.message])).toEqual([
      ['FailureTarget', 'PodFailurePolicy', 'Container main for pod ns/a failed with exit code 42 matching FailJob rule at index 0'],
      ['Failed', 'PodFailurePolicy', 'Container main for pod ns/a failed with exit code 42 matching FailJob rule at index 0'],
    ]);
    expect(plan.status.failed).toBe(1);
  });

  it('Ignore: the disrupted pod is not counted and is replaced, even with backoffLimit 0', () => {
    const plan = planJob(job(0), [failed('c', { exit: { main: 1 }, conditions: [{ type: 'DisruptionTarget', status: 'True' }] })], { now: NOW });
    expect(plan.status.failed).toBe(0);
    expect(plan.status.conditions).toBeUndefined();
    expect(plan.create).toBe(1);
  });

  it('Count: the failure counts against backoffLimit as without a policy', () => {
    const plan = planJob(job(0), [failed('b', { exit: { main: 3 } })], { now: NOW });
    expect(plan.status.conditions?.[0]).toMatchObject({ type: 'FailureTarget', reason: 'BackoffLimitExceeded' });
  });
});
