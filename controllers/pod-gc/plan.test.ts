import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '../../api/types/core.js';
import { planPodGc, TAINT_OUT_OF_SERVICE, type PodGcInput } from './plan.js';

const created = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString().replace('.000', '');

function pod(name: string, o: { node?: string; phase?: string; reason?: string; age?: number; deleting?: boolean } = {}): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `u-${name}`, creationTimestamp: created(60 - (o.age ?? 0)), ...(o.deleting ? { deletionTimestamp: created(59) } : {}) },
    spec: { containers: [{ name: 'c', image: 'i' }], ...(o.node ? { nodeName: o.node } : {}) },
    status: { phase: (o.phase ?? 'Running') as never, ...(o.reason ? { reason: o.reason } : {}) },
  };
}

function node(name: string, o: { ready?: boolean; outOfService?: boolean } = {}): Node {
  return {
    metadata: { name },
    spec: o.outOfService ? { taints: [{ key: TAINT_OUT_OF_SERVICE, value: 'nodeshutdown', effect: 'NoExecute' }] } : {},
    status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

const base: PodGcInput = { pods: [], nodes: [node('n1')], terminatedThreshold: 12500, deletedNodes: new Set() };

describe('planPodGc', () => {
  it.each<[string, Partial<PodGcInput>, string[], string[]]>([
    ['nothing to collect', { pods: [pod('a', { node: 'n1' }), pod('b', { node: 'n1', phase: 'Succeeded' })] }, [], []],
    [
      'terminated over the threshold: evicted first, then the oldest, then by name; running pods never',
      {
        terminatedThreshold: 2,
        pods: [
          pod('young', { node: 'n1', phase: 'Succeeded', age: 1 }),
          pod('old-b', { node: 'n1', phase: 'Failed', age: 30 }),
          pod('old-a', { node: 'n1', phase: 'Succeeded', age: 30 }),
          pod('evicted', { node: 'n1', phase: 'Failed', reason: 'Evicted', age: 0 }),
          pod('oldest-running', { node: 'n1', age: 50 }),
        ],
      },
      ['evicted:terminated', 'old-a:terminated'],
      [],
    ],
    ['threshold 0 keeps every terminated pod', { terminatedThreshold: 0, pods: [pod('a', { phase: 'Failed' }), pod('b', { phase: 'Succeeded' })] }, [], []],
    [
      'terminating on a NotReady node with the out-of-service taint; not on a Ready one, not without the taint',
      {
        nodes: [node('down', { ready: false, outOfService: true }), node('tainted-ready', { outOfService: true }), node('not-ready', { ready: false })],
        pods: [
          pod('stuck', { node: 'down', deleting: true }),
          pod('running-there', { node: 'down' }),
          pod('on-ready', { node: 'tainted-ready', deleting: true }),
          pod('on-not-ready', { node: 'not-ready', deleting: true }),
        ],
      },
      ['stuck:terminating-out-of-service+failed'],
      [],
    ],
    [
      'bound to a missing node: quarantined first, orphaned once confirmed gone (Failed + DisruptionTarget)',
      { pods: [pod('a', { node: 'gone' }), pod('b', { node: 'late' }), pod('c', { node: 'gone', phase: 'Succeeded' })], deletedNodes: new Set(['gone']) },
      ['a:orphaned+failed+DeletionByPodGC', 'c:orphaned'],
      ['gone', 'late'],
    ],
    [
      'unscheduled and terminating; an unscheduled pod not being deleted stays',
      { pods: [pod('pending-deleted', { phase: 'Pending', deleting: true }), pod('pending', { phase: 'Pending' })] },
      ['pending-deleted:unscheduled-terminating+failed'],
      [],
    ],
    [
      'a pod is taken once, by the first rule that applies',
      { terminatedThreshold: 1, pods: [pod('a', { node: 'gone', phase: 'Failed', age: 9 }), pod('b', { node: 'gone', phase: 'Failed' })], deletedNodes: new Set(['gone']) },
      ['a:terminated', 'b:orphaned'],
      ['gone'],
    ],
  ])('%s', (_name, input, deletions, missing) => {
    const plan = planPodGc({ ...base, ...input });
    expect(
      plan.deletions.map((d) => `${d.pod.metadata.name}:${d.reason}${d.markFailed ? '+failed' : ''}${d.disruption ? `+${d.disruption.reason}` : ''}`),
    ).toEqual(deletions);
    expect(plan.missingNodes).toEqual(missing);
  });
});
