// A table of bad requests: each gets its 4xx `kind: Status` (with the field path for
// schema and semantic errors), nothing of it reaches etcd, and the server keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Status } from '../../api/types/meta.js';
import { startApiCluster, type ApiCluster, type ApiServerFixture } from '../fixtures/apiserver.js';
import { call, client, type Client } from './http.js';

let cluster: ApiCluster;
let api: ApiServerFixture;
let admin: Client;
const ns = `bad-${process.pid}`;
const pods = `/api/v1/namespaces/${ns}/pods`;

beforeAll(async () => {
  cluster = await startApiCluster({ namespace: ns });
  api = cluster.api;
  admin = client(api.url, api.adminToken);
});

afterAll(async () => {
  await cluster?.stop();
});

function pod(overrides: { metadata?: Record<string, unknown>; containers?: unknown[] } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'good', ...overrides.metadata },
    spec: { containers: overrides.containers ?? [{ name: 'app', image: 'busybox' }] },
  };
}

interface BadCase {
  what: string;
  path?: string;
  method?: string;
  body: unknown;
  contentType?: string;
  code: number;
  reason: Status['reason'];
  /** a cause with this field path (422s) */
  field?: string;
  /** a fragment of the message */
  message?: RegExp;
  /** a Secret value that no part of the answer may hold */
  secret?: string;
}

const configmaps = `/api/v1/namespaces/${ns}/configmaps`;
const secrets = `/api/v1/namespaces/${ns}/secrets`;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const secret = (name: string, rest: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, ...rest });

