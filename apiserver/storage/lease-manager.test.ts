import type { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { LeaseManager } from './lease-manager.js';

/** A stand-in for etcd's LeaseGrant that records the TTLs asked for. */
function grants(minTTL = 0) {
  const asked: number[] = [];
  const client = {
    leaseClient: {
      leaseGrant: async (req: { TTL: number }) => {
        asked.push(req.TTL);
        return { ID: String(100 + asked.length), TTL: String(Math.max(minTTL, req.TTL)) };
      },
    },
  } as unknown as Etcd3;
  return { client, asked };
}

describe('LeaseManager', () => {
  it('shares one lease among the writes of its reuse window, granted for TTL + window', async () => {
    const { client, asked } = grants();
    let now = 0;
    const m = new LeaseManager(client, { now: () => now });
    const first = await m.leaseFor(3600);
    expect(asked).toEqual([3660]); // 5 % of an hour is 180 s, capped at 60 s
    now = 59_000;
    expect(m.leaseFor(3600)).toBe(first); // answered without a call
    now = 61_000;
    const second = await m.leaseFor(3600);
    expect(second).not.toBe(first);
    expect(asked).toEqual([3660, 3660]);
  });

  it('a short TTL reuses for 5 % of it; concurrent writes wait for one grant', async () => {
    const { client, asked } = grants();
    const now = 0;
    const m = new LeaseManager(client, { now: () => now });
    const ids = await Promise.all([m.leaseFor(100), m.leaseFor(100), m.leaseFor(100)]);
    expect(new Set(ids).size).toBe(1);
    expect(asked).toEqual([105]);
    // Different TTLs never share a lease.
    await m.leaseFor(200);
    expect(asked).toEqual([105, 210]);
  });

  it('a lease takes at most maxObjects objects', async () => {
    const { client, asked } = grants();
    const m = new LeaseManager(client, { now: () => 0, maxObjects: 2 });
    const a = await m.leaseFor(3600);
    expect(m.leaseFor(3600)).toBe(a);
    const b = await m.leaseFor(3600);
    expect(b).not.toBe(a);
    expect(asked).toHaveLength(2);
  });

  it("believes etcd's longer grant (its minimum TTL) when deciding how long to reuse", async () => {
    const { client, asked } = grants(10);
    let now = 0;
    const m = new LeaseManager(client, { now: () => now });
    const a = await m.leaseFor(2); // asks 2 s, etcd grants 10 s
    now = 7_000; // 7 + 2 <= 10: still long enough
    expect(m.leaseFor(2)).toBe(a);
    now = 8_500;
    await m.leaseFor(2);
    expect(asked).toHaveLength(2);
  });
});
