// kill -9 of the API server process in the middle of a stream of creates: every create
// the server acknowledged (201) is in etcd afterwards, as a whole object.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { client } from './http.js';

let etcd: EtcdFixture;
const servers: ApiServerFixture[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
});

afterAll(async () => {
  for (const s of servers) await s.stop();
  await etcd?.stop();
});

describe('crash safety', () => {
  it('kill -9 under a stream of creates loses no acknowledged write', async () => {
    const api = await startApiServer({ etcd, logLevel: 'warn' });
    servers.push(api);
    const c = client(api.url, api.adminToken);
    const acked = new Set<string>();
    let attempted = 0;
    let killed = false;
    let resolveEnough: () => void = () => {};
    const enough = new Promise<void>((r) => (resolveEnough = r));
    const writer = async (id: number) => {
      for (let i = 0; !killed; i++) {
        const name = `crash-${id}-${i}`;
        attempted++;
        try {
          const r = await c.post('/api/v1/namespaces/default/pods', {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name, labels: { crash: 'test' } },
            spec: { containers: [{ name: 'c', image: 'busybox' }] },
          });
          if (r.status === 201) acked.add(name);
          if (acked.size >= 200) resolveEnough();
        } catch {
          // the connection died with the server: this create was never acknowledged
        }
      }
    };
    const writers = Array.from({ length: 16 }, (_, i) => writer(i));
    await enough;
    await api.proc?.kill9();
    killed = true;
    await Promise.all(writers);
    expect(acked.size).toBeGreaterThanOrEqual(200);

    const after = await startApiServer({ etcd, inProcess: true });
    servers.push(after);
    const list = await client(after.url, after.adminToken).get<{ items: Pod[] }>('/api/v1/namespaces/default/pods?labelSelector=crash%3Dtest');
    expect(list.status).toBe(200);
    const stored = new Set(list.body.items.map((p) => p.metadata.name as string));
    const lost = [...acked].filter((n) => !stored.has(n));
    expect(lost).toEqual([]);
    // Writes in flight at the kill may have landed without an answer; nothing else may appear.
    expect(stored.size).toBeLessThanOrEqual(attempted);
    for (const p of list.body.items) expect(p.spec.containers[0].name).toBe('c');
  });
});
