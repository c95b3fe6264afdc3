import { describe, expect, it } from 'vitest';
import type { Pod, PodPhase } from '../../api/types/core.js';
import { POD_DELETION_COST } from '../active-pods.js';
import { BURST_REPLICAS, planReplicas } from './plan.js';

interface PodFacts {
  node?: string;
  phase?: PodPhase;
  /** ready since this many seconds after the epoch below */
  readyAt?: number;
  restarts?: number;
  /** created this many seconds after the epoch below */
  created?: number;
  deleting?: boolean;
  cost?: number;
}

const epoch = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(epoch + s * 1000).toISOString();

function pod(name: string, f: PodFacts = {}): Pod {
  return {
    metadata: {
      name,
      namespace: 'ns',
      creationTimestamp: at(f.created ?? 0),
      ...(f.deleting ? { deletionTimestamp: at(100) } : {}),
      ...(f.cost !== undefined ? { annotations: { [POD_DELETION_COST]: String(f.cost) } } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'i' }], nodeName: f.node },
    status: {
      phase: f.phase ?? (f.node ? 'Running' : 'Pending'),
      conditions: f.readyAt !== undefined ? [{ type: 'Ready', status: 'True', lastTransitionTime: at(f.readyAt) }] : [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{ name: 'c', ready: f.readyAt !== undefined, restartCount: f.restarts ?? 0, image: 'i', imageID: '' }],
    },
  };
}

const ready = (name: string, f: PodFacts = {}) => pod(name, { node: 'n1', readyAt: 10, ...f });

describe('planReplicas (manageReplicas)', () => {
  // `unordered`: the pods to delete tie, so only which ones matters.
  const cases: { name: string; replicas: number; pods: Pod[]; create?: number; delete?: string[]; unordered?: true }[] = [
    { name: 'nothing to do when the active pods are the replicas', replicas: 2, pods: [ready('a'), ready('b')] },
    { name: 'creates what is missing', replicas: 5, pods: [ready('a'), ready('b')], create: 3 },
    { name: 'creates no more than the burst in one sync', replicas: 2000, pods: [], create: BURST_REPLICAS },
    { name: 'deletes no more than the burst in one sync', replicas: 0, pods: Array.from({ length: 600 }, (_, i) => ready(`p${i}`)), delete: Array.from({ length: 500 }, (_, i) => `p${i}`), unordered: true },
    {
      name: 'pods being deleted or finished do not count, so they are replaced',
      replicas: 3,
      pods: [ready('a'), ready('gone', { deleting: true }), pod('done', { node: 'n1', phase: 'Succeeded' }), pod('failed', { node: 'n1', phase: 'Failed' })],
      create: 2,
    },
    { name: 'and are never picked for deletion', replicas: 1, pods: [ready('a'), ready('b', { created: 5 }), pod('gone', { deleting: true })], delete: ['b'] },
    { name: 'unscheduled before scheduled', replicas: 1, pods: [ready('on-node'), pod('unscheduled')], delete: ['unscheduled'] },
    {
      name: 'Pending before Unknown before Running',
      replicas: 1,
      pods: [pod('running', { node: 'n1', phase: 'Running' }), pod('unknown', { node: 'n1', phase: 'Unknown' }), pod('pending', { node: 'n1', phase: 'Pending' })],
      delete: ['pending', 'unknown'],
    },
    { name: 'not ready before ready', replicas: 1, pods: [ready('ready'), pod('not-ready', { node: 'n1' })], delete: ['not-ready'] },
    { name: 'ready for less time first', replicas: 1, pods: [ready('long', { readyAt: 5 }), ready('short', { readyAt: 50 }), ready('mid', { readyAt: 20 })], delete: ['short', 'mid'] },
    { name: 'more restarts first', replicas: 1, pods: [ready('calm', { restarts: 0 }), ready('crashy', { restarts: 7 }), ready('some', { restarts: 2 })], delete: ['crashy', 'some'] },
    { name: 'newer first', replicas: 1, pods: [ready('old', { created: 1 }), ready('new', { created: 9 }), ready('mid', { created: 5 })], delete: ['new', 'mid'] },
    {
      name: 'the ready time decides before restarts, restarts before age',
      replicas: 2,
      pods: [ready('young-calm', { readyAt: 90, created: 9 }), ready('old-crashy', { readyAt: 5, restarts: 9, created: 1 }), ready('old-calm', { readyAt: 5, created: 0 })],
      delete: ['young-calm'],
    },
    {
      name: 'a node with more of the pods is thinned first',
      replicas: 2,
      pods: [ready('alone', { node: 'n1', created: 9 }), ready('crowd-1', { node: 'n2' }), ready('crowd-2', { node: 'n2' })],
      delete: ['crowd-1'],
    },
    { name: 'a lower pod-deletion-cost goes first', replicas: 1, pods: [ready('cheap', { cost: -5, created: 0 }), ready('dear', { cost: 10, created: 9 })], delete: ['cheap'] },
    { name: 'no replicas: every active pod goes', replicas: 0, pods: [ready('a'), ready('b')], delete: ['a', 'b'], unordered: true },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const plan = planReplicas(c.replicas, c.pods);
      expect(plan.create).toBe(c.create ?? 0);
      const deleted = plan.delete.map((p) => p.metadata.name);
      if (c.unordered) expect(deleted.sort()).toEqual([...(c.delete ?? [])].sort());
      else expect(deleted).toEqual(c.delete ?? []);
    });
  }

  it("ranks nodes by the related pods given (a Deployment's other ReplicaSets), not only its own", () => {
    const mine = [ready('on-n1', { node: 'n1', created: 9 }), ready('on-n2', { node: 'n2' })];
    const sibling = [ready('old-1', { node: 'n2' }), ready('old-2', { node: 'n2' })];
    // Alone, n1's newer pod goes; with the sibling's two pods crowding n2, n2's goes.
    expect(planReplicas(1, mine).delete.map((p) => p.metadata.name)).toEqual(['on-n1']);
    expect(planReplicas(1, mine, [...mine, ...sibling]).delete.map((p) => p.metadata.name)).toEqual(['on-n2']);
  });
});
