// Group commit on a real etcd: concurrent creates and updates of different keys land in one
// Txn, and every write still gets the answer it would get alone (409 on an existing name or
// a stale resourceVersion, the same name twice in one burst: one 201 and one 409). Writes
// that share a revision all reach a watcher, and a watch from that revision gets none again.
import { describe, expect, it } from 'vitest';
import { isApiError } from '../../api/errors.js';
import { findResource, type ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types/meta.js';
import { WatchCache } from '../../apiserver/storage/watch-cache.js';
import { eventually } from '../fixtures/eventually.js';
import { useStoreOnEtcd } from './store-on-etcd.js';

const onEtcd = useStoreOnEtcd();
const pods = findResource('pods', '') as ResourceInfo;
let seq = 0;

const podObj = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' } });

function fresh(): { prefix: string; key: (name: string) => string } {
  const prefix = `/gc-${process.pid}-${++seq}/pods/`;
  return { prefix, key: (name) => `${prefix}default/${name}` };
}

async function createAll(key: (n: string) => string, names: string[]): Promise<PromiseSettledResult<KubeObject>[]> {
  // Started in one turn of the event loop, as concurrent requests are.
  return Promise.allSettled(names.map((n) => onEtcd.store.create(key(n), podObj(n), { resource: pods, name: n })));
}

describe('group commit', () => {
  it('lands concurrent creates of different names in one Txn, all at one revision', async () => {
    const { key } = fresh();
    const before = { ...(onEtcd.store.groupCommit?.stats ?? { txns: 0, batchedWrites: 0 }) };
    const names = Array.from({ length: 40 }, (_, i) => `p-${i}`);
    const results = await createAll(key, names);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const rvs = new Set(results.map((r) => (r as PromiseFulfilledResult<KubeObject>).value.metadata.resourceVersion));
    expect(rvs.size).toBe(1);
    expect((onEtcd.store.groupCommit?.stats.batchedWrites ?? 0) - before.batchedWrites).toBe(40);
    for (const n of names) expect((await onEtcd.store.get(key(n)))?.metadata.resourceVersion).toBe([...rvs][0]);
  });

  it('answers 409 AlreadyExists for exactly the names that exist, the rest are created', async () => {
    const { key } = fresh();
    await createAll(key, ['taken-1', 'taken-2']);
    const names = ['a', 'taken-1', 'b', 'c', 'taken-2', 'd'];
    const fallbacks = onEtcd.store.groupCommit?.stats.fallbacks ?? 0;
    const results = await createAll(key, names);
    const outcome = results.map((r) => (r.status === 'fulfilled' ? 201 : isApiError(r.reason, 'AlreadyExists') ? 409 : String(r.reason)));
    expect(outcome).toEqual([201, 409, 201, 201, 409, 201]);
    expect(onEtcd.store.groupCommit?.stats.fallbacks).toBe(fallbacks + 1);
  });

  it('the same name twice in one burst: one is created, the other gets 409', async () => {
    const { key } = fresh();
    const results = await createAll(key, ['twice', 'other', 'twice']);
    const outcome = results.map((r) => (r.status === 'fulfilled' ? 201 : isApiError(r.reason, 'AlreadyExists') ? 409 : String(r.reason)));
    expect(outcome.filter((o) => o === 201)).toHaveLength(2);
    expect(outcome.filter((o) => o === 409)).toHaveLength(1);
    expect(outcome[1]).toBe(201);
  });

  it('concurrent updates: a stale resourceVersion precondition is a 409, the others land', async () => {
    const { key } = fresh();
    const names = ['u-0', 'u-1', 'u-2', 'u-3'];
    const created = (await createAll(key, names)).map((r) => (r as PromiseFulfilledResult<KubeObject>).value);
    // u-2 moves on behind the updaters' backs: their copy of it is now stale.
    await onEtcd.store.guaranteedUpdate(key('u-2'), { resource: pods, name: 'u-2' }, (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { moved: 'yes' } } }));
    const label = (cur: KubeObject) => ({ ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, done: 'yes' } } });
    const results = await Promise.allSettled(
      created.map((o) => onEtcd.store.guaranteedUpdate(key(o.metadata.name ?? ''), { resource: pods, name: o.metadata.name ?? '' }, label, { expectedRV: o.metadata.resourceVersion, current: o })),
    );
    const outcome = results.map((r) => (r.status === 'fulfilled' ? 200 : isApiError(r.reason, 'Conflict') ? 409 : String(r.reason)));
    expect(outcome).toEqual([200, 200, 409, 200]);
    // Without a precondition the stale copy is simply retried on the stored one.
    const retried = await onEtcd.store.guaranteedUpdate(key('u-2'), { resource: pods, name: 'u-2' }, label, { suggestion: created[2] });
    expect(retried.object.metadata.labels).toEqual({ moved: 'yes', done: 'yes' });
  });

  it('a watcher gets every event of a shared revision; a watch from that revision gets none of them again', async () => {
    const { prefix, key } = fresh();
    const cache = new WatchCache({ client: onEtcd.client, store: onEtcd.store, prefix });
    await cache.start();
    const lines: string[] = [];
    const w = await cache.watch({ fromRev: cache.revision, sink: { send: (l) => (lines.push(...l.split('\n').filter(Boolean)), true), close: () => {} } });
    try {
      const names = Array.from({ length: 10 }, (_, i) => `w-${i}`);
      const results = await createAll(key, names);
      const rv = (results[0] as PromiseFulfilledResult<KubeObject>).value.metadata.resourceVersion;
      await eventually(() => lines.length >= names.length, 'an event for every create', 5_000, { intervalMs: 20 });
      const events = lines.map((l) => JSON.parse(l) as { type: string; object: KubeObject });
      expect(events.map((e) => e.object.metadata.name).sort()).toEqual([...names].sort());
      expect(new Set(events.map((e) => e.object.metadata.resourceVersion))).toEqual(new Set([rv]));
      // After the shared revision: only what came later.
      const later: string[] = [];
      const w2 = await cache.watch({ fromRev: Number(rv), sink: { send: (l) => (later.push(...l.split('\n').filter(Boolean)), true), close: () => {} } });
      await onEtcd.store.create(key('after'), podObj('after'), { resource: pods, name: 'after' });
      await eventually(() => later.length >= 1, 'the event of the later create', 5_000, { intervalMs: 20 });
      expect(later.map((l) => (JSON.parse(l) as { object: KubeObject }).object.metadata.name)).toEqual(['after']);
      w2.stop();
    } finally {
      w.stop();
      await cache.stop();
    }
  });
});
