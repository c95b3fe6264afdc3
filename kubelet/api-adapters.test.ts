import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { RestClient } from '../client/rest.js';
import { restConfigGetter, statusPatch } from './api-adapters.js';

describe('statusPatch', () => {
  it('sends what is set and nulls what the kubelet no longer sets, with the uid as a precondition', () => {
    const patch = statusPatch('uid-1', { phase: 'Running', podIP: '10.88.0.2', containerStatuses: [] });
    expect(patch.metadata).toEqual({ uid: 'uid-1' });
    expect(patch.status).toMatchObject({ phase: 'Running', podIP: '10.88.0.2', containerStatuses: [], reason: null, message: null, initContainerStatuses: null });
  });
});

describe('restConfigGetter', () => {
  it('GETs the object by its core/v1 path; a 404 is "not there", another refusal throws', async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
      const reply = (code: number, body: object) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/api/v1/namespaces/shop/configmaps/cfg') return reply(200, { kind: 'ConfigMap', metadata: { name: 'cfg', resourceVersion: '7' }, data: { a: '1' } });
      if (req.url === '/api/v1/namespaces/shop/secrets/db') return reply(403, { kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message: 'secrets "db" is forbidden: no relationship found' });
      reply(404, { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = new RestClient({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'node-token', namespace: 'default' });
    try {
      const get = restConfigGetter(client);
      expect(await get.get('ConfigMap', 'shop', 'cfg')).toMatchObject({ data: { a: '1' } });
      expect(await get.get('ConfigMap', 'shop', 'none')).toBeUndefined();
      await expect(get.get('Secret', 'shop', 'db')).rejects.toThrow('secrets "db" is forbidden');
      expect(seen).toEqual([
        'GET /api/v1/namespaces/shop/configmaps/cfg Bearer node-token',
        'GET /api/v1/namespaces/shop/configmaps/none Bearer node-token',
        'GET /api/v1/namespaces/shop/secrets/db Bearer node-token',
      ]);
    } finally {
      client.close();
      server.close();
    }
  });
});
