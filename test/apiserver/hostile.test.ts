// Issue 17's findings, each as it was found: a hostile or careless client against the real API
// server on a real etcd (and the real kubectl where a user would use it). Every answer is the
// right 4xx Status (503 with Retry-After while etcd is down), never a 500, and nothing a
// refused or dry-run request sent reaches etcd.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Status } from '../../api/types/meta.js';
import { startApiCluster } from '../fixtures/apiserver.js';
import { startKubectlCluster, type KubectlCluster } from '../compat/kubectl-harness.js';
import { call, client, openWatch, type Client } from './http.js';

let cluster: KubectlCluster;
let admin: Client;
let url: string;
const ns = `hostile-${process.pid}`;
const pods = `/api/v1/namespaces/${ns}/pods`;

function pod(name: string, spec: Record<string, unknown> = {}, containers: unknown[] = [{ name: 'app', image: 'busybox' }]) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers, ...spec } };
}

/** A pod bound to `node` (created, then bound as the scheduler would). */
async function boundPod(name: string, node: string, spec: Record<string, unknown> = {}): Promise<void> {
  expect((await admin.post(pods, pod(name, spec))).status).toBe(201);
  const b = await admin.post(`${pods}/${name}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: node } });
  expect(b.status, b.text).toBe(201);
}

/** The pods of the namespace as stored: names and resourceVersions, to see that nothing changed. */
async function snapshot(): Promise<string> {
  const r = await admin.get<{ items: { metadata: { name: string; resourceVersion: string } }[] }>(pods);
  expect(r.status).toBe(200);
  return r.body.items.map((p) => `${p.metadata.name}@${p.metadata.resourceVersion}`).join(',');
}

function expectStatus(r: { status: number; body: unknown; text: string }, code: number, reason: string, field?: string): void {
  expect(r.status, r.text.slice(0, 400)).toBe(code);
  const s = r.body as Status;
  expect(s).toMatchObject({ kind: 'Status', code, reason });
  if (field) expect((s.details?.causes ?? []).map((c) => c.field), s.message).toContain(field);
}

beforeAll(async () => {
  cluster = await startKubectlCluster({ nodes: ['node-a', 'node-b'] });
  url = cluster.api.url;
  admin = client(url, cluster.api.adminToken);
  expect((await admin.post('/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(201);
});

afterAll(async () => {
  await cluster?.stop();
});

describe('dry run never deletes', () => {
  it('kubectl delete pod and namespace --dry-run=server leave both in place', async () => {
    const dryNs = `${ns}-dry`;
    expect((await admin.post('/api/v1/namespaces', { metadata: { name: dryNs } })).status).toBe(201);
    expect((await admin.post(`/api/v1/namespaces/${dryNs}/pods`, pod('keep'))).status).toBe(201);
    const p = await cluster.kubectl(['delete', 'pod', 'keep', '-n', dryNs, '--dry-run=server']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/pod "keep" deleted \(server dry run\)/);
    const n = await cluster.kubectl(['delete', 'ns', dryNs, '--dry-run=server']);
    expect(n.code, n.stderr).toBe(0);
    const ns1 = await admin.get(`/api/v1/namespaces/${dryNs}`);
    expect(ns1.status).toBe(200);
    expect(ns1.body.metadata.deletionTimestamp).toBeUndefined();
    expect(ns1.body.status).toMatchObject({ phase: 'Active' });
    expect((await admin.get(`/api/v1/namespaces/${dryNs}/pods/keep`)).status).toBe(200);
  });

  it('DELETE ?dryRun=All, a DeleteOptions body, and a collection: the would-be result, nothing written', async () => {
    await boundPod('graceful', 'node-a');
    const before = await snapshot();
    const q = await admin.del(`${pods}/graceful?dryRun=All`);
    expect(q.status, q.text).toBe(200);
    // A bound pod would be deleted gracefully: the answer shows the deadline it would get.
    expect(q.body.metadata.deletionTimestamp).toBeDefined();
    const b = await admin.del(`${pods}/graceful`, { apiVersion: 'v1', kind: 'DeleteOptions', dryRun: ['All'], gracePeriodSeconds: 0 });
    expect(b.status, b.text).toBe(200);
    const c = await admin.del(`${pods}?dryRun=All`);
    expect(c.status, c.text).toBe(200);
    expect((c.body as unknown as { items: unknown[] }).items.length).toBeGreaterThan(0);
    expect(await snapshot()).toBe(before);
    // A body without dryRun does not cancel the query's.
    expect((await admin.del(`${pods}/graceful?dryRun=All`, { kind: 'DeleteOptions', apiVersion: 'v1' })).status).toBe(200);
    expect(await snapshot()).toBe(before);
  });

  it('DeleteOptions are validated as Kubernetes does', async () => {
    expect((await admin.post(pods, pod('opts'))).status).toBe(201);
    const before = await snapshot();
    expectStatus(await admin.del(`${pods}/opts?propagationPolicy=Sideways`), 422, 'Invalid', 'propagationPolicy');
    expectStatus(await admin.del(`${pods}/opts`, { propagationPolicy: 'Orphan', orphanDependents: true }), 422, 'Invalid', 'propagationPolicy');
    expectStatus(await admin.del(`${pods}/opts`, { dryRun: ['Some'] }), 422, 'Invalid', 'dryRun[0]');
    expectStatus(await admin.del(`${pods}/opts`, { gracePeriodSeconds: 'soon' }), 422, 'Invalid', 'gracePeriodSeconds');
    expectStatus(await admin.del(`${pods}/opts`, { preconditions: { uid: 7 } }), 422, 'Invalid', 'preconditions.uid');
    expectStatus(await admin.del(`${pods}/opts?gracePeriodSeconds=99999999999999999999`), 400, 'BadRequest');
    expectStatus(await admin.del(`${pods}/opts`, { kind: 'Pod', apiVersion: 'v1' }), 400, 'BadRequest');
    expect(await snapshot()).toBe(before);
  });
});

describe("a kubelet's token reads only its node's pods", () => {
  it('the escaped-comma selector and its variants are 403; the pinned one lists only the node', async () => {
    await boundPod('on-b', 'node-b');
    await boundPod('on-a', 'node-a');
    const kubelet = client(url, cluster.api.nodeToken('node-a'));
    for (const sel of [
      'metadata.name!=x\\,spec.nodeName=node-a',
      'spec.nodeName=node-a\\,x',
      'spec.nodeName!=node-a',
      'spec.nodeName=node-b',
      'spec.nodeName=node-a,no.such=field',
      '',
    ]) {
      for (const path of ['/api/v1/pods', pods]) {
        const r = await kubelet.get(`${path}?fieldSelector=${encodeURIComponent(sel)}`);
        expectStatus(r, 403, 'Forbidden');
        const w = await kubelet.get(`${path}?watch=1&fieldSelector=${encodeURIComponent(sel)}`);
        expectStatus(w, 403, 'Forbidden');
      }
    }
    const ok = await kubelet.get<{ items: { metadata: { name: string }; spec: { nodeName: string } }[] }>(`/api/v1/pods?fieldSelector=${encodeURIComponent('spec.nodeName=node-a')}`);
    expect(ok.status).toBe(200);
    expect(ok.body.items.length).toBeGreaterThan(0);
    expect(ok.body.items.every((p) => p.spec.nodeName === 'node-a')).toBe(true);
    const watch = await openWatch(url, `/api/v1/pods?watch=1&fieldSelector=${encodeURIComponent('spec.nodeName=node-a')}`, cluster.api.nodeToken('node-a'));
    try {
      expect(watch.status).toBe(200);
      const events = await watch.until(ok.body.items.length);
      expect(events.every((e) => (e.object as { spec?: { nodeName?: string } }).spec?.nodeName === 'node-a')).toBe(true);
    } finally {
      watch.close();
    }
  });

  it('a kubelet may not give its Node restricted labels or change its taints', async () => {
    const kubelet = client(url, cluster.api.nodeToken('node-a'));
    const restricted = await kubelet.post('/api/v1/nodes', { metadata: { name: 'node-a', labels: { 'node-restriction.kubernetes.io/pci': 'true' } } });
    expectStatus(restricted, 403, 'Forbidden');
    expect(restricted.body.message).toMatch(/not allowed to set the following labels: node-restriction.kubernetes.io\/pci/);
    expect((await kubelet.post('/api/v1/nodes', { metadata: { name: 'node-a', labels: { 'kubernetes.io/hostname': 'node-a', 'skiff.dev/pool': 'x' } } })).status).toBe(201);
    expectStatus(await kubelet.patch('/api/v1/nodes/node-a', { metadata: { labels: { 'node-restriction.kubernetes.io/pci': 'true' } } }), 403, 'Forbidden');
    expectStatus(await kubelet.patch('/api/v1/nodes/node-a', { metadata: { labels: { 'node-role.kubernetes.io/control-plane': '' } } }), 403, 'Forbidden');
    expect((await kubelet.patch('/api/v1/nodes/node-a', { metadata: { labels: { 'skiff.dev/pool': 'y' } } })).status).toBe(200);
    // The admin may; the kubelet may then neither change nor remove the admin's taint.
    expect((await admin.patch('/api/v1/nodes/node-a', { metadata: { labels: { 'node-restriction.kubernetes.io/pci': 'true' } }, spec: { taints: [{ key: 'gpu', effect: 'NoSchedule' }] } })).status).toBe(200);
    expectStatus(await kubelet.patch('/api/v1/nodes/node-a', { spec: { taints: null } }), 403, 'Forbidden');
    expectStatus(await kubelet.patch('/api/v1/nodes/node-a', { metadata: { labels: { 'node-restriction.kubernetes.io/pci': null } } }), 403, 'Forbidden');
    const node = await admin.get('/api/v1/nodes/node-a');
    expect(node.body.metadata.labels).toMatchObject({ 'node-restriction.kubernetes.io/pci': 'true', 'skiff.dev/pool': 'y' });
  });
});

interface Case {
  what: string;
  method?: string;
  path?: string;
  body?: unknown;
  contentType?: string;
  code: number;
  reason: string;
  field?: string;
}

const nested = (depth: number, leaf = '1') => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;

const CASES: Case[] = [
  { what: 'a non-string image on create', body: pod('img', {}, [{ name: 'a', image: 5 }]), code: 422, reason: 'Invalid', field: 'spec.containers[0].image' },
  { what: 'terminationGracePeriodSeconds 1e300', body: pod('tgps', { terminationGracePeriodSeconds: 1e300 }), code: 422, reason: 'Invalid', field: 'spec.terminationGracePeriodSeconds' },
  { what: 'a 32-bit field past its range', body: pod('port', {}, [{ name: 'a', image: 'b', ports: [{ containerPort: 2 ** 31 }] }]), code: 422, reason: 'Invalid', field: 'spec.containers[0].ports[0].containerPort' },
  { what: 'JSON nested 100,000 deep', body: nested(100_000), code: 400, reason: 'BadRequest' },
  { what: '10,000 levels inside metadata.labels', body: `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"deep","labels":${nested(10_000)}},"spec":{"containers":[{"name":"a","image":"b"}]}}`, code: 400, reason: 'BadRequest' },
  { what: 'YAML nested a million deep', body: `${'- '.repeat(1_000_000)}a`, contentType: 'application/yaml', code: 400, reason: 'BadRequest' },
  { what: 'YAML flow nested 100,000 deep', body: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, contentType: 'application/yaml', code: 400, reason: 'BadRequest' },
  { what: 'a malformed %-escape in the path', method: 'GET', path: '/api/v1/namespaces/%ZZ/pods', code: 400, reason: 'BadRequest' },
  { what: 'a lone % in the path', method: 'GET', path: `/api/v1/namespaces/${ns}/pods/%`, code: 400, reason: 'BadRequest' },
  { what: 'quantity 1e400', body: pod('q1', {}, [{ name: 'a', image: 'b', resources: { limits: { memory: '1e400' } } }]), code: 422, reason: 'Invalid', field: 'spec.containers[0].resources.limits.memory' },
  { what: 'quantity 99999999999999999999999999Ei', body: pod('q2', {}, [{ name: 'a', image: 'b', resources: { requests: { memory: '99999999999999999999999999Ei' } } }]), code: 422, reason: 'Invalid', field: 'spec.containers[0].resources.requests.memory' },
  { what: 'duplicate keys under fieldValidation=Strict', path: `${pods}?fieldValidation=Strict`, body: '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"d1","name":"d2"},"spec":{"containers":[{"name":"a","image":"b"}]}}', code: 400, reason: 'BadRequest' },
  { what: 'Content-Type ;;;', body: pod('ct1'), contentType: ';;;', code: 415, reason: 'UnsupportedMediaType' },
  { what: 'a JSON patch Content-Type on POST', body: pod('ct2'), contentType: 'application/json-patch+json', code: 415, reason: 'UnsupportedMediaType' },
  { what: 'resourceVersionMatch garbage', method: 'GET', path: `${pods}?resourceVersion=1&resourceVersionMatch=Sometimes`, code: 422, reason: 'Invalid', field: 'resourceVersionMatch' },
  { what: 'PUT on a collection', method: 'PUT', body: pod('coll'), code: 405, reason: 'MethodNotAllowed' },
  { what: 'a segment after /status', method: 'GET', path: `${pods}/victim/status/extra`, code: 404, reason: 'NotFound' },
  { what: 'an unknown method', method: 'PROPFIND', path: `${pods}/victim`, code: 405, reason: 'MethodNotAllowed' },
];

describe('client input answers 4xx, never 500, and writes nothing', () => {
  beforeAll(async () => {
    expect((await admin.post(pods, pod('victim'))).status).toBe(201);
  });

  it.each(CASES)('$what -> $code $reason', async (c) => {
    const before = await snapshot();
    const body = typeof c.body === 'string' ? c.body : c.body === undefined ? undefined : JSON.stringify(c.body);
    const r = await call<Status>(url, c.method ?? 'POST', c.path ?? pods, { token: cluster.api.adminToken, body, contentType: body === undefined ? undefined : (c.contentType ?? 'application/json') });
    expectStatus(r, c.code, c.reason, c.field);
    expect(await snapshot()).toBe(before);
  });

  it('patches: a non-string image, an unknown $patch, another uid', async () => {
    const before = await snapshot();
    expectStatus(await admin.patch(`${pods}/victim`, { spec: { containers: [{ name: 'app', image: 5 }] } }, 'application/strategic-merge-patch+json'), 422, 'Invalid', 'spec.containers[0].image');
    expectStatus(await admin.patch(`${pods}/victim`, { spec: { containers: [{ name: 'app', image: 5 }] } }, 'application/merge-patch+json'), 422, 'Invalid', 'spec.containers[0].image');
    expectStatus(await admin.patch(`${pods}/victim`, [{ op: 'replace', path: '/spec/containers/0/image', value: { x: 1 } }], 'application/json-patch+json'), 422, 'Invalid', 'spec.containers[0].image');
    expectStatus(await admin.patch(`${pods}/victim`, { metadata: { $patch: 'garbage' } }, 'application/strategic-merge-patch+json'), 400, 'BadRequest');
    expectStatus(await admin.patch(`${pods}/victim`, { metadata: { labels: { a: 'b' } } }, 'application/json'), 415, 'UnsupportedMediaType');
    const current = await admin.get(`${pods}/victim`);
    const other = { ...current.body, metadata: { ...current.body.metadata, uid: 'not-the-uid' } };
    const put = await admin.put(`${pods}/victim`, other);
    expectStatus(put, 409, 'Conflict');
    expect(put.body.message).toMatch(/Precondition failed: UID in precondition: not-the-uid/);
    expectStatus(await admin.patch(`${pods}/victim`, { metadata: { uid: 'not-the-uid' } }), 409, 'Conflict');
    expect(await snapshot()).toBe(before);
  });

  it('duplicate keys are a warning under the default fieldValidation, and the last value is kept', async () => {
    const r = await call(url, 'POST', pods, {
      token: cluster.api.adminToken,
      body: '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"first","name":"dupwarn"},"spec":{"containers":[{"name":"a","image":"b"}]}}',
    });
    expect(r.status, r.text).toBe(201);
    expect(r.headers.get('warning')).toMatch(/duplicate field \\?"metadata.name\\?"/);
    expect(r.body.metadata.name).toBe('dupwarn');
  });

  it('a pod with an int64-long grace period is deleted (gracefully) without a 500', async () => {
    await boundPod('long-grace', 'node-a', { terminationGracePeriodSeconds: 2 ** 62 });
    const r = await admin.del(`${pods}/long-grace`);
    expect(r.status, r.text).toBe(200);
    expect(r.body.metadata.deletionTimestamp).toBe('9999-12-31T23:59:59Z');
    // The kubelet's final delete still removes it.
    expect((await client(url, cluster.api.nodeToken('node-a')).del(`${pods}/long-grace`, { gracePeriodSeconds: 0 })).status).toBe(200);
  });

  it('a forged continue token is 400, one with a future revision 410 Expired', async () => {
    const forge = (t: unknown) => Buffer.from(JSON.stringify(t)).toString('base64url');
    const prefix = `/registry/pods/${ns}/`;
    expectStatus(await admin.get(`${pods}?limit=1&continue=${forge({ rv: 1e15, start: `${prefix}a` })}`), 410, 'Expired');
    for (const t of [{ rv: -5, start: `${prefix}a` }, { rv: 1.5, start: `${prefix}a` }, { rv: 5, start: '/registry/secrets/x' }, 'garbage']) {
      expectStatus(await admin.get(`${pods}?limit=1&continue=${typeof t === 'string' ? t : forge(t)}`), 400, 'BadRequest');
    }
  });
});

/** One raw HTTP/1.1 exchange: what the server answers to a request line no client library would send. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      out += d;
      if (/\r\n\r\n/.test(out) && out.includes('"kind":"Status"')) s.end();
    });
    s.on('error', reject);
    s.on('close', () => resolve(out));
    s.setTimeout(5000, () => s.destroy());
  });
}

describe('request targets', () => {
  it('an absolute-form or unparsable target is a 400 Status, on plain requests and WebSocket upgrades', async () => {
    const port = Number(new URL(url).port);
    const auth = `Authorization: Bearer ${cluster.api.adminToken}\r\n`;
    const upgrade = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
    for (const target of ['http://[proxy', 'http://[', `http://x${pods}`, '*']) {
      for (const extra of ['Connection: close\r\n', upgrade]) {
        const answer = await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: x\r\n${auth}${extra}\r\n`);
        expect(answer, `${target} ${extra}`).toMatch(/^HTTP\/1\.1 400 /);
        expect(answer).toContain('"kind":"Status"');
      }
    }
    const ws = await rawRequest(port, `GET /api/v1/namespaces/%ZZ/pods?watch=1 HTTP/1.1\r\nHost: x\r\n${auth}${upgrade}\r\n`);
    expect(ws).toMatch(/^HTTP\/1\.1 400 /);
  });
});

describe('etcd down', () => {
  it('requests are 503 with Retry-After, not 500', async () => {
    const c = await startApiCluster({ namespace: 'down' });
    try {
      await c.etcd.stop();
      const a = client(c.api.url, c.api.adminToken);
      for (const r of [await a.get('/api/v1/namespaces/down/pods/x'), await a.get('/api/v1/namespaces/down/pods'), await a.post('/api/v1/namespaces/down/pods', pod('x')), await a.get('/api/v1/namespaces/down/pods/x')]) {
        expectStatus(r, 503, 'ServiceUnavailable');
        expect(r.headers.get('retry-after')).toBe('1');
      }
    } finally {
      await c.api.stop();
    }
  });
});
