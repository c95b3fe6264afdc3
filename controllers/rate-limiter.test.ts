import { describe, expect, it } from 'vitest';
import { BucketRateLimiter, defaultControllerRateLimiter, ItemExponentialRateLimiter } from './rate-limiter.js';

describe('rate limiters (client-go workqueue)', () => {
  it('per key: 5 ms doubling per failure up to 1000 s, each key apart, reset by forget', () => {
    const l = new ItemExponentialRateLimiter();
    expect([1, 2, 3, 4].map(() => l.when('a'))).toEqual([5, 10, 20, 40]);
    expect(l.when('b')).toBe(5);
    for (let i = 0; i < 40; i++) l.when('a');
    expect(l.when('a')).toBe(1000 * 1000);
    expect(l.numRequeues('a')).toBe(45);
    l.forget('a');
    expect(l.when('a')).toBe(5);
  });

  it('overall: a burst of 100 at once, then one every 100 ms (10 qps), refilled as time passes', () => {
    let now = 0;
    const l = new BucketRateLimiter(10, 100, () => now);
    const waits = Array.from({ length: 103 }, () => l.when());
    expect(waits.slice(0, 100).every((w) => w === 0)).toBe(true);
    expect(waits.slice(100).map(Math.round)).toEqual([100, 200, 300]);
    now = 10_000; // 100 tokens' worth: back to a full bucket, never more
    expect(l.when()).toBe(0);
  });

  it('the default takes the longer of the two waits', () => {
    const l = defaultControllerRateLimiter({ now: () => 0 });
    // Within the burst the per-key backoff decides.
    expect(l.when('a')).toBe(5);
    expect(l.when('a')).toBe(10);
    for (let i = 0; i < 98; i++) l.when(`k${i}`);
    // The bucket is empty: a fresh key waits for its token, not 5 ms.
    expect(Math.round(l.when('fresh'))).toBe(100);
    l.forget('a');
    expect(l.numRequeues('a')).toBe(0);
  });
});
