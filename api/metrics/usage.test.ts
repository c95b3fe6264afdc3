import { describe, expect, it } from 'vitest';
import type { Summary } from '../wire/stats-summary.js';
import { cpuRate, nodeUsage, podUsages, sampleSummaries } from './usage.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:00:01Z';
const at = (time: string, used: number) => ({ time, usageCoreNanoSeconds: used });
const mem = (bytes: number) => ({ time: T0, workingSetBytes: bytes });

describe('usage from the Summary API', () => {
  it("takes the kubelet's rate, else the slope of two cumulative samples", () => {
    expect(cpuRate({ time: T1, usageNanoCores: 7, usageCoreNanoSeconds: 1 }, undefined)).toBe(7);
    // 0.5 core-seconds over 2 seconds: a quarter of a core.
    expect(cpuRate(at('2026-01-01T00:00:02Z', 1_500_000_000), at(T0, 1_000_000_000))).toBe(250_000_000);
    expect(cpuRate(at('2026-01-01T00:00:02Z', 1), undefined)).toBeUndefined();
  });

  it('sums a pod from its containers, and leaves out a pod not every container of which is measured', () => {
    const before: Summary = {
      node: { nodeName: 'n1', cpu: at(T0, 0), memory: mem(1) },
      pods: [{ podRef: { name: 'web', namespace: 'default', uid: 'u1' }, containers: [{ name: 'a', cpu: at(T0, 0), memory: mem(10) }] }],
    };
    const now: Summary = {
      node: { nodeName: 'n1', cpu: at(T1, 2e9), memory: mem(100) },
      pods: [
        {
          podRef: { name: 'web', namespace: 'default', uid: 'u1' },
          containers: [
            // No earlier sample of b: the kubelet's first rate, over the container's life.
            { name: 'b', startTime: '2026-01-01T00:00:00.5Z', cpu: { time: T1, usageNanoCores: 5e6, usageCoreNanoSeconds: 1 }, memory: mem(20) },
            { name: 'a', cpu: at(T1, 1e8), memory: mem(10) },
          ],
        },
        { podRef: { name: 'half', namespace: 'default', uid: 'u2' }, containers: [{ name: 'x', memory: mem(5) }] },
      ],
    };
    expect(nodeUsage({ now, before })).toEqual({ node: 'n1', nanoCores: 2e9, workingSetBytes: 100, timestamp: T1, windowMs: 1000 });
    expect(podUsages({ now, before })).toEqual([
      {
        name: 'web',
        namespace: 'default',
        uid: 'u1',
        node: 'n1',
        nanoCores: 105e6,
        workingSetBytes: 30,
        timestamp: T1,
        windowMs: 1000,
        containers: [
          { name: 'a', nanoCores: 1e8, workingSetBytes: 10, timestamp: T1, windowMs: 1000 },
          { name: 'b', nanoCores: 5e6, workingSetBytes: 20, timestamp: T1, windowMs: 500 },
        ],
      },
    ]);
  });

  it('samples again after a moment only the nodes whose rates need it and have no earlier sample', async () => {
    const cumulative: Summary = { node: { nodeName: 'n1', cpu: at(T0, 1), memory: mem(1) }, pods: [] };
    const rated: Summary = { node: { nodeName: 'n2', cpu: { time: T0, usageNanoCores: 3, usageCoreNanoSeconds: 1 }, memory: mem(1) }, pods: [] };
    const asked: string[] = [];
    const waits: number[] = [];
    const fetch = (n: string) => {
      asked.push(n);
      if (n === 'dead') return Promise.reject(new Error('connection refused'));
      return Promise.resolve(n === 'n1' || n === 'n1b' ? cumulative : rated);
    };
    const wait = (ms: number) => Promise.resolve(waits.push(ms));
    const r = await sampleSummaries(['n1', 'n2', 'dead'], fetch, { wait });
    expect(asked).toEqual(['n1', 'n2', 'dead', 'n1']);
    expect(waits).toEqual([1000]);
    expect(r.samples.map((s) => s?.before !== undefined)).toEqual([true, false, false]);
    expect([...r.failed.keys()]).toEqual(['dead']);
    // An earlier reading the caller kept serves as the first sample: no wait.
    asked.length = 0;
    const kept = await sampleSummaries(['n1b'], fetch, { wait, previous: () => cumulative });
    expect(asked).toEqual(['n1b']);
    expect(waits).toEqual([1000]);
    expect(kept.samples[0]?.before).toBe(cumulative);
  });
});
