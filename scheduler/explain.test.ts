// The explain record: what `skiff describe pod` reads back from the pod's annotation.
import { describe, expect, it } from 'vitest';
import { SchedulerCache } from './cache/cache.js';
import { Snapshot } from './cache/snapshot.js';
import { makeNode, makePod } from './framework/builders.js';
import { PodInfo } from './framework/node-info.js';
import { Framework } from './framework/runner.js';
import { EXPLAIN_ANNOTATION, explainRecord, MAX_REJECTED, MAX_SCORED, parseExplainAnnotation } from './explain.js';
import { inTreeRegistry } from './plugins/registry.js';
import { ScheduleAlgorithm } from './schedule-pod.js';

function decide(nodes: { name: string; cpu: string }[], podCpu: string) {
  const cache = new SchedulerCache();
  for (const n of nodes) cache.addNode(makeNode(n));
  const snapshot = new Snapshot();
  cache.updateSnapshot(snapshot);
  const fwk = new Framework({ schedulerName: 'default-scheduler' }, inTreeRegistry(), { handle: { snapshot: () => snapshot }, binder: { bind: async () => undefined } });
  return new ScheduleAlgorithm({ random: () => 0 }).schedule(fwk, new PodInfo(makePod({ cpu: podCpu })), snapshot);
}

describe('explain record', () => {
  it('lists rejected nodes with plugin and reasons, and the scores of the others', () => {
    const r = decide([{ name: 'tiny', cpu: '100m' }, { name: 'mid', cpu: '2' }, { name: 'big', cpu: '8' }], '1');
    const rec = explainRecord('default-scheduler', r, new Date('2026-01-01T00:00:00Z'));
    expect(rec).toMatchObject({ v: 1, result: 'Scheduled', node: 'big', nodes: 3, evaluated: 3, feasible: 2, at: '2026-01-01T00:00:00.000Z' });
    expect(rec.rejected).toEqual({ tiny: { plugin: 'NodeResourcesFit', reasons: ['Insufficient cpu'] } });
    expect(Object.keys(rec.scores)).toEqual(['big', 'mid']);
    const big = rec.scores.big as Record<string, number>;
    expect(big.total).toBe(Object.entries(big).filter(([k]) => k !== 'total').reduce((a, [, v]) => a + v, 0));
    expect(big.TaintToleration).toBe(300);
    // It survives the trip through an annotation.
    expect(parseExplainAnnotation({ [EXPLAIN_ANNOTATION]: JSON.stringify(rec) })).toEqual(rec);
    expect(parseExplainAnnotation({ [EXPLAIN_ANNOTATION]: '{not json' })).toBeUndefined();
  });

  it('carries the FailedScheduling message, and caps big clusters', () => {
    const nodes = Array.from({ length: MAX_REJECTED + 10 }, (_, i) => ({ name: `n${i}`, cpu: '1' }));
    const r = decide(nodes, '2');
    const rec = explainRecord('default-scheduler', r);
    expect(rec.result).toBe('Unschedulable');
    expect(rec.message).toBe(`0/${nodes.length} nodes are available: ${nodes.length} Insufficient cpu.`);
    expect(Object.keys(rec.rejected)).toHaveLength(MAX_REJECTED);
    expect(rec.truncated).toEqual({ rejected: 10, scores: 0 });
    const ok = explainRecord('p', decide(Array.from({ length: MAX_SCORED + 5 }, (_, i) => ({ name: `m${i}`, cpu: '4' })), '1'));
    expect(Object.keys(ok.scores)).toHaveLength(MAX_SCORED);
    expect(ok.truncated).toEqual({ rejected: 0, scores: 5 });
  });
});
