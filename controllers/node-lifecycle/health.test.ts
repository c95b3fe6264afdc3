import { describe, expect, it } from 'vitest';
import { metaTime } from '../../api/time.js';
import type { Node, Taint } from '../../api/types/core.js';
import type { Lease } from '../../api/types/coordination.js';
import { desiredTaints, lastHeartbeat, sameTaints, staleConditions, TAINT_NOT_READY, TAINT_UNREACHABLE } from './health.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = metaTime;
const GRACE = 40_000;

function node(ready?: 'True' | 'False' | 'Unknown', heartbeat = T0, taints?: Taint[]): Node {
  return {
    metadata: { name: 'n1', creationTimestamp: iso(T0 - 60_000) },
    spec: { taints },
    status: ready ? { conditions: [{ type: 'Ready', status: ready, lastHeartbeatTime: iso(heartbeat), lastTransitionTime: iso(T0 - 50_000) }] } : {},
  };
}
const lease = (renew: number): Lease => ({ metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { renewTime: iso(renew) } });

describe('node health', () => {
  it('hears from a node through its lease or its status, whichever is later', () => {
    expect(lastHeartbeat(node('True', T0), lease(T0 + 5000))).toBe(T0 + 5000);
    expect(lastHeartbeat(node('True', T0 + 9000), lease(T0))).toBe(T0 + 9000);
    expect(lastHeartbeat(node(), undefined)).toBeUndefined();
  });

  it.each([
    ['renewed within the grace period', node('True'), lease(T0 + 30_000), T0 + 60_000, false],
    ['silent past the grace period', node('True'), lease(T0), T0 + GRACE + 1, true],
    ['silent, already Unknown', node('Unknown'), lease(T0), T0 + 100_000, false],
    ['never reported, created long ago', node(), undefined, T0 + 10_000, true],
    ['Ready=False but silent', node('False'), undefined, T0 + 50_000, true],
  ] as const)('%s -> stale: %s', (_what, n, l, now, stale) => {
    const conds = staleConditions(n, l, now, GRACE);
    expect(conds !== undefined).toBe(stale);
    if (conds) {
      const ready = conds.find((c) => c.type === 'Ready')!;
      expect(ready).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', lastTransitionTime: iso(now) });
      expect(conds.map((c) => c.type).sort()).toEqual(['DiskPressure', 'MemoryPressure', 'PIDPressure', 'Ready']);
    }
  });

  it('taints by Ready status, keeps other taints and the original timeAdded', () => {
    const user = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' as const };
    expect(desiredTaints(node('True', T0, [user]), T0)).toEqual([user]);
    const unreachable = desiredTaints(node('Unknown', T0, [user]), T0);
    expect(unreachable).toEqual([
      user,
      { key: TAINT_UNREACHABLE, effect: 'NoSchedule' },
      { key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: iso(T0) },
    ]);
    // Evaluated again later, the existing taints stay as they were.
    expect(desiredTaints(node('Unknown', T0, unreachable), T0 + 99_000)).toEqual(unreachable);
    expect(desiredTaints(node('False', T0, unreachable), T0).map((t) => t.key)).toEqual(['dedicated', TAINT_NOT_READY, TAINT_NOT_READY]);
    // Back to Ready: the managed taints go.
    expect(desiredTaints(node('True', T0, unreachable), T0)).toEqual([user]);
    expect(sameTaints(unreachable, [...unreachable].reverse())).toBe(true);
    expect(sameTaints(unreachable, [user])).toBe(false);
  });
});
