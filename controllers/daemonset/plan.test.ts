import { describe, expect, it } from 'vitest';
import type { DaemonSet } from '../../api/types/apps.js';
import type { Node, Pod, PodSpec, Taint } from '../../api/types/core.js';
import { nodeShouldRunDaemonPod, planNodes, planRollingUpdate, podsByNode, updateCounts } from './plan.js';
import { CONTROLLER_REVISION_HASH, daemonPod, targetNodeName } from './util.js';

const NOW = Date.parse('2026-01-01T00:10:00Z');

function node(name: string, o: { labels?: Record<string, string>; taints?: Taint[] } = {}): Node {
  return { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } }, spec: { taints: o.taints } };
}

function ds(spec: Partial<PodSpec> = {}, strategy?: DaemonSet['spec']['updateStrategy']): DaemonSet {
  return {
    metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid', generation: 2 },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'agent:1' }], ...spec } },
      updateStrategy: strategy ?? { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
    },
  };
}

let seq = 0;
/** A daemon pod on `nodeName` of revision `hash`, created `age` seconds before NOW. */
function pod(nodeName: string, hash: string, o: { age?: number; ready?: boolean; phase?: string; deleting?: boolean; bound?: boolean } = {}): Pod {
  const created = new Date(NOW - (o.age ?? 60) * 1000).toISOString();
  const ready = o.ready ?? true;
  return {
    metadata: {
      name: `agent-${++seq}`,
      namespace: 'default',
      creationTimestamp: created,
      labels: { app: 'agent', [CONTROLLER_REVISION_HASH]: hash },
      ...(o.deleting ? { deletionTimestamp: created } : {}),
    },
    spec: { containers: [], ...(o.bound === false ? { affinity: daemonPod(ds(), nodeName, hash).spec.affinity } : { nodeName }) },
    status: { phase: (o.phase ?? 'Running') as 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: created }] },
  };
}

const names = (pods: readonly Pod[]) => pods.map((p) => p.metadata.name);

describe('nodeShouldRunDaemonPod', () => {
  it.each([
    ['a plain node', node('n'), ds(), true, true],
    ['nodeSelector matching', node('n', { labels: { disk: 'ssd' } }), ds({ nodeSelector: { disk: 'ssd' } }), true, true],
    ['nodeSelector not matching', node('n'), ds({ nodeSelector: { disk: 'ssd' } }), false, false],
    [
      'required node affinity not matching',
      node('n', { labels: { zone: 'a' } }),
      ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }] } } } }),
      false,
      false,
    ],
    ['template nodeName of another node', node('n'), ds({ nodeName: 'other' }), false, false],
    ['NoSchedule taint not tolerated: none new, the running one stays', node('n', { taints: [{ key: 'gpu', effect: 'NoSchedule' }] }), ds(), false, true],
    ['NoExecute taint not tolerated: none at all', node('n', { taints: [{ key: 'gpu', effect: 'NoExecute' }] }), ds(), false, false],
    ['a tolerated taint', node('n', { taints: [{ key: 'gpu', value: 'x', effect: 'NoSchedule' }] }), ds({ tolerations: [{ key: 'gpu', operator: 'Equal', value: 'x', effect: 'NoSchedule' }] }), true, true],
    ['not-ready NoExecute: the added toleration', node('n', { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }), ds(), true, true],
    ['unreachable NoExecute: the added toleration', node('n', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }), ds(), true, true],
    ['cordoned (unschedulable taint)', node('n', { taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] }), ds(), true, true],
    ['memory pressure', node('n', { taints: [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }] }), ds(), true, true],
    ['network unavailable, not hostNetwork', node('n', { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] }), ds(), false, true],
    ['network unavailable, hostNetwork', node('n', { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] }), ds({ hostNetwork: true }), true, true],
  ])('%s', (_name, n, d, shouldRun, shouldContinueRunning) => {
    expect(nodeShouldRunDaemonPod(n, d)).toEqual({ shouldRun, shouldContinueRunning });
  });
});

describe('daemon pods', () => {
  it('are pinned to their node by metadata.name, carry the added tolerations and the revision hash', () => {
    const d = ds({ tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }], hostNetwork: true });
    const p = daemonPod(d, 'n1', 'abc');
    expect(p.metadata.generateName).toBe('agent-');
    expect(p.metadata.labels).toEqual({ app: 'agent', [CONTROLLER_REVISION_HASH]: 'abc' });
    expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true, blockOwnerDeletion: true }]);
    expect(p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual({ nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] });
    expect(p.spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(targetNodeName(p)).toBe('n1');
    expect(p.spec.nodeName).toBeUndefined();
  });
});

