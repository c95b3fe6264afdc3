// Watches served from the watch cache: resuming from a resourceVersion, 410 below etcd's
// compaction, the initial state for resourceVersion=0, selector transitions, bookmarks,
// timeoutSeconds, WebSocket, and 100 concurrent watchers each seeing every event.
import { Etcd3, KVClient } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { KubeObject, WatchEvent } from '../../api/types/meta.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { client, openWatch, type Client } from './http.js';

let etcd: EtcdFixture;
let api: ApiServerFixture;
let admin: Client;
const ns = `watch-${process.pid}`;
const pods = `/api/v1/namespaces/${ns}/pods`;
let seq = 0;
const unique = (p: string) => `${p}-${++seq}-${Date.now().toString(36)}`;

function pod(name: string, labels: Record<string, string> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } };
}

beforeAll(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcd, inProcess: true, bookmarkIntervalMs: 200 });
  admin = client(api.url, api.adminToken);
  expect((await admin.post('/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(201);
});

afterAll(async () => {
  await api?.stop();
  await etcd?.stop();
});

describe('watch', () => {
  it('resumes from a past resourceVersion with exactly the events after it', async () => {
    const a = await admin.post(pods, pod(unique('resume')));
    const b = await admin.post(pods, pod(unique('resume')));
    const c = await admin.post(pods, pod(unique('resume')));
    const w = await openWatch(api.url, `${pods}?watch=1&resourceVersion=${a.body.metadata.resourceVersion}`, api.adminToken);
    try {
      const evs = await w.until(2);
      expect(evs.map((e) => [e.type, e.object.metadata.name])).toEqual([
        ['ADDED', b.body.metadata.name],
        ['ADDED', c.body.metadata.name],
      ]);
    } finally {
      w.close();
    }
  });

  it('resourceVersion=0 starts with the current objects as ADDED', async () => {
    const sel = unique('initial');
    await admin.post(pods, pod(`${sel}-a`, { set: sel }));
    await admin.post(pods, pod(`${sel}-b`, { set: sel }));
    const w = await openWatch(api.url, `${pods}?watch=1&resourceVersion=0&labelSelector=set%3D${sel}`, api.adminToken);
    try {
      const evs = await w.until(2);
      expect(evs.map((e) => e.type)).toEqual(['ADDED', 'ADDED']);
      expect(evs.map((e) => e.object.metadata.name).sort()).toEqual([`${sel}-a`, `${sel}-b`]);
    } finally {
      w.close();
    }
  });

  it('an object moving into or out of a label selector arrives as ADDED / DELETED', async () => {
    const name = unique('moves');
    const created = await admin.post(pods, pod(name, { tier: 'none' }));
    const w = await openWatch(api.url, `${pods}?watch=1&resourceVersion=${created.body.metadata.resourceVersion}&labelSelector=tier%3Dfront`, api.adminToken);
    try {
      await admin.patch(`${pods}/${name}`, { metadata: { labels: { tier: 'front' } } });
      await admin.patch(`${pods}/${name}`, { metadata: { labels: { tier: 'front', x: 'y' } } });
      await admin.patch(`${pods}/${name}`, { metadata: { labels: { tier: 'back' } } });
      const evs = await w.until(3);
      expect(evs.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    } finally {
      w.close();
    }
  });

  it('a watch from a compacted revision gets 410 Expired', async () => {
    const first = await admin.post(pods, pod(unique('old')));
    const oldRV = Number(first.body.metadata.resourceVersion);
    for (let i = 0; i < 3; i++) await admin.post(pods, pod(unique('newer')));
    const last = await admin.post(pods, pod(unique('newer')));
    const raw = new Etcd3({ hosts: etcd.endpoint });
    try {
      // The etcd3 client keeps its connection pool internal; KVClient over it is the public RPC.
      const kv = new KVClient((raw as unknown as { pool: ConstructorParameters<typeof KVClient>[0] }).pool);
      await kv.compact({ revision: last.body.metadata.resourceVersion, physical: true });
    } finally {
      raw.close();
    }
    const w = await openWatch(api.url, `${pods}?watch=1&resourceVersion=${oldRV}`, api.adminToken);
    await w.ended;
    expect(w.events).toHaveLength(1);
    const ev = w.events[0] as unknown as WatchEvent<{ kind: string; code: number; reason: string; message: string }>;
    expect(ev.type).toBe('ERROR');
    expect(ev.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(ev.object.message).toContain('too old resource version');
    // The server goes on serving, and a watch from the compaction point on still works.
    const w2 = await openWatch(api.url, `${pods}?watch=1&resourceVersion=${last.body.metadata.resourceVersion}`, api.adminToken);
    try {
      const next = await admin.post(pods, pod(unique('after')));
      const evs = await w2.until(1);
      expect(evs[0].object.metadata.name).toBe(next.body.metadata.name);
    } finally {
      w2.close();
    }
  });

  it('sends bookmarks when allowed, and ends at timeoutSeconds', async () => {
    const list = await admin.get(pods);
    const rv = (list.body.metadata as { resourceVersion: string }).resourceVersion;
    const w = await openWatch(api.url, `${pods}?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=1&labelSelector=none%3Dnone`, api.adminToken);
    await w.ended;
    expect(w.events.length).toBeGreaterThan(0);
    expect(w.events.every((e) => e.type === 'BOOKMARK')).toBe(true);
    expect(w.events[0].object).toMatchObject({ kind: 'Pod', apiVersion: 'v1' });
    expect(Number(w.events[0].object.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(rv));
  });

  it('serves the same watch over a WebSocket', async () => {
    const list = await admin.get(pods);
    const rv = (list.body.metadata as { resourceVersion: string }).resourceVersion;
    const wsUrl = `${api.url.replace('http', 'ws')}${pods}?watch=1&resourceVersion=${rv}`;
    const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${api.adminToken}` } });
    const got: WatchEvent<KubeObject>[] = [];
    const twoEvents = new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        got.push(JSON.parse(String(data)) as WatchEvent<KubeObject>);
        if (got.length === 2) resolve();
      });
      ws.on('error', reject);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const name = unique('ws');
    await admin.post(pods, pod(name));
    await admin.del(`${pods}/${name}`);
    await twoEvents;
    ws.close();
    expect(got.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', name],
      ['DELETED', name],
    ]);
    // Without a token the upgrade is refused with 401.
    const anon = new WebSocket(wsUrl);
    const status = await new Promise<number>((resolve) => {
      anon.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      anon.on('error', () => resolve(-1));
    });
    expect(status).toBe(401);
  });

  it('100 concurrent watchers each see every event, in order', async () => {
    const list = await admin.get(pods);
    const rv = (list.body.metadata as { resourceVersion: string }).resourceVersion;
    const watchers = await Promise.all(Array.from({ length: 100 }, () => openWatch(api.url, `${pods}?watch=1&resourceVersion=${rv}`, api.adminToken)));
    try {
      const names: string[] = [];
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const name = unique('fan');
          names.push(name);
          const r = await admin.post(pods, pod(name));
          expect(r.status).toBe(201);
        }),
      );
      for (const w of watchers) {
        const evs = await w.until(20);
        expect(evs.map((e) => e.object.metadata.name).sort()).toEqual([...names].sort());
        // In revision order, each event once. Concurrent creates may land in one etcd Txn
        // (group commit) and then share a revision, so revisions need not be distinct.
        const rvs = evs.map((e) => Number(e.object.metadata.resourceVersion));
        expect(rvs).toEqual([...rvs].sort((x, y) => x - y));
        expect(new Set(evs.map((e) => e.object.metadata.name)).size).toBe(20);
        expect(evs).toHaveLength(20);
      }
    } finally {
      for (const w of watchers) w.close();
    }
  });
});
