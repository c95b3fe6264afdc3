// Keeps etcd's history from growing without bound, as kube-apiserver does with
// --etcd-compaction-interval: at each tick, compact to the revision seen at the tick
// before, so history always reaches back at least one interval (watches resuming from
// within it still work; older ones get 410 and relist).
import { KVClient, type Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import type { EtcdStore } from './etcd-store.js';

export function startCompactor(opts: { client: Etcd3; store: EtcdStore; intervalMs: number; log: Logger }): { stop(): void } {
  // The etcd3 client exposes Compact only on its RPC client, built over its connection pool.
  const kv = new KVClient((opts.client as unknown as { pool: ConstructorParameters<typeof KVClient>[0] }).pool);
  let previous = 0;
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const now = await opts.store.currentRevision();
      if (previous > 0 && previous < now) {
        await kv.compact({ revision: String(previous) });
        opts.log.info({ revision: previous }, 'compacted etcd');
      }
      previous = now;
    } catch (err) {
      // Another API server may have compacted further already; try again next tick.
      opts.log.warn({ err }, 'etcd compaction failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), opts.intervalMs);
  timer.unref();
  void tick();
  return { stop: () => clearInterval(timer) };
}