const CASES: BadCase[] = [
  { what: 'malformed JSON', body: '{"apiVersion": "v1", "kind": "Pod", "metadata": {', code: 400, reason: 'BadRequest', message: /JSON/ },
  { what: 'malformed YAML', body: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n', contentType: 'application/yaml', code: 400, reason: 'BadRequest', message: /YAML/ },
  { what: 'a JSON array instead of an object', body: '[1,2]', code: 400, reason: 'BadRequest' },
  { what: 'unknown kind', body: { ...pod(), kind: 'Frobnicator' }, code: 400, reason: 'BadRequest', message: /Frobnicator/ },
  { what: 'unknown apiVersion', body: { ...pod(), apiVersion: 'nonsense/v9' }, code: 400, reason: 'BadRequest', message: /nonsense\/v9/ },
  { what: 'kind not matching the path', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' } }, code: 400, reason: 'BadRequest', message: /Node/ },
  { what: 'namespace in the body differing from the path', body: pod({ metadata: { namespace: 'elsewhere' } }), code: 400, reason: 'BadRequest', message: /namespace/ },
  { what: 'body over 3 MiB', body: JSON.stringify({ ...pod(), metadata: { name: 'big', annotations: { a: 'x'.repeat(3 * 1024 * 1024 + 10) } } }), code: 413, reason: 'RequestEntityTooLarge' },
  { what: 'unsupported content type', body: 'x', contentType: 'application/vnd.kubernetes.protobuf', code: 415, reason: 'UnsupportedMediaType' },
  { what: 'missing name', body: pod({ metadata: { name: undefined } }), code: 422, reason: 'Invalid', field: 'metadata.name' },
  { what: 'invalid name', body: pod({ metadata: { name: 'Not_A_Valid_Name' } }), code: 422, reason: 'Invalid', field: 'metadata.name' },
  {
    what: 'duplicate container names',
    body: pod({ metadata: { name: 'dup' }, containers: [{ name: 'a', image: 'busybox' }, { name: 'a', image: 'busybox' }] }),
    code: 422,
    reason: 'Invalid',
    field: 'spec.containers[1].name',
  },
  {
    what: 'quantity 12Q',
    body: pod({ metadata: { name: 'q' }, containers: [{ name: 'a', image: 'busybox', resources: { limits: { memory: '12Q' } } }] }),
    code: 422,
    reason: 'Invalid',
    field: 'spec.containers[0].resources.limits.memory',
  },
  {
    what: 'limits below requests',
    body: pod({ metadata: { name: 'lim' }, containers: [{ name: 'a', image: 'busybox', resources: { requests: { cpu: '500m' }, limits: { cpu: '250m' } } }] }),
    code: 422,
    reason: 'Invalid',
    field: 'spec.containers[0].resources.requests',
  },
  {
    what: 'schema violation: a string where a list belongs',
    body: { ...pod(), metadata: { name: 'schema' }, spec: { containers: 'not-a-list' } },
    code: 422,
    reason: 'Invalid',
    field: 'spec.containers',
  },
  {
    what: 'a 2 MiB ConfigMap',
    path: configmaps,
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { a: 'x'.repeat(1024 * 1024), b: 'y'.repeat(1024 * 1024) } },
    code: 422,
    reason: 'Invalid',
    // Kubernetes' field for the total size is the whole object: "".
    field: '',
    message: /Too long: must have at most 1048576 bytes/,
  },
  { what: 'a Secret value that is not base64', path: secrets, body: secret('nb64', { data: { pw: 'hunter2-not-b64!' } }), code: 422, reason: 'Invalid', field: 'data.pw', message: /illegal base64 data at input byte/, secret: 'hunter2-not-b64!' },
  {
    what: 'a dockerconfigjson Secret with broken JSON',
    path: secrets,
    body: secret('dcj', { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{"auths":{"r":{"password":"hunter2-json"}}') } }),
    code: 422,
    reason: 'Invalid',
    field: 'data[.dockerconfigjson]',
    message: /<secret contents redacted>/,
    secret: 'hunter2-json',
  },
  { what: 'a TLS Secret without tls.key', path: secrets, body: secret('tls', { type: 'kubernetes.io/tls', data: { 'tls.crt': b64('hunter2-cert') } }), code: 422, reason: 'Invalid', field: 'data[tls.key]', secret: 'hunter2-cert' },
  { what: 'a Secret key with /', path: secrets, body: secret('slash', { data: { 'a/b': b64('hunter2-slash') } }), code: 422, reason: 'Invalid', field: 'data[a/b]', secret: 'hunter2-slash' },
  { what: 'a ConfigMap key with /', path: configmaps, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'slash' }, data: { 'a/b': 'c' } }, code: 422, reason: 'Invalid', field: 'data[a/b]' },
];

describe('bad input', () => {
  it.each(CASES)('$what -> $code $reason', async (c) => {
    const r = await call<Status>(api.url, c.method ?? 'POST', c.path ?? pods, { token: api.adminToken, body: c.body, contentType: c.contentType });
    expect(r.status, r.text.slice(0, 500)).toBe(c.code);
    expect(r.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: c.code, reason: c.reason });
    if (c.message) expect(r.body.message).toMatch(c.message);
    if (c.field) {
      const fields = (r.body.details?.causes ?? []).map((x) => x.field);
      expect(fields, r.body.message).toContain(c.field);
    }
    if (c.secret) {
      expect(r.text).not.toContain(c.secret);
      expect(r.text).not.toContain(b64(c.secret));
    }
    // Nothing was stored, and the server still answers.
    const list = await admin.get<{ items: unknown[] }>(c.path ?? pods);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
  });

  it('a YAML body is accepted', async () => {
    const yaml = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: from-yaml\nspec:\n  containers:\n  - name: app\n    image: busybox\n`;
    const r = await admin.post(pods, yaml, { contentType: 'application/yaml' });
    expect(r.status, r.text).toBe(201);
    expect(r.body.metadata.name).toBe('from-yaml');
    expect((await admin.del(`${pods}/from-yaml`)).status).toBe(200);
  });

  it('an Accept header listing protobuf first still gets JSON', async () => {
    const r = await admin.get(pods, { accept: 'application/vnd.kubernetes.protobuf, application/json' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.body.kind).toBe('PodList');
  });

  it('an object etcd refuses for its size is a 413, never a 500', async () => {
    // Under the 3 MiB body limit but over etcd's default 1.5 MiB request limit, and valid.
    const args = Array.from({ length: 2048 }, () => 'x'.repeat(1024));
    const big = pod({ metadata: { name: 'etcd-big' }, containers: [{ name: 'a', image: 'busybox', args }] });
    const r = await admin.post<Status>(pods, big, { contentType: 'application/json' });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge' });
    expect((await admin.get(`${pods}/etcd-big`)).status).toBe(404);
    // The same through an update of an existing object (a node's status, which may grow).
    expect((await admin.post('/api/v1/nodes', { metadata: { name: 'grows' } })).status).toBe(201);
    const images = args.map((a, i) => ({ names: [`registry.example/${i}/${a}`], sizeBytes: 1 }));
    const grow = await admin.patch<Status>('/api/v1/nodes/grows/status', { status: { images } });
    expect(grow.status, grow.text.slice(0, 300)).toBe(413);
    expect((await admin.get('/api/v1/nodes/grows')).status).toBe(200);
    expect((await admin.del('/api/v1/nodes/grows')).status).toBe(200);
  });

  it('unknown paths and verbs answer Status objects', async () => {
    const r1 = await admin.get('/api/v1/widgets');
    expect(r1.status).toBe(404);
    expect(r1.body.kind).toBe('Status');
    const r2 = await admin.get(`${pods}/missing`);
    expect(r2.body).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound', details: { name: 'missing', kind: 'pods' } });
    const r3 = await call<Status>(api.url, 'POST', `${pods}/missing`, { token: api.adminToken, body: pod() });
    expect(r3.status).toBe(405);
  });
});
