import { describe, expect, it } from 'vitest';
import type { Node, Pod, Taint, Toleration } from '../../api/types/core.js';
import { minTolerationMs, planPodOnNode, type EvictionPlan } from './plan.js';

const node = (...taints: Taint[]): Node => ({ metadata: { name: 'n' }, spec: { taints } });
const pod = (...tolerations: Toleration[]): Pod => ({ metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n', containers: [], tolerations } });
const notReady: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' };
const dedicated: Taint = { key: 'dedicated', value: 'db', effect: 'NoExecute' };
const exists = (key: string, tolerationSeconds?: number): Toleration => ({ key, operator: 'Exists', effect: 'NoExecute', ...(tolerationSeconds !== undefined ? { tolerationSeconds } : {}) });

describe('what NoExecute taints mean for a pod', () => {
  const cases: [string, Node | undefined, Pod, EvictionPlan][] = [
    ['no taints: kept', node(), pod(), { kind: 'keep' }],
    ['only NoSchedule taints: kept', node({ key: 'x', effect: 'NoSchedule' }), pod(), { kind: 'keep' }],
    ['a node not known: kept', undefined, pod(), { kind: 'keep' }],
    ['not tolerated: now', node(notReady), pod(), { kind: 'now' }],
    ['tolerated for 300 s', node(notReady), pod(exists(notReady.key, 300)), { kind: 'after', ms: 300_000 }],
    ['tolerated forever: kept', node(notReady), pod(exists(notReady.key)), { kind: 'keep' }],
    ['two taints: the shortest toleration wins', node(notReady, dedicated), pod(exists(notReady.key, 300), { ...exists('dedicated', 20), operator: 'Equal', value: 'db' }), { kind: 'after', ms: 20_000 }],
    ['two taints, one not tolerated: now', node(notReady, dedicated), pod(exists(notReady.key, 300)), { kind: 'now' }],
    ['a value that does not match: now', node(dedicated), pod({ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoExecute' }), { kind: 'now' }],
    ['tolerationSeconds 0: now', node(notReady), pod(exists(notReady.key, 0)), { kind: 'now' }],
    ['an empty key with Exists tolerates everything', node(notReady, dedicated), pod({ operator: 'Exists' }), { kind: 'keep' }],
  ];
  it.each(cases)('%s', (_name, n, p, want) => {
    expect(planPodOnNode(p, n)).toEqual(want);
  });

  it('minimum toleration time as getMinTolerationTime counts it', () => {
    expect(minTolerationMs([])).toBe(0);
    expect(minTolerationMs([exists('a')])).toBe(-1);
    expect(minTolerationMs([exists('a'), exists('b', 5)])).toBe(5000);
    expect(minTolerationMs([exists('a', -3), exists('b', 5)])).toBe(0);
  });
});
