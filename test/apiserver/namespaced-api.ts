// A suite's real etcd and in-process API server with a namespace of its own and an admin
// client, started before its tests and stopped after them.
import { afterAll, beforeAll, expect } from 'vitest';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { client, type Client } from './http.js';

export interface NamespacedApi {
  /** The admin client, once the suite has started. */
  readonly admin: Client;
  readonly ns: string;
}

/** Registers the suite's beforeAll and afterAll; the namespace is `<prefix>-<pid>`. */
export function namespacedApi(prefix: string): NamespacedApi {
  let etcd: EtcdFixture | undefined;
  let api: ApiServerFixture | undefined;
  let admin: Client | undefined;
  const ns = `${prefix}-${process.pid}`;
  beforeAll(async () => {
    etcd = await startEtcd();
    api = await startApiServer({ etcd, inProcess: true });
    admin = client(api.url, api.adminToken);
    expect((await admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await api?.stop();
    await etcd?.stop();
  });
  return {
    ns,
    get admin(): Client {
      if (!admin) throw new Error('the API server has not started');
      return admin;
    },
  };
}
