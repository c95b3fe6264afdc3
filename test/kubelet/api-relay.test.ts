// The node agent's API relay against a real API server on a real etcd, over HTTPS: a client
// that trusts the cluster CA reaches the API server through the relay, TLS passing through.
import { readFile } from 'node:fs/promises';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestClient } from '../../client/rest.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { freePort } from '../fixtures/ports.js';
import { relayTarget, startApiRelay, type ApiRelay } from '../../kubelet/api-relay.js';

let etcd: EtcdFixture;
let api: ApiServerFixture;
let relay: ApiRelay;

beforeAll(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcd, inProcess: true, tls: 'only' });
  relay = await startApiRelay({ host: '127.0.0.1', port: await freePort(), server: api.url, logger: pino({ level: 'silent' }) });
}, 60_000);

afterAll(async () => {
  await relay?.close();
  await api?.stop();
  await etcd?.stop();
});

describe('API relay', () => {
  it('reads the target from the server URL', () => {
    expect(relayTarget('https://127.0.0.1:6443')).toEqual({ host: '127.0.0.1', port: 6443 });
    expect(relayTarget('https://[::1]')).toEqual({ host: '::1', port: 443 });
  });

  it('carries TLS to the API server byte for byte', async () => {
    const client = new RestClient({ server: `https://127.0.0.1:${relay.port}`, ca: await readFile(api.caFile as string), token: api.adminToken, namespace: 'default' });
    try {
      const svc = await client.request<{ spec: { clusterIP: string } }>({ method: 'GET', path: '/api/v1/namespaces/default/services/kubernetes' });
      expect(svc.spec.clusterIP).toBe('10.96.0.1');
    } finally {
      client.close();
    }
  });
});
