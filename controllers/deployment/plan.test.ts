// The planner's other branches against Kubernetes' rules: revisions and rollback, proportional
// scaling, Recreate, pause, cleanup, conditions and the progress deadline.
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import { appendRevisionHistory } from './annotations.js';
import { planDeploymentSync, type DeploymentSyncPlan } from './plan.js';
import { proportionalSizes } from './proportional.js';
import { deployment, NOW, replicaSet } from './testing.js';

const sizes = (p: DeploymentSyncPlan) =>
  Object.fromEntries(p.actions.flatMap((a) => (a.kind === 'delete' ? [] : [[a.replicaSet.spec.template?.spec?.containers[0]?.image, a.replicaSet.spec.replicas]])));
const cond = (d: Deployment | undefined, type: string) => d?.status?.conditions?.find((c) => c.type === type);
const later = (s: number) => new Date(Date.parse(NOW) + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

describe('a new Deployment', () => {
  const plan = planDeploymentSync({ deployment: deployment({ replicas: 3 }), replicaSets: [], now: NOW });
  const created = plan.actions[0];

  it('makes web-<hash> at full size with revision 1, the hash in its selector and template', () => {
    expect(plan.actions).toHaveLength(1);
    if (created?.kind !== 'create') throw new Error('expected a create');
    const rs = created.replicaSet;
    const hash = rs.metadata.labels?.['pod-template-hash'] ?? '';
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.spec.replicas).toBe(3);
    expect(rs.spec.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.spec.template?.metadata?.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true }]);
    expect(rs.metadata.annotations).toEqual({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    expect(plan.events).toEqual([{ type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set web-${hash} to 3` }]);
  });

  it('gets revision 1, observedGeneration, NewReplicaSetCreated and MinimumReplicasUnavailable', () => {
    const d = plan.statusUpdate;
    expect(d?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(d?.status?.observedGeneration).toBe(1);
    const name = created?.kind === 'create' ? created.replicaSet.metadata.name : '';
    expect(cond(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${name}"` });
    expect(cond(d, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' });
  });
});

describe('revisions', () => {
  it('a rollback gives the old ReplicaSet the next revision and remembers its old one', () => {
    const d = deployment({ replicas: 3, image: 'web:1' });
    const rs1 = replicaSet(d, 'web:1', 0, { revision: 1, created: '2026-12-07T14:00:00Z' });
    const rs2 = replicaSet(d, 'web:2', 3, { revision: 2, created: '2026-12-07T14:10:00Z' });
    const plan = planDeploymentSync({ deployment: d, replicaSets: [rs1, rs2], now: NOW });
    const back = plan.actions.find((a) => a.kind === 'update' && a.replicaSet.metadata.name === rs1.metadata.name);
    if (back?.kind !== 'update') throw new Error('expected the first ReplicaSet updated');
    expect(back.replicaSet.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    expect(back.replicaSet.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
    expect(back.replicaSet.spec.replicas).toBe(1); // 3 + maxSurge 1 = 4 pods at most
    expect(plan.statusUpdate?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  });

  it('keeps the revision history within 2000 characters, dropping the oldest', () => {
    expect(appendRevisionHistory(undefined, '4')).toBe('4');
    expect(appendRevisionHistory('1,3', '5')).toBe('1,3,5');
    const long = Array.from({ length: 500 }, (_, i) => String(1000 + i)).join(','); // 2499 chars
    const out = appendRevisionHistory(long, '9999');
    expect(out.length).toBeLessThanOrEqual(2000);
    expect(out.endsWith(',1499,9999')).toBe(true);
  });

  it('copies the Deployment annotations (change-cause) but not last-applied-configuration', () => {
    const d = deployment({ replicas: 1 });
    d.metadata.annotations = { 'kubernetes.io/change-cause': 'kubectl set image', 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
    const plan = planDeploymentSync({ deployment: d, replicaSets: [], now: NOW });
    const a = plan.actions[0];
    expect(a?.kind === 'create' && a.replicaSet.metadata.annotations).toMatchObject({ 'kubernetes.io/change-cause': 'kubectl set image' });
    expect(a?.kind === 'create' && a.replicaSet.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();
  });
});

describe('proportional scaling mid-rollout', () => {
  // Mid-rollout of 6 (25%/25%): new 3, old 5, both annotated for 6 replicas, max 8.
  const midway = (replicas: number) => {
    const d = deployment({ replicas, image: 'web:2' });
    const ann = { 'deployment.kubernetes.io/desired-replicas': '6', 'deployment.kubernetes.io/max-replicas': '8' };
    return { d, rss: [replicaSet(d, 'web:1', 5, { revision: 1, annotations: ann }), replicaSet(d, 'web:2', 3, { revision: 2, created: '2026-12-07T14:30:00Z', annotations: ann })] };
  };

  it.each<[number, Record<string, number>]>([
    // 6 → 12: surge 3, 15 pods allowed, 7 to add. Old: round(5·15/8) = 9 (+4); new: round(3·15/8) = 6 (+3).
    [12, { 'web:1': 9, 'web:2': 6 }],
    // 6 → 2: surge 1, 3 allowed, 5 to remove, largest first. Old: round(5·3/8) = 2 (−3); new: round(3·3/8) = 1 (−2).
    [2, { 'web:1': 2, 'web:2': 1 }],
    // 6 → 0: every ReplicaSet's fraction is its whole size.
    [0, { 'web:1': 0, 'web:2': 0 }],
  ])('6 → %d', (replicas, want) => {
    const { d, rss } = midway(replicas);
    const plan = planDeploymentSync({ deployment: d, replicaSets: rss, now: NOW });
    expect(sizes(plan)).toEqual(want);
    for (const a of plan.actions) {
      if (a.kind === 'update') expect(a.replicaSet.metadata.annotations?.['deployment.kubernetes.io/desired-replicas']).toBe(String(replicas));
    }
  });

  it('gives what rounding leaves over to the largest ReplicaSet, the newest among equals', () => {
    // Three ReplicaSets of 2, annotated max 6; to 9 replicas with maxSurge 1: 10 allowed, 4 to add.
    // Each gets round(2·10/6) − 2 = +1; the leftover 1 goes to the first of the sort: the newest.
    const d = deployment({ replicas: 9, maxSurge: 1, maxUnavailable: 0 });
    const ann = { 'deployment.kubernetes.io/max-replicas': '6' };
    const rss: ReplicaSet[] = ['a', 'b', 'c'].map((img, i) => replicaSet(d, img, 2, { created: `2026-12-07T14:0${i}:00Z`, annotations: ann }));
    expect(Object.fromEntries(proportionalSizes(d, rss))).toEqual({ [rss[2]?.metadata.name ?? '']: 4, [rss[1]?.metadata.name ?? '']: 3, [rss[0]?.metadata.name ?? '']: 3 });
  });
});

describe('Recreate', () => {
  const d = deployment({ replicas: 3, image: 'web:2', strategy: 'Recreate' });
  const old = replicaSet(d, 'web:1', 3);

  it('scales every old ReplicaSet to 0 before anything new exists', () => {
    const plan = planDeploymentSync({ deployment: d, replicaSets: [old], now: NOW });
    expect(plan.actions.map((a) => a.kind)).toEqual(['update']);
    expect(sizes(plan)).toEqual({ 'web:1': 0 });
  });

  it('waits while an old pod still runs, then makes the new one at full size', () => {
    const drained: ReplicaSet = { ...old, spec: { ...old.spec, replicas: 0 }, status: { replicas: 0 } };
    const pod = (phase: 'Running' | 'Succeeded'): Pod => ({
      metadata: { name: 'p', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: old.metadata.name ?? '', uid: old.metadata.uid ?? '', controller: true }] },
      spec: { containers: [] },
      status: { phase },
    });
    expect(planDeploymentSync({ deployment: d, replicaSets: [drained], pods: [pod('Running')], now: NOW }).actions).toEqual([]);
    const plan = planDeploymentSync({ deployment: d, replicaSets: [drained], pods: [pod('Succeeded')], now: NOW });
    expect(plan.actions.map((a) => a.kind)).toEqual(['create']);
    expect(sizes(plan)).toEqual({ 'web:2': 3 });
  });
});

describe('pause', () => {
  it('starts no rollout, still scales, and says DeploymentPaused', () => {
    const d = deployment({ replicas: 5, image: 'web:2', paused: true });
    const plan = planDeploymentSync({ deployment: d, replicaSets: [replicaSet(d, 'web:1', 3)], now: NOW });
    expect(plan.actions.filter((a) => a.kind === 'create')).toEqual([]);
    expect(sizes(plan)).toEqual({ 'web:1': 5 });
    expect(cond(plan.statusUpdate, 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' });
  });

  it('says DeploymentResumed on resume', () => {
    const d = deployment({ replicas: 3 });
    d.status = { conditions: [{ type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused', lastUpdateTime: NOW, lastTransitionTime: NOW }] };
    const plan = planDeploymentSync({ deployment: d, replicaSets: [], now: NOW });
    // Resumed, then the rollout made its ReplicaSet in the same sync.
    expect(cond(plan.statusUpdate, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetCreated' });
    const resumedOnly = planDeploymentSync({ deployment: { ...d, spec: { ...d.spec, paused: false } }, replicaSets: [replicaSet(d, 'web:1', 3)], now: NOW });
    expect(cond(resumedOnly.statusUpdate, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
  });
});

describe('cleanup beyond revisionHistoryLimit', () => {
  it('deletes the oldest revisions at 0 replicas only, once the rollout is complete', () => {
    const d = deployment({ replicas: 2, revisionHistoryLimit: 1 });
    d.status = { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 };
    const r1 = replicaSet(d, 'web:a', 0, { revision: 1 });
    const r2 = replicaSet(d, 'web:b', 1, { revision: 2 }); // still has a pod: kept
    const r3 = replicaSet(d, 'web:c', 0, { revision: 3 });
    const cur = replicaSet(d, 'web:1', 2, { revision: 4 });
    const r2Drained = { ...r2, spec: { ...r2.spec, replicas: 0 }, status: { replicas: 0, observedGeneration: 1 } };
    const plan = planDeploymentSync({ deployment: d, replicaSets: [r1, r2Drained, r3, cur], now: NOW });
    expect(plan.actions.filter((a) => a.kind === 'delete').map((a) => a.kind === 'delete' && a.name)).toEqual([r1.metadata.name, r2.metadata.name]);
    const kept = planDeploymentSync({ deployment: d, replicaSets: [r1, { ...r2, spec: { ...r2.spec, replicas: 0 } }, r3, cur], now: NOW });
    expect(kept.actions.filter((a) => a.kind === 'delete').map((a) => a.kind === 'delete' && a.name)).toEqual([r1.metadata.name]);
  });
});

describe('conditions and the progress deadline', () => {
  const stuck = () => {
    const d = deployment({ replicas: 6, image: 'web:2', progressDeadlineSeconds: 10 });
    const rss = [replicaSet(d, 'web:1', 5, { revision: 1 }), replicaSet(d, 'web:2', 3, { revision: 2, available: 0, created: '2026-12-07T14:30:00Z' })];
    for (const rs of rss) rs.metadata.annotations = { ...rs.metadata.annotations, 'deployment.kubernetes.io/desired-replicas': '6', 'deployment.kubernetes.io/max-replicas': '8' };
    d.metadata.annotations = { 'deployment.kubernetes.io/revision': '2' };
    d.status = {
      observedGeneration: 1,
      replicas: 8,
      updatedReplicas: 3,
      readyReplicas: 5,
      availableReplicas: 5,
      unavailableReplicas: 3,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: NOW, lastTransitionTime: NOW },
        { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: 'x', lastUpdateTime: NOW, lastTransitionTime: NOW },
      ],
    };
    return { d, rss };
  };

  it('before the deadline: nothing to write, a look again when it would pass', () => {
    const { d, rss } = stuck();
    const plan = planDeploymentSync({ deployment: d, replicaSets: rss, now: later(4) });
    expect(plan.actions).toEqual([]);
    expect(plan.statusUpdate).toBeUndefined();
    expect(plan.requeueAfterMs).toBe(6000);
  });

  it('after it: Progressing False ProgressDeadlineExceeded, Available kept', () => {
    const { d, rss } = stuck();
    const plan = planDeploymentSync({ deployment: d, replicaSets: rss, now: later(11) });
    const name = rss[1]?.metadata.name ?? '';
    expect(cond(plan.statusUpdate, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${name}" has timed out progressing.`,
      lastUpdateTime: later(11),
    });
    expect(cond(plan.statusUpdate, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(plan.requeueAfterMs).toBeUndefined();
  });

  it('progress refreshes lastUpdateTime and keeps lastTransitionTime', () => {
    const { d, rss } = stuck();
    const moved = rss.map((rs, i) => (i === 1 ? { ...rs, status: { ...rs.status, replicas: 3, readyReplicas: 1, availableReplicas: 1 } } : rs));
    const plan = planDeploymentSync({ deployment: d, replicaSets: moved, now: later(20) });
    expect(cond(plan.statusUpdate, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'ReplicaSetUpdated',
      message: `ReplicaSet "${rss[1]?.metadata.name ?? ''}" is progressing.`,
      lastUpdateTime: later(20),
      lastTransitionTime: NOW,
    });
  });

  it('complete: NewReplicaSetAvailable, counts and MinimumReplicasAvailable', () => {
    const d = deployment({ replicas: 3, generation: 4 });
    const rs = replicaSet(d, 'web:1', 3);
    const plan = planDeploymentSync({ deployment: d, replicaSets: [rs], now: NOW });
    expect(plan.statusUpdate?.status).toMatchObject({ observedGeneration: 4, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(plan.statusUpdate?.status?.unavailableReplicas).toBeUndefined();
    expect(cond(plan.statusUpdate, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rs.metadata.name ?? ''}" has successfully progressed.` });
    expect(cond(plan.statusUpdate, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    // The next sync with that status writes nothing.
    if (!plan.statusUpdate) throw new Error('expected a status');
    expect(planDeploymentSync({ deployment: plan.statusUpdate, replicaSets: [rs], now: later(5) }).statusUpdate).toBeUndefined();
  });
});
