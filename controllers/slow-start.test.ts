import { describe, expect, it } from 'vitest';
import { slowStartBatch } from './slow-start.js';

describe('slowStartBatch', () => {
  it('runs batches of 1, 2, 4, 8, ... until the count is reached', async () => {
    const batches: number[][] = [];
    let current: number[] = [];
    let inFlight = 0;
    const res = await slowStartBatch(20, 1, async (i) => {
      if (inFlight === 0) batches.push((current = []));
      inFlight++;
      current.push(i);
      await Promise.resolve();
      inFlight--;
    });
    expect(res).toEqual({ successes: 20 });
    expect(batches.map((b) => b.length)).toEqual([1, 2, 4, 8, 5]);
    expect(batches.flat()).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('stops after the first batch with an error and counts the successes', async () => {
    const called: number[] = [];
    const res = await slowStartBatch(100, 1, async (i) => {
      called.push(i);
      if (i === 4 || i === 5) throw new Error(`quota exceeded ${i}`);
    });
    // Batches 1 (0), 2 (1-2), 4 (3-6): two of the third batch fail, none after is tried.
    expect(called.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(res.successes).toBe(5);
    expect((res.error as Error).message).toBe('quota exceeded 4');
  });

  it('does nothing for zero', async () => {
    expect(await slowStartBatch(0, 1, () => Promise.reject(new Error('never')))).toEqual({ successes: 0 });
  });
});
