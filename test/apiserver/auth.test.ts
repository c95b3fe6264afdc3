// Authentication and authorization at the HTTP edge: no token is 401, a node token may
// write only its own Node (403 for another's status) and only pods bound to it, and the
// admin token (group system:masters) may do everything; a node gets only the ConfigMaps and
// Secrets its pods name. Served over HTTPS too.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { TokenAuthenticator } from '../../apiserver/auth/token-file.js';
import { startApiServer as startServer } from '../../apiserver/server.js';
import type { Node, Pod } from '../../api/types/core.js';
import type { Status } from '../../api/types/meta.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { freePort } from '../fixtures/ports.js';
import { call, client, type Client } from './http.js';

let etcd: EtcdFixture;
let api: ApiServerFixture;
let admin: Client;
const ns = `auth-${process.pid}`;

function node(name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {} };
}

beforeAll(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcd, inProcess: true, nodes: ['node-a', 'node-b'] });
  admin = client(api.url, api.adminToken);
  expect((await admin.post('/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(201);
});

afterAll(async () => {
  await api?.stop();
  await etcd?.stop();
});

describe('authentication', () => {
  it('no token, or a wrong one, is 401 with a Status; health probes answer without one', async () => {
    for (const token of [undefined, 'not-a-token']) {
      const r = await call<Status>(api.url, 'GET', '/api/v1/namespaces/default/pods', { token });
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    }
    const h = await call(api.url, 'GET', '/healthz');
    expect(h.status).toBe(200);
    expect(h.text).toBe('ok');
  });

  it('the admin token is allowed everything', async () => {
    expect((await admin.post('/api/v1/nodes', node('admin-made'))).status).toBe(201);
    expect((await admin.patch('/api/v1/nodes/admin-made/status', { status: { conditions: [{ type: 'Ready', status: 'True' }] } })).status).toBe(200);
    expect((await admin.del('/api/v1/nodes/admin-made')).status).toBe(200);
    expect((await admin.get('/version')).status).toBe(200);
  });
});

describe('node authorization', () => {
  it('a node may create and write its own Node, and gets 403 writing another node\'s status', async () => {
    const a = client(api.url, api.nodeToken('node-a'));
    const b = client(api.url, api.nodeToken('node-b'));
    expect((await a.post('/api/v1/nodes', node('node-a'))).status).toBe(201);
    expect((await b.post('/api/v1/nodes', node('node-b'))).status).toBe(201);
    const own = await a.patch<Node>('/api/v1/nodes/node-a/status', { status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    expect(own.status, own.text).toBe(200);
    const other = await a.patch<Status>('/api/v1/nodes/node-b/status', { status: { conditions: [{ type: 'Ready', status: 'False' }] } });
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    const impostor = await a.post<Status>('/api/v1/nodes', node('node-c'));
    expect(impostor.status).toBe(403);
    const stored = await admin.get<Node>('/api/v1/nodes/node-b');
    expect(stored.body.status?.conditions).toBeUndefined();
  });

  it('a node reads and updates the status of pods bound to it, and not of others', async () => {
    const a = client(api.url, api.nodeToken('node-a'));
    const pods = `/api/v1/namespaces/${ns}/pods`;
    for (const [name, nodeName] of [['on-a', 'node-a'], ['on-b', 'node-b']]) {
      const r = await admin.post(pods, { metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] } });
      expect(r.status).toBe(201);
    }
    expect((await a.get(`${pods}/on-a`)).status).toBe(200);
    expect((await a.get(`${pods}/on-b`)).status).toBe(403);
    const mine = await a.patch<Pod>(`${pods}/on-a/status`, { status: { phase: 'Running' } });
    expect(mine.status, mine.text).toBe(200);
    expect(mine.body.status?.phase).toBe('Running');
    expect((await a.patch(`${pods}/on-b/status`, { status: { phase: 'Failed' } })).status).toBe(403);
    expect((await a.del(`${pods}/on-b`)).status).toBe(403);
    // Listing pods needs the node's own field selector.
    expect((await a.get(`/api/v1/pods`)).status).toBe(403);
    const list = await a.get<{ items: Pod[] }>(`/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((p) => p.metadata.name)).toEqual(['on-a']);
    // A node cannot create pods or bind them.
    expect((await a.post(pods, { metadata: { name: 'sneaky' }, spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'busybox' }] } })).status).toBe(403);
  });

  it('a node gets only the ConfigMaps and Secrets its pods name, and lists or watches one only pinned by metadata.name', async () => {
    const a = client(api.url, api.nodeToken('node-a'));
    const base = `/api/v1/namespaces/${ns}`;
    for (const kind of ['configmaps', 'secrets']) {
      for (const name of ['named', 'unnamed']) expect((await admin.post(`${base}/${kind}`, { metadata: { name } })).status).toBe(201);
    }
    const volumes = [{ name: 'c', configMap: { name: 'named' } }, { name: 's', secret: { secretName: 'named' } }];
    expect((await admin.post(`${base}/pods`, { metadata: { name: 'refs' }, spec: { nodeName: 'node-a', volumes, containers: [{ name: 'c', image: 'busybox' }] } })).status).toBe(201);
    for (const kind of ['configmaps', 'secrets']) {
      expect((await a.get(`${base}/${kind}/named`)).status, kind).toBe(200);
      const other = await a.get<Status>(`${base}/${kind}/unnamed`);
      expect(other.status, kind).toBe(403);
      expect(other.body.message).toContain("no relationship found between node 'node-a' and this object");
      // A list or watch pinned by metadata.name to a named object in its namespace is a read of
      // it (AuthorizeNodeWithSelectors; what client-go's single-object informers send).
      const pinned = await a.get<{ items: { metadata: { name: string } }[] }>(`${base}/${kind}?fieldSelector=metadata.name%3Dnamed`);
      expect(pinned.status, kind).toBe(200);
      expect(pinned.body.items.map((o) => o.metadata.name)).toEqual(['named']);
      const watched = await a.get(`${base}/${kind}?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3Dnamed`);
      expect(watched.status, kind).toBe(200);
      expect(watched.text).toContain('"name":"named"');
      const pinnedOther = await a.get<Status>(`${base}/${kind}?fieldSelector=metadata.name%3Dunnamed`);
      expect(pinnedOther.status, kind).toBe(403);
      expect(pinnedOther.body.message).toContain('no relationship found');
      // Unpinned, pinned with !=, or across namespaces: refused.
      for (const path of [`${base}/${kind}`, `${base}/${kind}?watch=1&timeoutSeconds=1`, `${base}/${kind}?fieldSelector=metadata.name!%3Dnamed`, `/api/v1/${kind}?fieldSelector=metadata.name%3Dnamed`]) {
        const r = await a.get<Status>(path);
        expect(r.status, path).toBe(403);
        expect(r.body).toMatchObject({ kind: 'Status', reason: 'Forbidden' });
      }
      // No write at all, not even to a named one.
      expect((await a.patch(`${base}/${kind}/named`, { metadata: { labels: { x: 'y' } } })).status, kind).toBe(403);
      expect((await a.del(`${base}/${kind}/named`)).status, kind).toBe(403);
    }
    // The scheduler's role names neither kind; the controller-manager's lets it get both and list every kind.
    const sched = client(api.url, api.schedulerToken);
    const cm = client(api.url, api.controllerManagerToken);
    for (const kind of ['configmaps', 'secrets']) {
      expect((await sched.get(`${base}/${kind}/named`)).status, kind).toBe(403);
      expect((await sched.get(`${base}/${kind}`)).status, kind).toBe(403);
      expect((await cm.get(`${base}/${kind}/named`)).status, kind).toBe(200);
      expect((await cm.get(`/api/v1/${kind}`)).status, kind).toBe(200);
    }
  });
});

describe('eviction and disruption budgets', () => {
  it("a node evicts only pods bound to it; the controller-manager writes budgets' status and evicts nothing; the scheduler neither", async () => {
    const a = client(api.url, api.nodeToken('node-a'));
    const cm = client(api.url, api.controllerManagerToken);
    const sched = client(api.url, api.schedulerToken);
    const pods = `/api/v1/namespaces/${ns}/pods`;
    for (const [name, nodeName] of [['evict-a', 'node-a'], ['evict-b', 'node-b']]) {
      expect((await admin.post(pods, { metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] } })).status).toBe(201);
    }
    const eviction = (name: string) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns } });
    const other = await a.post<Status>(`${pods}/evict-b/eviction`, eviction('evict-b'));
    expect(other.status).toBe(403);
    expect(other.body.message).toContain('node "node-a" can only access pods bound to it');
    expect((await cm.post(`${pods}/evict-b/eviction`, eviction('evict-b'))).status).toBe(403);
    expect((await sched.post(`${pods}/evict-b/eviction`, eviction('evict-b'))).status).toBe(403);
    const own = await a.post<Status>(`${pods}/evict-a/eviction`, eviction('evict-a'));
    expect(own.status, own.text).toBe(201);
    // Bound to a node: it goes gracefully, saying why.
    const evicted = await admin.get<Pod>(`${pods}/evict-a`);
    expect(evicted.body.metadata.deletionTimestamp).toBeDefined();
    expect(evicted.body.status?.conditions).toContainEqual(expect.objectContaining({ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' }));
    expect((await admin.get(`${pods}/evict-b`)).status).toBe(200);

    const pdbs = `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`;
    expect((await admin.post(pdbs, { metadata: { name: 'b' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'x' } } } })).status).toBe(201);
    const stored = await admin.get<{ metadata: Record<string, unknown> }>(`${pdbs}/b`);
    const status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 1, expectedPods: 0, observedGeneration: 1 };
    const written = await cm.put(`${pdbs}/b/status`, { ...stored.body, status });
    expect(written.status, written.text).toBe(200);
    // The budget's spec is the user's: the controller-manager writes it only through the garbage
    // collector's role (update of every kind's objects), so the scheduler is the one refused.
    expect((await sched.put(`${pdbs}/b`, { ...stored.body, spec: { minAvailable: 2 } })).status).toBe(403);
    expect((await sched.put(`${pdbs}/b/status`, { ...stored.body, status })).status).toBe(403);
    expect((await a.get(`${pdbs}/b`)).status).toBe(403);
  });
});

describe('TLS', () => {
  it('serves HTTPS with the given certificate', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-tls-'));
    try {
      const key = path.join(dir, 'key.pem');
      const cert = path.join(dir, 'cert.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      const tokens = new TokenAuthenticator().add('tls-admin', { name: 'admin', groups: ['system:masters'] });
      const { readFile } = await import('node:fs/promises');
      const server = await startServer({
        etcdServers: [etcd.endpoint],
        log: pino({ level: 'silent' }),
        tokens,
        https: { host: '127.0.0.1', port: await freePort(), cert: await readFile(cert), key: await readFile(key) },
      });
      try {
        const https = await import('node:https');
        const ca = await readFile(cert);
        const body = await new Promise<{ status: number; text: string }>((resolve, reject) => {
          const req = https.request(`${server.httpsUrl}/api/v1/namespaces/default`, { ca, headers: { authorization: 'Bearer tls-admin' } }, (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          });
          req.on('error', reject);
          req.end();
        });
        expect(body.status).toBe(200);
        expect(JSON.parse(body.text)).toMatchObject({ kind: 'Namespace', metadata: { name: 'default' } });
      } finally {
        await server.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
