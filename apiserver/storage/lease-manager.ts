// Objects that expire (Events, kube's --event-ttl) are written with an etcd lease: when the
// lease runs out, etcd deletes them and every watch sees DELETED. One lease per write would
// cost a LeaseGrant call per event; as kube-apiserver's lease manager does, a lease is shared
// by the writes of a short window (5 % of the TTL, at most 60 s, at most 1,000 objects), and
// granted for the TTL plus that window, so no object lives less than its TTL (and at most a
// window longer).
import type { Etcd3, PutBuilder } from 'etcd3';

export interface LeaseManagerOptions {
  /** Longest time one lease is handed out (kube's --lease-reuse-duration-seconds, 60). */
  reuseSeconds?: number;
  /** Share of the TTL a lease is handed out for, when less than reuseSeconds (0.05). */
  reusePercent?: number;
  /** Objects attached to one lease at most (kube's default, 1,000). */
  maxObjects?: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

interface Current {
  id: string;
  /** When etcd lets the lease expire, in ms. */
  expiresAt: number;
  objects: number;
}

export class LeaseManager {
  readonly #client: Etcd3;
  readonly #reuseSeconds: number;
  readonly #reusePercent: number;
  readonly #maxObjects: number;
  readonly #now: () => number;
  /** The lease being handed out, per TTL. */
  readonly #current = new Map<number, Current>();
  /** A grant on its way, per TTL: concurrent writes wait for the same one. */
  readonly #granting = new Map<number, Promise<Current>>();

  constructor(client: Etcd3, opts: LeaseManagerOptions = {}) {
    this.#client = client;
    this.#reuseSeconds = opts.reuseSeconds ?? 60;
    this.#reusePercent = opts.reusePercent ?? 0.05;
    this.#maxObjects = opts.maxObjects ?? 1000;
    this.#now = opts.now ?? Date.now;
  }

  #reuseFor(ttl: number): number {
    return Math.min(this.#reuseSeconds, Math.floor(ttl * this.#reusePercent));
  }

  /**
   * The lease an object that must live `ttl` seconds is written with: the current one when it
   * outlives the TTL (and was not handed out too long or too often), else a new grant. Answers
   * synchronously when no grant is needed.
   */
  leaseFor(ttl: number): string | Promise<string> {
    const now = this.#now();
    const cur = this.#current.get(ttl);
    if (cur && cur.expiresAt >= now + ttl * 1000 && cur.objects < this.#maxObjects) {
      cur.objects++;
      return cur.id;
    }
    let granting = this.#granting.get(ttl);
    if (!granting) {
      granting = this.#grant(ttl).finally(() => this.#granting.delete(ttl));
      this.#granting.set(ttl, granting);
    }
    return granting.then((c) => {
      c.objects++;
      return c.id;
    });
  }

  async #grant(ttl: number): Promise<Current> {
    const reuse = this.#reuseFor(ttl);
    const started = this.#now();
    const res = await this.#client.leaseClient.leaseGrant({ TTL: ttl + reuse });
    // etcd may grant a longer TTL than asked (its minimum), never a shorter one.
    const granted = Math.max(ttl + reuse, Number(res.TTL) || 0);
    // Counted from before the call, so never later than etcd's own clock: the lease is handed
    // out while an object written now still gets its whole TTL, i.e. for about `reuse` seconds.
    const c: Current = { id: String(res.ID), expiresAt: started + granted * 1000, objects: 0 };
    this.#current.set(ttl, c);
    return c;
  }
}

/** A put of `value` at `key`, attached to `lease` when given. */
export function putOp(client: Etcd3, key: string, value: string | Buffer, lease?: string): PutBuilder {
  const put = client.put(key).value(value);
  return lease === undefined ? put : put.lease(lease);
}
