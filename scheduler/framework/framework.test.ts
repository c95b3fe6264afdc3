// The profile config, the runner's extension-point semantics, and the FailedScheduling text.
import { describe, expect, it } from 'vitest';
import { Snapshot } from '../cache/snapshot.js';
import { inTreeRegistry } from '../plugins/registry.js';
import { makeNodeInfo, makePod } from './builders.js';
import { CycleState } from './cycle-state.js';
import { fitErrorMessage, newDiagnosis } from './fit-error.js';
import type { FilterPlugin, ScorePlugin } from './interfaces.js';
import { PodInfo } from './node-info.js';
import { ConfigError, normalizeConfig, resolvePlugins } from './profile.js';
import { Registry } from './registry.js';
import { Framework } from './runner.js';
import { skip, Status, success, unschedulable, unresolvable } from './status.js';

const ctx = { handle: { snapshot: () => new Snapshot() }, binder: { bind: async () => undefined } };

describe('FailedScheduling message', () => {
  it.each([
    { statuses: [unschedulable('Insufficient memory'), unschedulable('Insufficient memory'), unschedulable('Insufficient cpu')], want: '0/3 nodes are available: 1 Insufficient cpu, 2 Insufficient memory.' },
    { statuses: [unschedulable('Insufficient cpu', 'Insufficient memory')], want: '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.' },
    {
      statuses: [unresolvable('node(s) were unschedulable'), ...Array(10).fill(unschedulable('Insufficient cpu'))],
      // Go's sort.Strings compares bytes: "1 node..." before "10 Insufficient..." because ' ' < '0'.
      want: '0/11 nodes are available: 1 node(s) were unschedulable, 10 Insufficient cpu.',
    },
  ])('$want', ({ statuses, want }) => {
    const d = newDiagnosis();
    statuses.forEach((s, i) => d.nodeToStatus.set(`n${i}`, s));
    expect(fitErrorMessage(statuses.length, d)).toBe(want);
  });

  it('uses the PreFilter message alone when PreFilter rejected the pod', () => {
    const d = newDiagnosis();
    d.preFilterMsg = 'pod has unbound volume claims';
    d.nodeToStatus.set('n0', unschedulable('x'));
    expect(fitErrorMessage(2, d)).toBe('0/2 nodes are available: pod has unbound volume claims.');
    expect(fitErrorMessage(0, newDiagnosis())).toBe('no nodes available to schedule pods');
  });
});

describe('profile config', () => {
  const implementsAll = () => true;
  it('expands the default multiPoint set with Kubernetes weights', () => {
    const refs = resolvePlugins({ schedulerName: 's' }, (name, point) => point !== 'score' || ['TaintToleration', 'NodeAffinity', 'NodeResourcesFit', 'BalancedAllocation', 'ImageLocality'].includes(name));
    expect(refs.score).toEqual([
      { name: 'TaintToleration', weight: 3 },
      { name: 'NodeAffinity', weight: 2 },
      { name: 'NodeResourcesFit', weight: 1 },
      { name: 'BalancedAllocation', weight: 1 },
      { name: 'ImageLocality', weight: 1 },
    ]);
  });

  it('disables with "*" and enables with weights per extension point', () => {
    const refs = resolvePlugins(
      { schedulerName: 's', plugins: { score: { disabled: [{ name: '*' }], enabled: [{ name: 'NodeResourcesFit', weight: 5 }] }, filter: { disabled: [{ name: 'NodePorts' }] } } },
      implementsAll,
    );
    expect(refs.score).toEqual([{ name: 'NodeResourcesFit', weight: 5 }]);
    expect(refs.filter.map((r) => r.name)).not.toContain('NodePorts');
  });

  it.each([
    [{ percentageOfNodesToScore: 150 }, /percentageOfNodesToScore/],
    [{ profiles: [] }, /non-empty/],
    [{ profiles: [{ schedulerName: 'a' }, { schedulerName: 'a' }] }, /duplicated/],
    [{ profiles: [{ schedulerName: 'a', plugins: { sideways: {} } }] }, /not an extension point/],
    [{ podInitialBackoffSeconds: 20, podMaxBackoffSeconds: 10 }, /at least/],
  ])('rejects %j', (raw, msg) => {
    expect(() => normalizeConfig(raw)).toThrow(ConfigError);
    expect(() => normalizeConfig(raw)).toThrow(msg);
  });

  it('builds every default plugin and refuses unknown ones', () => {
    const fwk = new Framework({ schedulerName: 'default-scheduler' }, inTreeRegistry(), ctx);
    expect(fwk.filter.map((p) => p.name)).toEqual(['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit']);
    expect(fwk.bind.map((p) => p.name)).toEqual(['DefaultBinder']);
    expect(() => new Framework({ schedulerName: 'x', plugins: { filter: { enabled: [{ name: 'Nope' }] } } }, inTreeRegistry(), ctx)).toThrow(/does not exist/);
  });
});

