// The rollout's (new, old) ReplicaSet sizes step by step, as Kubernetes' rolling.go makes them.
// Each step is one sync of the planner, its writes applied, then every pod the ReplicaSets ask
// for exists and is available (a ReplicaSet controller with instant pods) before the next sync.
import { describe, expect, it } from 'vitest';
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import { planDeploymentSync } from './plan.js';
import { deployment, NOW, replicaSet } from './testing.js';

/** Runs syncs until nothing changes; returns [new, old] spec sizes after each sync that wrote. */
function simulate(d: Deployment, start: ReplicaSet[]): [number, number][] {
  let rss = start;
  let dep = d;
  const rows: [number, number][] = [];
  for (let i = 0; i < 20; i++) {
    const plan = planDeploymentSync({ deployment: dep, replicaSets: rss, now: NOW });
    if (plan.statusUpdate) dep = plan.statusUpdate;
    if (plan.actions.length === 0) return rows;
    for (const a of plan.actions) {
      if (a.kind === 'delete') rss = rss.filter((rs) => rs.metadata.name !== a.name);
      else rss = [...rss.filter((rs) => rs.metadata.name !== a.replicaSet.metadata.name), { ...a.replicaSet, metadata: { ...a.replicaSet.metadata, creationTimestamp: a.replicaSet.metadata.creationTimestamp ?? NOW } }];
    }
    // Sizes right after the sync (pods not yet there or gone): the surge bound holds at every point.
    const size = (img: string) => rss.filter((rs) => rs.spec.template?.spec?.containers[0]?.image === img).reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0);
    rows.push([size('web:2'), size('web:1')]);
    // Between syncs every pod asked for is there and available.
    rss = rss.map((rs) => ({ ...rs, status: { replicas: rs.spec.replicas ?? 0, readyReplicas: rs.spec.replicas ?? 0, availableReplicas: rs.spec.replicas ?? 0, observedGeneration: 1 } }));
  }
  throw new Error('the rollout did not finish in 20 syncs');
}

function rollout(maxSurge: number | string, maxUnavailable: number | string): [number, number][] {
  const d = deployment({ replicas: 6, image: 'web:2', maxSurge, maxUnavailable });
  return simulate(d, [replicaSet(d, 'web:1', 6)]);
}

describe('RollingUpdate of 6 replicas, step by step', () => {
  it('25%/25%: maxSurge 2 (1.5 up), maxUnavailable 1 (1.5 down), so at most 8 pods and at least 5 available', () => {
    expect(rollout('25%', '25%')).toEqual([
      // 1. The new ReplicaSet is made at 2 (6 old + 2 = 8, the surge bound). Then old ones may
      //    lose 8 total − 5 min available − 2 new not yet available = 1: old 6 → 5.
      [2, 5],
      // 2. The 2 new are available; 7 pods asked for, so the new one grows by 1 to reach 8.
      [3, 5],
      // 3. 8 pods, no room to grow: 8 available − 5 minimum = 3 old may go: old 5 → 2.
      [3, 2],
      // 4. 5 pods asked for: the new one grows by min(8 − 5, 6 − 3) = 3 to 6.
      [6, 2],
      // 5. The new one is full; 8 available − 5 = 3 may go, the 2 old ones go.
      [6, 0],
    ]);
  });

  it('maxSurge 0 / maxUnavailable 2: never more than 6 pods, at least 4 available', () => {
    expect(rollout(0, 2)).toEqual([
      // 1. The new ReplicaSet is made at 0 (6 pods already, no surge); 6 available − 4 = 2 old go.
      [0, 4],
      // 2. 4 pods asked for: the new one grows by 2.
      [2, 4],
      // 3. 6 pods, all available: 2 more old ones go.
      [2, 2],
      // 4. The new one grows by 2.
      [4, 2],
      // 5. The last 2 old ones go.
      [4, 0],
      // 6. The new one takes the last 2.
      [6, 0],
    ]);
  });

  it('maxSurge 0 / maxUnavailable 0 moves one pod at a time (maxUnavailable becomes 1)', () => {
    const rows = rollout(0, 0);
    expect(rows[0]).toEqual([0, 5]);
    expect(rows.at(-1)).toEqual([6, 0]);
    for (const [n, o] of rows) expect(n + o).toBeLessThanOrEqual(6);
  });

  it('stalls at maxUnavailable while the new pods never become available', () => {
    const d = deployment({ replicas: 6, image: 'web:2' });
    let rss = [replicaSet(d, 'web:1', 6)];
    let dep = d;
    for (let i = 0; i < 5; i++) {
      const plan = planDeploymentSync({ deployment: dep, replicaSets: rss, now: NOW });
      if (plan.statusUpdate) dep = plan.statusUpdate;
      for (const a of plan.actions) if (a.kind !== 'delete') rss = [...rss.filter((rs) => rs.metadata.name !== a.replicaSet.metadata.name), a.replicaSet];
      // Old pods go at once; new pods exist but never become available.
      rss = rss.map((rs) => {
        const replicas = rs.spec.replicas ?? 0;
        return { ...rs, status: { ...rs.status, replicas, availableReplicas: Math.min(rs.status?.availableReplicas ?? 0, replicas) } };
      });
    }
    const sizes = rss.map((rs) => [rs.spec.template?.spec?.containers[0]?.image, rs.spec.replicas]);
    expect(sizes.sort()).toEqual([
      ['web:1', 5],
      ['web:2', 3],
    ]);
  });
});
