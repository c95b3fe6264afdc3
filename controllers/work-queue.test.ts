import { describe, expect, it } from 'vitest';
import { WorkQueue } from './work-queue.js';

describe('WorkQueue', () => {
  it('queues a key once however often it is added, one sync at a time; a key added during its sync comes again', async () => {
    const seen: string[] = [];
    let inFlight = 0;
    let most = 0;
    const q = new WorkQueue({
      sync: async (key) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        seen.push(key);
        inFlight--;
      },
    });
    // 'a' is taken at once, so the adds after it queue it again (what it read may be stale);
    // the others are queued once each.
    for (const k of ['a', 'b', 'a', 'a', 'c', 'b']) q.add(k);
    await q.idle();
    expect(seen).toEqual(['a', 'b', 'a', 'c']);
    expect(most).toBe(1);
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
    await new Promise((r) => setTimeout(r, 100));
    await q.idle();
    expect(tries).toBe(3);
    expect(errors).toEqual(['ns: try 1', 'ns: try 2']);
    await q.stop();
    q.add('later');
    await q.idle();
    expect(tries).toBe(3);
  });
});
