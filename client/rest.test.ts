// The REST client and watch decoding against a tiny node:http server that records what it
// was asked and answers the way the Kubernetes API server does.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import type { Pod } from '../api/types/core.js';
import { RestClient } from './rest.js';
import type { WatchEventOf } from './watch.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server;
let client: RestClient;
const seen: Seen[] = [];
const pod = (name: string, rv: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns1', resourceVersion: rv },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.searchParams.get('watch') === '1') {
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        const lines = [
          JSON.stringify({ type: 'ADDED', object: pod('a', '11') }),
          JSON.stringify({ type: 'MODIFIED', object: pod('a', '12') }),
          JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '15' } } }),
          JSON.stringify({
            type: 'ERROR',
            object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version: 1 (20)' },
          }),
        ].join('\n') + '\n';
        // Split mid-event on purpose: decoding must not assume one event per chunk.
        res.write(lines.slice(0, 37));
        setTimeout(() => res.write(lines.slice(37, 120)), 5);
        setTimeout(() => {
          res.write(lines.slice(120));
          if (url.searchParams.get('fieldSelector') !== 'hang') res.end();
        }, 10);
        return;
      }
      if (url.pathname === '/api/v1/namespaces/ns1/pods/missing') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "missing" not found', details: { name: 'missing', kind: 'pods' } }));
        return;
      }
      if (url.pathname === '/api/v1/namespaces/ns1/pods/bad') {
        res.writeHead(422, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Invalid', code: 422, message: 'Pod "bad" is invalid', details: { causes: [{ field: 'spec.containers[0].image', reason: 'FieldValueRequired', message: 'Required value' }] } }));
        return;
      }
      if (url.pathname === '/plain-error') {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('upstream down');
        return;
      }
      if (url.pathname === '/api/v1/namespaces/ns1/pods' && req.method === 'GET') {
        const cont = url.searchParams.get('continue');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '10', continue: cont ? undefined : 'page2' }, items: [pod(cont ? 'b' : 'a', '9')] }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body || JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  client = new RestClient({ server: `http://127.0.0.1:${port}`, token: 'sekret', namespace: 'ns1' });
});

afterAll(async () => {
  client.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('RestClient', () => {
  it('builds Kubernetes paths for core, groups, cluster scope, subresources and queries', async () => {
    seen.length = 0;
    await client.pods.list({ labelSelector: 'app=web', fieldSelector: 'spec.nodeName=n1', limit: 5 });
    await client.pods.list({ namespace: '' });
    await client.nodes.get('n1');
    await client.leases.get('sched', { namespace: 'kube-system' });
    await client.bindPod('ns1', 'p1', 'n2');
    await client.pods.patchStatus('p1', { status: { phase: 'Running' } });
    await client.pods.patch('p1', [{ op: 'add', path: '/metadata/labels', value: {} }], { type: 'json' });
    await client.pods.patch('p1', { metadata: {} }, { type: 'strategic' });
    await client.pods.delete('p1', { gracePeriodSeconds: 0 });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /api/v1/namespaces/ns1/pods?labelSelector=app%3Dweb&fieldSelector=spec.nodeName%3Dn1&limit=5',
      'GET /api/v1/pods',
      'GET /api/v1/nodes/n1',
      'GET /apis/coordination.k8s.io/v1/namespaces/kube-system/leases/sched',
      'POST /api/v1/namespaces/ns1/pods/p1/binding',
      'PATCH /api/v1/namespaces/ns1/pods/p1/status',
      'PATCH /api/v1/namespaces/ns1/pods/p1',
      'PATCH /api/v1/namespaces/ns1/pods/p1',
      'DELETE /api/v1/namespaces/ns1/pods/p1',
    ]);
    expect(seen[0]?.headers.authorization).toBe('Bearer sekret');
    expect(JSON.parse(seen[4]?.body ?? '{}')).toMatchObject({ kind: 'Binding', metadata: { name: 'p1' }, target: { kind: 'Node', name: 'n2' } });
    expect(seen[5]?.headers['content-type']).toBe('application/merge-patch+json');
    expect(seen[6]?.headers['content-type']).toBe('application/json-patch+json');
    expect(seen[7]?.headers['content-type']).toBe('application/strategic-merge-patch+json');
    expect(JSON.parse(seen[8]?.body ?? '{}')).toMatchObject({ kind: 'DeleteOptions', gracePeriodSeconds: 0 });
  });

  it('follows continue tokens in listAll', async () => {
    const all = await client.pods.listAll();
    expect(all.items.map((p) => p.metadata.name)).toEqual(['a', 'b']);
    expect(all.metadata.resourceVersion).toBe('10');
  });

  it('turns a Status answer into one ApiError with reason, code and causes', async () => {
    const notFound = await client.pods.get('missing').catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(ApiError);
    expect(notFound).toMatchObject({ code: 404, reason: 'NotFound', message: 'pods "missing" not found' });
    const invalid = await client.pods.get('bad').catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: 422, reason: 'Invalid', details: { causes: [{ field: 'spec.containers[0].image' }] } });
    const plain = await client.request({ path: '/plain-error' }).catch((e: unknown) => e);
    expect(plain).toMatchObject({ code: 503, message: 'upstream down' });
  });

  it('decodes a watch split across chunks, with bookmarks and an Expired ERROR', async () => {
    const events: WatchEventOf<Pod>[] = [];
    for await (const ev of await client.pods.watch({ resourceVersion: '10', allowWatchBookmarks: true })) events.push(ev);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'BOOKMARK', 'ERROR']);
    expect(events[1]?.object.metadata).toMatchObject({ name: 'a', resourceVersion: '12' });
    const err = events[3];
    expect(err?.type === 'ERROR' && err.object.code).toBe(410);
    expect(seen.at(-1)?.url).toBe('/api/v1/namespaces/ns1/pods?watch=1&resourceVersion=10&allowWatchBookmarks=true');
  });

  it('ends a watch quietly when its AbortSignal fires', async () => {
    const ac = new AbortController();
    const events: string[] = [];
    for await (const ev of await client.pods.watch({ signal: ac.signal, fieldSelector: 'hang' })) {
      events.push(ev.type);
      if (events.length === 2) ac.abort();
    }
    expect(events).toEqual(['ADDED', 'MODIFIED']);
  });
});
