import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import type { PodDisruptionBudget, PodDisruptionBudgetSpec } from '../../api/types/policy.js';
import { DELETION_TIMEOUT_MS, needsScale, planStatus, statusChanged } from './plan.js';

const NOW = Date.parse('2026-01-01T00:10:00Z');
const pod = (name: string, ready: boolean, extra: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: { name, namespace: 'ns', labels: { app: 'a' }, ...extra },
  spec: { containers: [] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const pdb = (spec: PodDisruptionBudgetSpec, disruptedPods?: Record<string, string>): PodDisruptionBudget => ({
  metadata: { name: 'b', namespace: 'ns', generation: 3 },
  spec: { selector: { matchLabels: { app: 'a' } }, ...spec },
  status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, ...(disruptedPods ? { disruptedPods } : {}) },
});
const three = [pod('p0', true), pod('p1', true), pod('p2', true)];

describe('disruption budget status', () => {
  // [case, spec, pods, scale, expected (healthy, desired, expected, allowed)]
  const cases: [string, PodDisruptionBudgetSpec, Pod[], number | undefined, [number, number, number, number]][] = [
    ['minAvailable 2 of 3 healthy', { minAvailable: 2 }, three, undefined, [3, 2, 3, 1]],
    ['minAvailable 3 of 3: nothing to spare', { minAvailable: 3 }, three, undefined, [3, 3, 3, 0]],
    ['minAvailable above the pods', { minAvailable: 5 }, three, undefined, [3, 5, 3, 0]],
    ['an unready pod does not count', { minAvailable: 2 }, [pod('p0', true), pod('p1', false), pod('p2', true)], undefined, [2, 2, 3, 0]],
    ['a pod being deleted does not count', { minAvailable: 1 }, [pod('p0', true), pod('p1', true, { deletionTimestamp: '2026-01-01T00:09:00Z' })], undefined, [1, 1, 2, 0]],
    ['maxUnavailable 1 of the scale 4', { maxUnavailable: 1 }, three, 4, [3, 3, 4, 0]],
    ['maxUnavailable 1 of 3 pods without controllers', { maxUnavailable: 1 }, three, undefined, [3, 2, 3, 1]],
    ['maxUnavailable 34% of 3 rounds up to 2', { maxUnavailable: '34%' }, three, 3, [3, 1, 3, 2]],
    ['minAvailable 50% of 3 rounds up to 2', { minAvailable: '50%' }, three, 3, [3, 2, 3, 1]],
    ['maxUnavailable 0 allows nothing', { maxUnavailable: 0 }, three, 3, [3, 3, 3, 0]],
    ['no pods: nothing expected, nothing allowed', { maxUnavailable: 1 }, [], 0, [0, 0, 0, 0]],
    ['neither set', {}, three, undefined, [3, 0, 0, 0]],
  ];
  it.each(cases)('%s', (_name, spec, pods, scale, [healthy, desired, expected, allowed]) => {
    const { status } = planStatus(pdb(spec), pods, NOW, scale);
    expect([status.currentHealthy, status.desiredHealthy, status.expectedPods, status.disruptionsAllowed]).toEqual([healthy, desired, expected, allowed]);
    expect(status.observedGeneration).toBe(3);
    expect(status.conditions).toEqual([
      {
        type: 'DisruptionAllowed',
        status: allowed > 0 ? 'True' : 'False',
        reason: allowed > 0 ? 'SufficientPods' : 'InsufficientPods',
        message: '',
        observedGeneration: 3,
        lastTransitionTime: '2026-01-01T00:10:00Z',
      },
    ]);
  });

  it('which budgets need the controllers’ scale', () => {
    expect([{ minAvailable: 1 }, { minAvailable: '10%' }, { maxUnavailable: 1 }, {}].map((s) => needsScale(pdb(s)))).toEqual([false, true, true, false]);
  });

  it('keeps a recent eviction out of the healthy count until it expires, then forgets it', () => {
    const recent = new Date(NOW - 1000).toISOString();
    const old = new Date(NOW - DELETION_TIMEOUT_MS - 1000).toISOString();
    const { status, recheckAt } = planStatus(pdb({ minAvailable: 1 }, { p0: recent, p1: old, gone: recent }), three, NOW);
    expect(status.disruptedPods).toEqual({ p0: recent });
    expect([status.currentHealthy, status.disruptionsAllowed]).toEqual([2, 1]);
    expect(recheckAt).toBe(Date.parse(recent) + DELETION_TIMEOUT_MS);
    // Once the pod is going, the entry has done its work.
    const going = planStatus(pdb({ minAvailable: 1 }, { p0: recent }), [pod('p0', true, { deletionTimestamp: recent }), ...three.slice(1)], NOW);
    expect(going.status.disruptedPods).toBeUndefined();
  });

  it('fails safe when the scale cannot be found: nothing allowed, SyncFailed with the reason', () => {
    const { status } = planStatus(pdb({ maxUnavailable: 1 }), three, NOW, new Error('found no controllers for pod "p0"'));
    expect(status.disruptionsAllowed).toBe(0);
    expect(status.conditions?.[0]).toMatchObject({ type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: 'found no controllers for pod "p0"' });
  });

  it('keeps the transition time while the condition holds, and writes nothing when nothing moved', () => {
    const first = planStatus(pdb({ minAvailable: 2 }), three, NOW).status;
    const again = planStatus({ ...pdb({ minAvailable: 2 }), status: first }, three, NOW + 60_000).status;
    expect(again.conditions?.[0]?.lastTransitionTime).toBe('2026-01-01T00:10:00Z');
    expect(statusChanged(first, again)).toBe(false);
    expect(statusChanged(first, { ...again, disruptionsAllowed: 0 })).toBe(true);
  });
});
