import { describe, expect, it } from 'vitest';
import { formatCpu, formatMemory, percent } from './format.js';
import { cpuRate, nodeUsage, podUsages, type Summary } from './summary.js';

describe('top figures', () => {
  it('prints as kubectl top does', () => {
    expect(formatCpu(250_000_000)).toBe('250m');
    expect(formatCpu(1)).toBe('1m');
    expect(formatCpu(0)).toBe('0m');
    expect(formatMemory(64 * 1024 * 1024 + 5)).toBe('64Mi');
    expect(percent(500, 2000)).toBe('25%');
    expect(percent(1, undefined)).toBe('<unknown>');
  });

  it('takes the kubelet\'s rate, else the slope of two cumulative samples', () => {
    expect(cpuRate({ time: '2026-01-01T00:00:01Z', usageNanoCores: 7, usageCoreNanoSeconds: 1 }, undefined)).toBe(7);
    // 0.5 core-seconds over 2 seconds: a quarter of a core.
    expect(cpuRate({ time: '2026-01-01T00:00:02Z', usageCoreNanoSeconds: 1_500_000_000 }, { time: '2026-01-01T00:00:00Z', usageCoreNanoSeconds: 1_000_000_000 })).toBe(250_000_000);
    expect(cpuRate({ time: '2026-01-01T00:00:02Z', usageCoreNanoSeconds: 1 }, undefined)).toBeUndefined();
  });

  it('sums a pod from its containers, and leaves out a pod not every container of which is measured', () => {
    const at = (t: string, used: number) => ({ time: t, usageCoreNanoSeconds: used });
    const before: Summary = {
      node: { nodeName: 'n1', cpu: at('2026-01-01T00:00:00Z', 0), memory: { time: '2026-01-01T00:00:00Z', workingSetBytes: 1 } },
      pods: [{ podRef: { name: 'web', namespace: 'default', uid: 'u1' }, containers: [{ name: 'a', cpu: at('2026-01-01T00:00:00Z', 0), memory: { time: '2026-01-01T00:00:00Z', workingSetBytes: 10 } }] }],
    };
    const now: Summary = {
      node: { nodeName: 'n1', cpu: at('2026-01-01T00:00:01Z', 2e9), memory: { time: '2026-01-01T00:00:00Z', workingSetBytes: 100 } },
      pods: [
        {
          podRef: { name: 'web', namespace: 'default', uid: 'u1' },
          containers: [
            { name: 'b', cpu: { time: '2026-01-01T00:00:01Z', usageNanoCores: 5e6, usageCoreNanoSeconds: 1 }, memory: { time: '2026-01-01T00:00:00Z', workingSetBytes: 20 } },
            { name: 'a', cpu: at('2026-01-01T00:00:01Z', 1e8), memory: { time: '2026-01-01T00:00:00Z', workingSetBytes: 10 } },
          ],
        },
        { podRef: { name: 'half', namespace: 'default', uid: 'u2' }, containers: [{ name: 'x', memory: { time: '2026-01-01T00:00:00Z', workingSetBytes: 5 } }] },
      ],
    };
    expect(nodeUsage({ now, before })).toEqual({ node: 'n1', nanoCores: 2e9, workingSetBytes: 100 });
    expect(podUsages({ now, before })).toEqual([
      {
        name: 'web',
        namespace: 'default',
        uid: 'u1',
        node: 'n1',
        nanoCores: 105e6,
        workingSetBytes: 30,
        containers: [
          { name: 'a', nanoCores: 1e8, workingSetBytes: 10 },
          { name: 'b', nanoCores: 5e6, workingSetBytes: 20 },
        ],
      },
    ]);
  });
});
