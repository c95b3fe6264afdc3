import { describe, expect, it } from 'vitest';
import { compare, MIN_ROUNDS, summary } from './rounds.js';

describe('compare', () => {
  it('alternates which side goes first and reports the median ratio with its spread', async () => {
    const calls: string[] = [];
    const anchorMs = [10, 10, 40];
    const skiffMs = [5, 7, 10];
    const c = await compare({
      name: 'phase',
      unit: 'ms',
      rounds: 3,
      say: () => undefined,
      anchor: { label: 'anchor', measure: async (r) => (calls.push(`a${r}`), anchorMs[r]!) },
      skiff: { label: 'skiff', measure: async (r) => (calls.push(`s${r}`), skiffMs[r]!) },
      target: 0.7,
    });
    expect(calls).toEqual(['a0', 's0', 's1', 'a1', 'a2', 's2']);
    expect(c.ratios).toEqual([0.5, 0.7, 0.25]);
    expect(c.ratio).toEqual({ median: 0.5, min: 0.25, max: 0.7 });
    expect(c.skiff.median).toBe(7);
    expect(c.anchor.median).toBe(10);
    expect(c.ok).toBe(true);
    expect(summary(c)).toMatchObject({ rounds: 3, ratio: { median: 0.5, min: 0.25, max: 0.7 }, target: 0.7, ok: true });
  });

  it('judges rates by the higher figure', async () => {
    const c = await compare({
      name: 'rate',
      unit: '/s',
      rounds: 3,
      higherIsBetter: true,
      target: 0.5,
      say: () => undefined,
      anchor: { label: 'etcd', measure: async () => 1000 },
      skiff: { label: 'api', measure: async (r) => [400, 450, 900][r]! },
    });
    expect(c.ratio.median).toBe(0.45);
    expect(c.ok).toBe(false);
  });

  it(`refuses fewer than ${MIN_ROUNDS} rounds and a measurement that is not a positive number`, async () => {
    const side = { label: 'x', measure: async () => 1 };
    await expect(compare({ name: 'few', unit: 'ms', rounds: 2, skiff: side, anchor: side, say: () => undefined })).rejects.toThrow(/at least 3/);
    await expect(compare({ name: 'nan', unit: 'ms', rounds: 3, skiff: { label: 'bad', measure: async () => NaN }, anchor: side, say: () => undefined })).rejects.toThrow(/bad measured NaN/);
  });
});
