import { describe, expect, it } from 'vitest';
import { WorkQueue } from './work-queue.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('queues a key once however often it is added, one sync at a time; a key added during its sync comes again after the others', async () => {
    const seen: string[] = [];
    let inFlight = 0;
    let most = 0;
    const q = new WorkQueue({
      sync: async (key) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await tick(5);
        seen.push(key);
        inFlight--;
      },
    });
    // 'a' is taken at once, so the adds after it mark it to be synced again once its sync ends
    // (what it read may be stale); the others are queued once each.
    for (const k of ['a', 'b', 'a', 'a', 'c', 'b']) q.add(k);
    await q.idle();
    expect(seen).toEqual(['a', 'b', 'c', 'a']);
    expect(most).toBe(1);
  });

  it('runs N workers at once but never one key in two of them', async () => {
    const inFlight = new Set<string>();
    let most = 0;
    const twice: string[] = [];
    const synced = new Map<string, number>();
    const q = new WorkQueue({
      workers: 3,
      sync: async (key) => {
        if (inFlight.has(key)) twice.push(key);
        inFlight.add(key);
        most = Math.max(most, inFlight.size);
        await tick(10);
        synced.set(key, (synced.get(key) ?? 0) + 1);
        inFlight.delete(key);
      },
    });
    for (const k of ['a', 'b', 'c', 'd', 'e']) q.add(k);
    await tick(2);
    // All three workers are busy with a, b, c: adding them again syncs each once more, after.
    for (const k of ['a', 'a', 'b', 'c', 'c']) q.add(k);
    await q.idle();
    expect(most).toBe(3);
    expect(twice).toEqual([]);
    expect(Object.fromEntries(synced)).toEqual({ a: 2, b: 2, c: 2, d: 1, e: 1 });
  });

  it('brings a failed key back after a backoff until its sync succeeds; stop drops what is pending', async () => {
    let tries = 0;
    const errors: string[] = [];
    const q = new WorkQueue({
      initialBackoffMs: 1,
      sync: async () => {
        if (++tries < 3) throw new Error(`try ${tries}`);
      },
      onError: (key, err) => errors.push(`${key}: ${(err as Error).message}`),
    });
    q.add('ns');
    for (let i = 0; i < 100 && tries < 3; i++) await tick(5);
    await q.idle();
    expect(tries).toBe(3);
    expect(errors).toEqual(['ns: try 1', 'ns: try 2']);
    // The success forgot the backoff.
    expect(q.numRequeues('ns')).toBe(0);
    await q.stop();
    q.add('later');
    q.addAfter('later', 1);
    await tick(10);
    await q.idle();
    expect(tries).toBe(3);
  });

  it('addAfter keeps the earliest time of a key, and forget resets its backoff', async () => {
    const seen: string[] = [];
    const q = new WorkQueue({ sync: async (k) => void seen.push(k) });
    q.addAfter('late', 60_000);
    q.addAfter('late', 5);
    q.addAfter('soon', 5);
    q.addAfter('soon', 60_000);
    for (let i = 0; i < 100 && seen.length < 2; i++) await tick(5);
    expect(seen.sort()).toEqual(['late', 'soon']);

    q.addRateLimited('x');
    q.addRateLimited('x');
    expect(q.numRequeues('x')).toBe(2);
    q.forget('x');
    expect(q.numRequeues('x')).toBe(0);
    await q.stop();
  });
});
