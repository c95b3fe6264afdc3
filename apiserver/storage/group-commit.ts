// Group commit: concurrent writes to different keys sent to etcd as one Txn (all their
// compares, then all their puts or deletes) instead of one gRPC call each. Each gRPC call
// costs the API server about as much CPU as the rest of a create, so under load this is
// where the write path's time goes. Semantics stay those of single writes:
// - a batch only holds writes to distinct keys, and each write's compare is its own
//   precondition (create_revision == 0, or mod_revision == the revision it read);
// - when the batch's Txn fails (some compare did not hold) or errors, every write in it is
//   sent again on its own, so each gets exactly the answer it would have had alone (409,
//   404, 413, ...);
// - writes that land together share etcd's revision, as keys written in one Txn do; the
//   watch cache delivers every event of a revision (see watch-cache.ts).
// With nothing in flight a write goes out at once; batching only happens while earlier
// Txns are on their way, so an idle server adds no latency.
import type { Etcd3 } from 'etcd3';
import { putOp } from './lease-manager.js';

/** One write: its precondition and its operation. */
export interface BatchedWrite<T> {
  key: string;
  /** 'Create': the key must not exist; 'Mod': the key's mod_revision must be `rev`. */
  compare: 'Create' | 'Mod';
  rev?: string;
  /** The value to put (a Buffer when encrypted); undefined deletes the key. */
  value?: string | Buffer;
  /** The lease the put is attached to (an object that expires). */
  lease?: string;
  /** The answer when the batch landed at `revision`. */
  landed(revision: string): T;
  /** Sends this write on its own (the path it would take without batching). */
  alone(): Promise<T>;
}

interface Queued {
  write: BatchedWrite<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export interface GroupCommitOptions {
  /**
   * Txns in flight at once before writes start to queue (default 1: every gRPC call and
   * watch message costs the server about as much as the writes in it, so under load fewer
   * and fuller Txns use less CPU: measured 5-10 % of the write path against 2).
   */
  maxInFlight?: number;
  /** Writes per Txn (default 64; etcd's --max-txn-ops is 128). */
  maxWrites?: number;
  /** Value bytes per Txn (default 1 MiB; etcd's --max-request-bytes is 1.5 MiB). */
  maxBytes?: number;
}

export class GroupCommitter {
  readonly #client: Etcd3;
  readonly #maxInFlight: number;
  readonly #maxWrites: number;
  readonly #maxBytes: number;
  #queue: Queued[] = [];
  #inFlight = 0;
  #scheduled = false;
  /** Counters for tests and benchmarks: Txns sent, and writes that went in a batch of two or more. */
  readonly stats = { txns: 0, batchedWrites: 0, fallbacks: 0 };

  constructor(client: Etcd3, opts: GroupCommitOptions = {}) {
    this.#client = client;
    this.#maxInFlight = opts.maxInFlight ?? 1;
    this.#maxWrites = opts.maxWrites ?? 64;
    this.#maxBytes = opts.maxBytes ?? 1024 * 1024;
  }

  write<T>(w: BatchedWrite<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ write: w, resolve: resolve as (v: unknown) => void, reject });
      this.#schedule();
    });
  }

  /**
   * Flushes after the current turn of the event loop, so that the writes of every request
   * read in this turn can go together.
   */
  #schedule(): void {
    if (this.#scheduled || this.#queue.length === 0 || this.#inFlight >= this.#maxInFlight) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      while (this.#queue.length > 0 && this.#inFlight < this.#maxInFlight) this.#send(this.#take());
    });
  }

  /** The next batch: queue order, distinct keys, within the size limits. */
  #take(): Queued[] {
    const batch: Queued[] = [];
    const keys = new Set<string>();
    const rest: Queued[] = [];
    let bytes = 0;
    for (const q of this.#queue) {
      const size = (q.write.value?.length ?? 0) + q.write.key.length;
      const fits = batch.length < this.#maxWrites && (batch.length === 0 || bytes + size <= this.#maxBytes);
      if (fits && !keys.has(q.write.key)) {
        batch.push(q);
        keys.add(q.write.key);
        bytes += size;
      } else {
        rest.push(q);
      }
    }
    this.#queue = rest;
    return batch;
  }

  #send(batch: Queued[]): void {
    this.#inFlight++;
    const done = () => {
      this.#inFlight--;
      this.#schedule();
    };
    if (batch.length === 1) {
      const [q] = batch as [Queued];
      q.write.alone().then(q.resolve, q.reject).finally(done);
      return;
    }
    this.#commit(batch).finally(done);
  }

  async #commit(batch: Queued[]): Promise<void> {
    this.stats.txns++;
    const [first, ...more] = batch.map((q) => q.write);
    const value = (w: BatchedWrite<unknown>) => (w.compare === 'Create' ? 0 : (w.rev as string));
    let cmp = this.#client.if(first.key, first.compare, '==', value(first));
    for (const w of more) cmp = cmp.and(w.key, w.compare, '==', value(w));
    const ops = batch.map(({ write: w }) => (w.value === undefined ? this.#client.delete().key(w.key) : putOp(this.#client, w.key, w.value, w.lease)));
    let revision: string | undefined;
    try {
      const res = await cmp.then(...ops).commit();
      if (res.succeeded) revision = res.header.revision;
    } catch {
      // Whatever went wrong, each write finds out on its own below.
    }
    if (revision !== undefined) {
      this.stats.batchedWrites += batch.length;
      for (const q of batch) {
        try {
          q.resolve(q.write.landed(revision));
        } catch (e) {
          q.reject(e);
        }
      }
      return;
    }
    this.stats.fallbacks++;
    await Promise.all(batch.map((q) => q.write.alone().then(q.resolve, q.reject)));
  }
}
