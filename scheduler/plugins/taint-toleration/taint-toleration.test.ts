import { describe, expect, it } from 'vitest';
import type { Taint, Toleration } from '../../../api/types/core.js';
import { makeNodeInfo, makePod } from '../../framework/builders.js';
import { CycleState } from '../../framework/cycle-state.js';
import { PodInfo } from '../../framework/node-info.js';
import { TaintToleration } from './taint-toleration.js';
import { tolerates } from './tolerations.js';

const taint = (key: string, effect: Taint['effect'], value?: string): Taint => ({ key, effect, value });

describe('toleration matching', () => {
  it.each<[string, Toleration, Taint, boolean]>([
    ['Equal with same value', { key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }, taint('k', 'NoSchedule', 'v'), true],
    ['Equal is the default operator', { key: 'k', value: 'v' }, taint('k', 'NoSchedule', 'v'), true],
    ['Equal with other value', { key: 'k', value: 'w' }, taint('k', 'NoSchedule', 'v'), false],
    ['Exists ignores value', { key: 'k', operator: 'Exists' }, taint('k', 'NoExecute', 'v'), true],
    ['empty key + Exists tolerates all', { operator: 'Exists' }, taint('anything', 'NoSchedule'), true],
    ['empty key without Exists tolerates nothing', { value: '' }, taint('k', 'NoSchedule'), false],
    ['effect must match when given', { key: 'k', operator: 'Exists', effect: 'NoExecute' }, taint('k', 'NoSchedule'), false],
    ['other key', { key: 'x', operator: 'Exists' }, taint('k', 'NoSchedule'), false],
  ])('%s', (_name, t, tt, want) => {
    expect(tolerates(t, tt)).toBe(want);
  });
});

describe('TaintToleration filter', () => {
  it.each([
    { name: 'no taints', taints: [], tolerations: [], ready: 'True' as const, reason: undefined },
    { name: 'NoSchedule repels', taints: [taint('dedicated', 'NoSchedule', 'db')], tolerations: [], ready: 'True' as const, reason: 'node(s) had untolerated taint {dedicated: db}' },
    { name: 'NoExecute repels', taints: [taint('evict', 'NoExecute')], tolerations: [], ready: 'True' as const, reason: 'node(s) had untolerated taint {evict: }' },
    { name: 'PreferNoSchedule does not filter', taints: [taint('soft', 'PreferNoSchedule')], tolerations: [], ready: 'True' as const, reason: undefined },
    { name: 'tolerated', taints: [taint('dedicated', 'NoSchedule', 'db')], tolerations: [{ key: 'dedicated', value: 'db' }], ready: 'True' as const, reason: undefined },
    { name: 'NotReady node is tainted not-ready', taints: [], tolerations: [], ready: 'False' as const, reason: 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }' },
    { name: 'Unknown Ready is unreachable', taints: [], tolerations: [], ready: 'Unknown' as const, reason: 'node(s) had untolerated taint {node.kubernetes.io/unreachable: }' },
    { name: 'no Ready condition yet counts as not-ready', taints: [], tolerations: [], ready: 'absent' as const, reason: 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }' },
    { name: 'not-ready can be tolerated', taints: [], tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' as const }], ready: 'False' as const, reason: undefined },
  ])('$name', ({ taints, tolerations, ready, reason }) => {
    const ni = makeNodeInfo({ name: 'n', taints, ready });
    const s = new TaintToleration().filter(new CycleState(), new PodInfo(makePod({ tolerations })), ni);
    expect(s.isSuccess()).toBe(reason === undefined);
    if (reason) {
      expect(s.code).toBe('UnschedulableAndUnresolvable');
      expect([...s.reasons]).toEqual([reason]);
    }
  });
});

describe('TaintToleration score', () => {
  it('prefers nodes with fewer untolerated PreferNoSchedule taints', () => {
    const plugin = new TaintToleration();
    const st = new CycleState();
    const pi = new PodInfo(makePod({ tolerations: [{ key: 'a', operator: 'Exists', effect: 'PreferNoSchedule' }] }));
    const nodes = [
      makeNodeInfo({ name: 'clean' }),
      makeNodeInfo({ name: 'tolerated', taints: [taint('a', 'PreferNoSchedule')] }),
      makeNodeInfo({ name: 'one', taints: [taint('b', 'PreferNoSchedule')] }),
      makeNodeInfo({ name: 'two', taints: [taint('b', 'PreferNoSchedule'), taint('c', 'PreferNoSchedule')] }),
    ];
    const scores = nodes.map((n) => ({ name: n.name, score: plugin.score(st, pi, n) }));
    expect(scores.map((s) => s.score)).toEqual([0, 0, 1, 2]);
    plugin.normalizeScore(st, pi, scores);
    expect(scores.map((s) => s.score)).toEqual([100, 100, 50, 0]);
  });
});
