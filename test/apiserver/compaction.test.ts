// The server compacts etcd's history by itself (kube's --etcd-compaction-interval), as a
// separate `skiff apiserver` process: a watch from before the compaction then gets 410,
// while current reads and watches go on working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { eventually } from '../fixtures/eventually.js';
import { client, openWatch, type Client } from './http.js';

let etcd: EtcdFixture;
let api: ApiServerFixture;
let admin: Client;

beforeAll(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcd, compactionIntervalMs: 300 });
  admin = client(api.url, api.adminToken);
});

afterAll(async () => {
  await api?.stop();
  await etcd?.stop();
});

function node(name: string) {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name } };
}

describe('compaction', () => {
  it('old revisions become 410 Expired once compacted; the server keeps serving', async () => {
    const first = await admin.post('/api/v1/nodes', node('compact-first'));
    expect(first.status).toBe(201);
    const oldRV = first.body.metadata.resourceVersion;
    // Keep writing until a watch from the first revision is refused (each tick compacts to
    // the revision of the tick before, so this ends after two ticks).
    let i = 0;
    const expired = await eventually(
      async () => {
        expect((await admin.post('/api/v1/nodes', node(`compact-${i++}`))).status).toBe(201);
        const w = await openWatch(api.url, `/api/v1/nodes?watch=1&resourceVersion=${oldRV}&timeoutSeconds=1`, api.adminToken);
        const evs = await w.until(1);
        w.close();
        if (evs[0].type !== 'ERROR') return false;
        expect(evs[0].object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
        return true;
      },
      'a watch from the first revision to be refused as compacted',
      30_000,
      // A failed assertion fails the test at once; only "not compacted yet" is waited out.
      { intervalMs: 100, retryOn: () => false },
    );
    expect(expired).toBe(true);
    const list = await admin.get<{ items: unknown[] }>('/api/v1/nodes');
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThan(1);
  });
});