describe('planNodes (manage)', () => {
  it('creates on eligible nodes without a pod, deletes where a pod may not stay, keeps the oldest of duplicates', () => {
    const nodes = [
      node('empty'),
      node('has'),
      node('dup'),
      node('tainted', { taints: [{ key: 'gpu', effect: 'NoExecute' }] }),
      node('cordon-like', { taints: [{ key: 'gpu', effect: 'NoSchedule' }] }),
      node('failed'),
      node('going'),
    ];
    const keep = pod('has', 'h1');
    const dupOld = pod('dup', 'h1', { age: 300 });
    const dupNew = pod('dup', 'h1', { age: 10 });
    const onTainted = pod('tainted', 'h1');
    const onNoSchedule = pod('cordon-like', 'h1');
    const failed = pod('failed', 'h1', { phase: 'Failed' });
    const terminating = pod('going', 'h1', { deleting: true });
    const orphanedUnbound = pod('vanished', 'h1', { bound: false });
    const orphanedBound = pod('vanished-too', 'h1');
    const byNode = podsByNode([keep, dupOld, dupNew, onTainted, onNoSchedule, failed, terminating, orphanedUnbound, orphanedBound]);
    const plan = planNodes(ds(), nodes, byNode, 'h1', NOW);
    expect(plan.create).toEqual(['empty']);
    expect(names(plan.delete)).toEqual(names([dupNew, onTainted, failed, orphanedUnbound, orphanedBound]));
  });

  it("deletes a node's failed pod only outside that node's backoff, and says when to look again", () => {
    const nodes = [node('a'), node('b')];
    const failedA = pod('a', 'h1', { phase: 'Failed' });
    const failedB = pod('b', 'h1', { phase: 'Failed' });
    const plan = planNodes(ds(), nodes, podsByNode([failedA, failedB]), 'h1', NOW, (n) => (n === 'b' ? 4000 : 0));
    expect(names(plan.delete)).toEqual(names([failedA]));
    expect(names(plan.failed ?? [])).toEqual(names([failedA]));
    expect(plan.retryAfterMs).toBe(4000);
    expect(plan.create).toEqual([]);
  });

  it('with maxSurge keeps an old ready pod beside a new one until the new one is available', () => {
    const d = ds({}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const nodes = [node('a'), node('b')];
    const oldA = pod('a', 'h1', { age: 300 });
    const newA = pod('a', 'h2', { age: 5, ready: false });
    const oldB = pod('b', 'h1', { age: 300 });
    const newB = pod('b', 'h2', { age: 5 });
    const plan = planNodes(d, nodes, podsByNode([oldA, newA, oldB, newB]), 'h2', NOW);
    expect(plan.create).toEqual([]);
    expect(names(plan.delete)).toEqual(names([oldB]));
  });
});

describe('planRollingUpdate', () => {
  const four = [node('a'), node('b'), node('c'), node('d')];

  it.each([
    // [maxUnavailable, pods per node as [hash, ready], deleted this step]
    ['maxUnavailable 1, all old and available: one node', 1, [['h1', true], ['h1', true], ['h1', true], ['h1', true]], ['a']],
    ['maxUnavailable 2: two nodes', 2, [['h1', true], ['h1', true], ['h1', true], ['h1', true]], ['a', 'b']],
    ['maxUnavailable "50%" of 4: two nodes', '50%', [['h1', true], ['h1', true], ['h1', true], ['h1', true]], ['a', 'b']],
    ['a new pod not yet ready uses the budget', 1, [['h2', false], ['h1', true], ['h1', true], ['h1', true]], []],
    ['a node with no pod uses the budget', 1, [null, ['h1', true], ['h1', true], ['h1', true]], []],
    ['an old unavailable pod is replaced whatever the budget', 1, [['h2', false], ['h1', false], ['h1', true], ['h1', true]], ['b']],
    ['new and available: the next node', 1, [['h2', true], ['h1', true], ['h1', true], ['h1', true]], ['b']],
    ['done', 1, [['h2', true], ['h2', true], ['h2', true], ['h2', true]], []],
  ] as const)('%s', (_name, maxUnavailable, layout, deleted) => {
    const d = ds({}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable, maxSurge: 0 } });
    const pods = layout.flatMap((l, i) => (l ? [pod(four[i]?.metadata.name ?? '', l[0], { ready: l[1] })] : []));
    const step = planRollingUpdate(d, four, podsByNode(pods), 'h2', NOW);
    expect(step.create).toEqual([]);
    expect(step.delete.map((p) => p.spec.nodeName)).toEqual(deleted);
  });

  it('with maxSurge creates new pods beside old ones, at most maxSurge waiting at once, and removes the old one when the new is available', () => {
    const d = ds({}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 2 } });
    expect(updateCounts(d, four)).toEqual({ maxSurge: 2, maxUnavailable: 0, desiredNumberScheduled: 4 });
    const start = four.map((n) => pod(n.metadata.name ?? '', 'h1'));
    expect(planRollingUpdate(d, four, podsByNode(start), 'h2', NOW)).toEqual({ create: ['a', 'b'], delete: [] });
    const surging = [...start, pod('a', 'h2', { ready: false }), pod('b', 'h2')];
    const step = planRollingUpdate(d, four, podsByNode(surging), 'h2', NOW);
    // a waits (one surge in use), b's old pod goes, one more surge room: c.
    expect(step.create).toEqual(['c']);
    expect(step.delete.map((p) => p.spec.nodeName)).toEqual(['b']);
  });

  it('OnDelete is never stepped; no pods deleted by the manage plan for an old revision', () => {
    const d = ds({}, { type: 'OnDelete' });
    expect(updateCounts(d, four)).toEqual({ maxSurge: 0, maxUnavailable: 1, desiredNumberScheduled: 4 });
    const pods = four.map((n) => pod(n.metadata.name ?? '', 'h1'));
    expect(planNodes(d, four, podsByNode(pods), 'h2', NOW)).toEqual({ create: [], delete: [] });
  });
});
