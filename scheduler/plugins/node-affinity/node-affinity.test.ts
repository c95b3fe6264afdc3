import { describe, expect, it } from 'vitest';
import type { NodeAffinity as Affinity, Pod } from '../../../api/types/core.js';
import { makeNodeInfo, makePod } from '../../framework/builders.js';
import { CycleState } from '../../framework/cycle-state.js';
import { PodInfo } from '../../framework/node-info.js';
import { ERR_REASON_POD, NodeAffinity } from './node-affinity.js';

const node = makeNodeInfo({ name: 'n1', labels: { zone: 'a', disk: 'ssd', cores: '16' } });

function withAffinity(a: Affinity, nodeSelector?: Record<string, string>): Pod {
  const p = makePod({ nodeSelector });
  p.spec.affinity = { nodeAffinity: a };
  return p;
}

const req = (...exprs: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt'; values?: string[] }[]): Affinity => ({
  requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: exprs }] },
});

describe('NodeAffinity filter', () => {
  it.each([
    { name: 'no constraints', pod: makePod(), fits: true },
    { name: 'nodeSelector matches', pod: makePod({ nodeSelector: { zone: 'a' } }), fits: true },
    { name: 'nodeSelector value differs', pod: makePod({ nodeSelector: { zone: 'b' } }), fits: false },
    { name: 'nodeSelector label missing', pod: makePod({ nodeSelector: { gpu: 'yes' } }), fits: false },
    { name: 'In', pod: withAffinity(req({ key: 'zone', operator: 'In', values: ['a', 'b'] })), fits: true },
    { name: 'NotIn', pod: withAffinity(req({ key: 'zone', operator: 'NotIn', values: ['a'] })), fits: false },
    { name: 'Exists', pod: withAffinity(req({ key: 'disk', operator: 'Exists' })), fits: true },
    { name: 'DoesNotExist', pod: withAffinity(req({ key: 'disk', operator: 'DoesNotExist' })), fits: false },
    { name: 'Gt', pod: withAffinity(req({ key: 'cores', operator: 'Gt', values: ['8'] })), fits: true },
    { name: 'Lt', pod: withAffinity(req({ key: 'cores', operator: 'Lt', values: ['8'] })), fits: false },
    { name: 'Gt on a non-integer never matches', pod: withAffinity(req({ key: 'zone', operator: 'Gt', values: ['1'] })), fits: false },
    { name: 'all expressions of a term must match', pod: withAffinity(req({ key: 'zone', operator: 'In', values: ['a'] }, { key: 'disk', operator: 'In', values: ['hdd'] })), fits: false },
    {
      name: 'any term may match',
      pod: withAffinity({
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }],
        },
      }),
      fits: true,
    },
    { name: 'an empty term matches nothing', pod: withAffinity({ requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } }), fits: false },
    { name: 'nodeSelector and affinity both apply', pod: withAffinity(req({ key: 'zone', operator: 'Exists' }), { disk: 'hdd' }), fits: false },
  ])('$name', ({ pod, fits }) => {
    const s = new NodeAffinity().filter(new CycleState(), new PodInfo(pod), node);
    expect(s.isSuccess()).toBe(fits);
    if (!fits) {
      expect(s.code).toBe('UnschedulableAndUnresolvable');
      expect([...s.reasons]).toEqual([ERR_REASON_POD]);
    }
  });
});

describe('NodeAffinity score', () => {
  it('sums matching preferred weights and normalizes to 100', () => {
    const pod = withAffinity({
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
        { weight: 30, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
      ],
    });
    const plugin = new NodeAffinity();
    const st = new CycleState();
    const pi = new PodInfo(pod);
    const both = makeNodeInfo({ name: 'both', labels: { zone: 'a', disk: 'ssd' } });
    const zoneOnly = makeNodeInfo({ name: 'zone', labels: { zone: 'a' } });
    const none = makeNodeInfo({ name: 'none' });
    const scores = [both, zoneOnly, none].map((n) => ({ name: n.name, score: plugin.score(st, pi, n) }));
    expect(scores.map((s) => s.score)).toEqual([40, 10, 0]);
    plugin.normalizeScore(st, pi, scores);
    expect(scores.map((s) => s.score)).toEqual([100, 25, 0]);
  });
});