describe('runner', () => {
  const reject = (name: string): FilterPlugin => ({ name, filter: () => unschedulable(`${name} says no`) });
  const boom: FilterPlugin = {
    name: 'Boom',
    filter: () => {
      throw new Error('kaput');
    },
  };
  const constant = (name: string, v: number): ScorePlugin => ({ name, score: () => v });

  function framework(plugins: Record<string, () => FilterPlugin | ScorePlugin>, filter: string[], score: { name: string; weight: number }[]) {
    const reg = inTreeRegistry();
    for (const [n, f] of Object.entries(plugins)) reg.register(n, f);
    return new Framework(
      { schedulerName: 't', plugins: { multiPoint: { disabled: [{ name: '*' }], enabled: [{ name: 'DefaultBinder' }] }, filter: { enabled: filter.map((name) => ({ name })) }, score: { enabled: score } } },
      reg,
      ctx,
    );
  }

  it('stops filtering a node at the first rejection and tags the plugin', () => {
    const fwk = framework({ A: () => reject('A'), B: () => reject('B') }, ['A', 'B'], []);
    const s = fwk.runFilter(new CycleState(), new PodInfo(makePod()), makeNodeInfo({ name: 'n' }));
    expect(s.plugin).toBe('A');
    expect([...s.reasons]).toEqual(['A says no']);
  });

  it('turns a throwing plugin into an Error status', () => {
    const fwk = framework({ Boom: () => boom }, ['Boom'], []);
    const s = fwk.runFilter(new CycleState(), new PodInfo(makePod()), makeNodeInfo({ name: 'n' }));
    expect(s).toBeInstanceOf(Status);
    expect(s.code).toBe('Error');
    expect(s.plugin).toBe('Boom');
    expect(success().plugin).toBe('');
  });

  it('weights and sums scores, and rejects out-of-range ones', () => {
    const fwk = framework({ Ten: () => constant('Ten', 10), Five: () => constant('Five', 5) }, [], [
      { name: 'Ten', weight: 2 },
      { name: 'Five', weight: 3 },
    ]);
    const nodes = [makeNodeInfo({ name: 'a' }), makeNodeInfo({ name: 'b' })];
    const scores = fwk.runScore(new CycleState(), new PodInfo(makePod()), nodes);
    expect(scores instanceof Status ? scores : scores.details()).toEqual([
      { name: 'a', total: 35, byPlugin: { Ten: 20, Five: 15 } },
      { name: 'b', total: 35, byPlugin: { Ten: 20, Five: 15 } },
    ]);
    const bad = framework({ Huge: () => constant('Huge', 101) }, [], [{ name: 'Huge', weight: 1 }]);
    const s = bad.runScore(new CycleState(), new PodInfo(makePod()), nodes);
    expect(s instanceof Status && s.code).toBe('Error');
  });

  it('does not run the Filter of a plugin whose PreFilter answered Skip', () => {
    const reg = inTreeRegistry();
    reg.register('Lazy', () => ({ name: 'Lazy', preFilter: () => skip(), filter: () => unresolvable('filtered although skipped') }));
    reg.register('No', () => reject('No'));
    const fwk = new Framework(
      {
        schedulerName: 't',
        plugins: { multiPoint: { disabled: [{ name: '*' }], enabled: [{ name: 'DefaultBinder' }] }, preFilter: { enabled: [{ name: 'Lazy' }] }, filter: { enabled: [{ name: 'Lazy' }, { name: 'No' }] } },
      },
      reg,
      ctx,
    );
    const state = new CycleState();
    const pod = new PodInfo(makePod());
    const node = makeNodeInfo({ name: 'n' });
    // Without its PreFilter having run, the Filter runs as always.
    expect(fwk.runFilter(new CycleState(), pod, node).plugin).toBe('Lazy');
    expect(fwk.runPreFilter(state, pod).isSuccess()).toBe(true);
    expect(fwk.runFilter(state, pod, node).plugin).toBe('No');
  });

  it('does not run the Score of a plugin whose PreScore answered Skip (it adds 0)', () => {
    const reg = inTreeRegistry();
    reg.register('Lazy', () => ({
      name: 'Lazy',
      preScore: () => skip(),
      score: () => {
        throw new Error('scored although skipped');
      },
    }));
    reg.register('Ten', () => constant('Ten', 10));
    const fwk = new Framework(
      {
        schedulerName: 't',
        plugins: {
          multiPoint: { disabled: [{ name: '*' }], enabled: [{ name: 'DefaultBinder' }] },
          preScore: { enabled: [{ name: 'Lazy' }] },
          score: { enabled: [{ name: 'Lazy', weight: 2 }, { name: 'Ten', weight: 1 }] },
        },
      },
      reg,
      ctx,
    );
    const state = new CycleState();
    const pod = new PodInfo(makePod());
    const nodes = [makeNodeInfo({ name: 'a' }), makeNodeInfo({ name: 'b' })];
    expect(fwk.runPreScore(state, pod, nodes).isSuccess()).toBe(true);
    const scores = fwk.runScore(state, pod, nodes);
    expect(scores instanceof Status ? scores : scores.details()).toEqual([
      { name: 'a', total: 10, byPlugin: { Lazy: 0, Ten: 10 } },
      { name: 'b', total: 10, byPlugin: { Lazy: 0, Ten: 10 } },
    ]);
  });

  it('unreserves everything in reverse when a reserve fails', () => {
    const log: string[] = [];
    const reg = new Registry({
      R1: () => ({ name: 'R1', reserve: () => (log.push('reserve R1'), success()), unreserve: () => void log.push('unreserve R1') }),
      R2: () => ({ name: 'R2', reserve: () => (log.push('reserve R2'), unschedulable('full')), unreserve: () => void log.push('unreserve R2') }),
      Bind: () => ({ name: 'Bind', bind: async () => success() }),
    });
    const fwk = new Framework({ schedulerName: 't', plugins: { multiPoint: { disabled: [{ name: '*' }], enabled: [{ name: 'R1' }, { name: 'R2' }, { name: 'Bind' }] } } }, reg, ctx);
    const s = fwk.runReserve(new CycleState(), new PodInfo(makePod()), 'n');
    expect(s.plugin).toBe('R2');
    expect(log).toEqual(['reserve R1', 'reserve R2', 'unreserve R2', 'unreserve R1']);
  });
});
