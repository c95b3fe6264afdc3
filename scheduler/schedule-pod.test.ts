// The scheduling decision on a snapshot, with the in-tree plugins and a fake binder.
import { describe, expect, it } from 'vitest';
import { SchedulerCache } from './cache/cache.js';
import { Snapshot } from './cache/snapshot.js';
import { makeNode, makePod } from './framework/builders.js';
import { PodInfo } from './framework/node-info.js';
import type { ProfileConfig } from './framework/profile.js';
import { Framework } from './framework/runner.js';
import { inTreeRegistry } from './plugins/registry.js';
import { numFeasibleNodesToFind, ScheduleAlgorithm } from './schedule-pod.js';

function world(nodes: number, profile: ProfileConfig = { schedulerName: 'default-scheduler' }) {
  const cache = new SchedulerCache();
  for (let i = 0; i < nodes; i++) cache.addNode(makeNode({ name: `n${String(i).padStart(4, '0')}`, cpu: '4', memory: '8Gi' }));
  const snapshot = new Snapshot();
  cache.updateSnapshot(snapshot);
  const fwk = new Framework(profile, inTreeRegistry(), { handle: { snapshot: () => snapshot }, binder: { bind: async () => undefined } });
  return { cache, snapshot, fwk };
}

describe('numFeasibleNodesToFind', () => {
  it.each([
    [50, undefined, 50],
    [99, undefined, 99],
    [100, undefined, 100],
    // 50 - 1000/125 = 42 %
    [1000, undefined, 420],
    // 50 - 5000/125 = 10 %
    [5000, undefined, 500],
    // floor at 5 %
    [10_000, undefined, 500],
    [20_000, undefined, 1000],
    // configured
    [1000, 10, 100],
    [1000, 5, 100],
    [5000, 30, 1500],
    [1000, 100, 1000],
  ])('%i nodes, %s %% -> %i', (n, pct, want) => expect(numFeasibleNodesToFind(n, pct)).toBe(want));
});

describe('ScheduleAlgorithm', () => {
  it('evaluates only a sample above 100 nodes, and starts where it stopped', () => {
    const { snapshot, fwk } = world(1000);
    const alg = new ScheduleAlgorithm({ random: () => 0 });
    const r1 = alg.schedule(fwk, new PodInfo(makePod({ cpu: '100m' })), snapshot);
    expect(r1.ok && r1.evaluatedNodes).toBe(420);
    expect(r1.ok && r1.feasibleNodes).toBe(420);
    const r2 = alg.schedule(fwk, new PodInfo(makePod({ cpu: '100m' })), snapshot);
    // The second cycle starts at node 420, so it can only pick from n0420..n0839.
    expect(r2.ok && r2.nodeName >= 'n0420' && r2.nodeName < 'n0840').toBe(true);
  });

  it('walks every node when nothing fits, and explains each rejection', () => {
    const { snapshot, fwk } = world(150);
    const r = new ScheduleAlgorithm().schedule(fwk, new PodInfo(makePod({ cpu: '5' })), snapshot);
    expect(r.ok).toBe(false);
    expect(r.evaluatedNodes).toBe(150);
    expect(!r.ok && r.fitError?.message).toBe('0/150 nodes are available: 150 Insufficient cpu.');
    expect([...r.diagnosis.unschedulablePlugins]).toEqual(['NodeResourcesFit']);
  });

  it('picks the single feasible node without scoring', () => {
    const { cache, snapshot, fwk } = world(3);
    cache.assumePod(makePod({ name: 'x', cpu: '4' }), 'n0000');
    cache.assumePod(makePod({ name: 'y', cpu: '4' }), 'n0001');
    cache.updateSnapshot(snapshot);
    const r = new ScheduleAlgorithm().schedule(fwk, new PodInfo(makePod({ cpu: '1' })), snapshot);
    expect(r.ok && r.nodeName).toBe('n0002');
    expect(r.ok && r.scores).toBeUndefined();
  });

  it('breaks ties at random among the best', () => {
    const { snapshot, fwk } = world(4);
    const picks = new Set<string>();
    for (const x of [0, 0.3, 0.6, 0.99]) {
      const r = new ScheduleAlgorithm({ random: () => x }).schedule(fwk, new PodInfo(makePod({ cpu: '1' })), snapshot);
      if (r.ok) picks.add(r.nodeName);
    }
    expect(picks.size).toBeGreaterThan(1);
  });

  it('reports no nodes at all', () => {
    const { snapshot, fwk } = world(0);
    const r = new ScheduleAlgorithm().schedule(fwk, new PodInfo(makePod()), snapshot);
    expect(!r.ok && r.fitError?.message).toBe('no nodes available to schedule pods');
  });
});
