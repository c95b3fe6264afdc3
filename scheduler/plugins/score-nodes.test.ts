// The batch scoring paths (scoreNodes, normalizeScoreValues) must give exactly what the
// per-node ones give: the runner prefers them, the per-node ones are the reference.
import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework/cycle-state.js';
import { makeNodeInfo, makePod } from '../framework/builders.js';
import { defaultNormalizeScore, defaultNormalizeValues, type NodeScore, type ScorePlugin } from '../framework/interfaces.js';
import { PodInfo, type NodeInfo } from '../framework/node-info.js';
import { BalancedAllocation } from './balanced-allocation/balanced-allocation.js';
import { NodeAffinity } from './node-affinity/node-affinity.js';
import { NodeResourcesFit } from './node-resources-fit/node-resources-fit.js';
import { TaintToleration } from './taint-toleration/taint-toleration.js';

/** Nodes of different sizes and fill levels, some tainted, one with an extended resource missing. */
function nodes(): NodeInfo[] {
  const out: NodeInfo[] = [];
  const sizes = [
    ['2', '4Gi'],
    ['4', '8Gi'],
    ['16', '64Gi'],
    ['1', '512Mi'],
  ] as const;
  for (let i = 0; i < 12; i++) {
    const [cpu, memory] = sizes[i % sizes.length] as readonly [string, string];
    const pods = Array.from({ length: i % 5 }, (_, k) => makePod({ cpu: `${100 * (k + 1)}m`, memory: `${128 * (k + 1)}Mi`, nodeName: `n${i}` }));
    const taints = i % 3 === 0 ? [{ key: 'dedicated', value: 'x', effect: 'PreferNoSchedule' as const }] : i % 4 === 1 ? [{ key: 'a', effect: 'PreferNoSchedule' as const }, { key: 'b', effect: 'PreferNoSchedule' as const }] : undefined;
    out.push(makeNodeInfo({ name: `n${i}`, cpu, memory, taints }, pods));
  }
  return out;
}

const PODS = [
  makePod({ cpu: '250m', memory: '256Mi' }),
  makePod({}), // no requests: the scoring defaults
  makePod({ cpu: '3', memory: '6Gi', tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'PreferNoSchedule' }] }),
];

const PLUGINS: [string, ScorePlugin][] = [
  ['NodeResourcesFit LeastAllocated', new NodeResourcesFit()],
  ['NodeResourcesFit MostAllocated', new NodeResourcesFit({ scoringStrategy: { type: 'MostAllocated' } })],
  ['NodeResourcesFit weighted', new NodeResourcesFit({ scoringStrategy: { resources: [{ name: 'cpu', weight: 3 }, { name: 'memory', weight: 1 }, { name: 'example.com/gpu', weight: 2 }] } })],
  ['BalancedAllocation', new BalancedAllocation()],
  ['BalancedAllocation three resources', new BalancedAllocation({ resources: [{ name: 'cpu' }, { name: 'memory' }, { name: 'example.com/gpu' }] })],
  ['TaintToleration', new TaintToleration()],
];

describe('scoreNodes gives what score gives node by node', () => {
  for (const [name, plugin] of PLUGINS) {
    it(name, () => {
      expect(plugin.scoreNodes).toBeTypeOf('function');
      const ns = nodes();
      for (const p of PODS) {
        const pod = new PodInfo(p);
        const state = new CycleState();
        const one = ns.map((n) => plugin.score(state, pod, n));
        const all: number[] = new Array(ns.length).fill(-1);
        expect(plugin.scoreNodes?.(state, pod, ns, all)).toBeUndefined();
        expect(all).toEqual(one);
      }
    });
  }
});

describe('normalizeScoreValues gives what normalizeScore gives', () => {
  const cases: number[][] = [[0, 0, 0], [0, 3, 1, 2], [5], [7, 7, 0, 100]];
  for (const reverse of [false, true]) {
    it(`defaultNormalizeValues, reverse=${reverse}`, () => {
      for (const c of cases) {
        const records: NodeScore[] = c.map((score, i) => ({ name: `n${i}`, score }));
        defaultNormalizeScore(100, reverse, records);
        const values = [...c];
        defaultNormalizeValues(100, reverse, values);
        expect(values).toEqual(records.map((r) => r.score));
      }
    });
  }
  for (const [name, plugin] of [['TaintToleration', new TaintToleration()], ['NodeAffinity', new NodeAffinity()]] as const) {
    it(name, () => {
      const state = new CycleState();
      const pod = new PodInfo(makePod({}));
      for (const c of cases) {
        const records: NodeScore[] = c.map((score, i) => ({ name: `n${i}`, score }));
        plugin.normalizeScore(state, pod, records);
        const values = [...c];
        plugin.normalizeScoreValues(state, pod, values);
        expect(values).toEqual(records.map((r) => r.score));
      }
    });
  }
});
