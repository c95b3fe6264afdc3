// The reviews' wire shapes on the real API server (raw POSTs): SelfSubjectAccessReview and
// SubjectAccessReview answer the spec with status.allowed (a node's pod and Secret questions
// decided on the stored pods), SelfSubjectRulesReview lists the caller's rules, SelfSubjectReview
// (v1 and v1beta1) says who the caller is; nothing is stored, bad input is 422 with the field
// path, SubjectAccessReview is the admin's only, and the group is in discovery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Status } from '../../api/types/meta.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { call, client, type Client } from './http.js';

let etcd: EtcdFixture;
let api: ApiServerFixture;
let admin: Client;
let node: Client;
const ns = `reviews-${process.pid}`;
const AZ = '/apis/authorization.k8s.io/v1';
type Review = { kind: string; apiVersion: string; spec?: Record<string, unknown>; status: Record<string, unknown> } & Status;

const ssar = (spec: Record<string, unknown>) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec });

beforeAll(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcd, inProcess: true, nodes: ['node-a', 'node-b'] });
  admin = client(api.url, api.adminToken);
  node = client(api.url, api.nodeToken('node-a'));
  expect((await admin.post('/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(201);
  const pod = (name: string, nodeName: string) => ({
    metadata: { name },
    spec: { nodeName, containers: [{ name: 'c', image: 'busybox', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: `${name}-secret`, key: 'k' } } }] }] },
  });
  for (const [name, n] of [['mine', 'node-a'], ['theirs', 'node-b']]) expect((await admin.post(`/api/v1/namespaces/${ns}/pods`, pod(name, n))).status).toBe(201);
});

afterAll(async () => {
  await api?.stop();
  await etcd?.stop();
});

describe('SelfSubjectAccessReview', () => {
  it('answers the spec with status.allowed, 201, and stores nothing', async () => {
    const spec = { resourceAttributes: { namespace: ns, verb: 'create', resource: 'pods' } };
    const r = await admin.post<Review>(`${AZ}/selfsubjectaccessreviews`, ssar(spec));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', spec, status: { allowed: true } });
    const get = await admin.get(`${AZ}/selfsubjectaccessreviews`);
    expect(get.status).toBe(405);
  });

  it("decides a node's pod and Secret questions on the stored pods, as its requests are", async () => {
    const ask = async (resourceAttributes: Record<string, unknown>) => (await node.post<Review>(`${AZ}/selfsubjectaccessreviews`, ssar({ resourceAttributes }))).body.status;
    expect(await ask({ namespace: ns, verb: 'get', resource: 'pods', name: 'mine' })).toEqual({ allowed: true });
    expect(await ask({ namespace: ns, verb: 'get', resource: 'pods', name: 'theirs' })).toMatchObject({ allowed: false, reason: 'node "node-a" can only access pods bound to it' });
    expect(await ask({ namespace: ns, verb: 'get', resource: 'secrets', name: 'mine-secret' })).toEqual({ allowed: true });
    expect(await ask({ namespace: ns, verb: 'get', resource: 'secrets', name: 'theirs-secret' })).toMatchObject({ allowed: false, reason: "no relationship found between node 'node-a' and this object" });
    expect(await ask({ namespace: ns, verb: 'get', resource: 'secrets' })).toMatchObject({ allowed: false });
    expect(await ask({ verb: 'get', resource: 'nodes', name: 'node-a' })).toEqual({ allowed: true });
    const paths = await node.post<Review>(`${AZ}/selfsubjectaccessreviews`, ssar({ nonResourceAttributes: { path: '/apis/apps', verb: 'get' } }));
    expect(paths.body.status).toEqual({ allowed: true });
  });

  it.each([
    ['neither attributes', {}, 'spec.resourceAttributes', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'],
    ['both attributes', { resourceAttributes: { verb: 'get' }, nonResourceAttributes: { path: '/api' } }, 'spec.nonResourceAttributes', 'cannot be specified in combination with resourceAttributes'],
    ['a verb of the wrong type', { resourceAttributes: { verb: 3 } }, 'spec.resourceAttributes.verb', 'must be of type string'],
    ['attributes that are no object', { resourceAttributes: 'pods' }, 'spec.resourceAttributes', 'must be of type object'],
  ])('%s is 422 Invalid at the field', async (_, spec, field, message) => {
    const r = await node.post<Status>(`${AZ}/selfsubjectaccessreviews`, ssar(spec));
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'Invalid', details: { kind: 'SelfSubjectAccessReview', group: 'authorization.k8s.io' } });
    expect(r.body.details?.causes).toContainEqual(expect.objectContaining({ field, message: expect.stringContaining(message) }));
  });

  it('metadata must be empty; a spec that is no object and a body that is no object are 4xx', async () => {
    const named = await admin.post<Status>(`${AZ}/selfsubjectaccessreviews`, { ...ssar({ resourceAttributes: { verb: 'get' } }), metadata: { name: 'x' } });
    expect(named.status).toBe(422);
    expect(named.body.details?.causes?.[0]).toMatchObject({ field: 'metadata', message: expect.stringContaining('must be empty') });
    expect((await admin.post(`${AZ}/selfsubjectaccessreviews`, { ...ssar({}), spec: [] })).status).toBe(422);
    expect((await admin.post(`${AZ}/selfsubjectaccessreviews`, '[1]')).status).toBe(400);
  });

  it('anonymous is 401; a namespaced path is 404', async () => {
    expect((await call(api.url, 'POST', `${AZ}/selfsubjectaccessreviews`, { body: ssar({ resourceAttributes: {} }) })).status).toBe(401);
    expect((await admin.post(`${AZ}/namespaces/${ns}/selfsubjectaccessreviews`, ssar({ resourceAttributes: {} }))).status).toBe(404);
  });
});

describe('SubjectAccessReview', () => {
  const sar = (spec: Record<string, unknown>) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec });

  it("asks about another identity, the admin's right only", async () => {
    const asNode = { user: 'system:node:node-a', groups: ['system:nodes', 'system:authenticated'] };
    const own = await admin.post<Review>(`${AZ}/subjectaccessreviews`, sar({ ...asNode, resourceAttributes: { verb: 'update', resource: 'nodes', subresource: 'status', name: 'node-a' } }));
    expect(own.status).toBe(201);
    expect(own.body).toMatchObject({ kind: 'SubjectAccessReview', spec: asNode, status: { allowed: true } });
    const other = await admin.post<Review>(`${AZ}/subjectaccessreviews`, sar({ ...asNode, resourceAttributes: { verb: 'update', resource: 'nodes', name: 'node-b' } }));
    expect(other.body.status).toMatchObject({ allowed: false });
    const masters = await admin.post<Review>(`${AZ}/subjectaccessreviews`, sar({ groups: ['system:masters'], nonResourceAttributes: { path: '/metrics', verb: 'get' } }));
    expect(masters.body.status).toEqual({ allowed: true });
    const byNode = await node.post<Status>(`${AZ}/subjectaccessreviews`, sar({ ...asNode, resourceAttributes: { verb: 'get', resource: 'pods' } }));
    expect(byNode.status).toBe(403);
    expect(byNode.body).toMatchObject({ reason: 'Forbidden', message: expect.stringContaining('cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io"') });
  });

  it('no user and no group is 422 at spec.user; wrong types at their paths', async () => {
    const none = await admin.post<Status>(`${AZ}/subjectaccessreviews`, sar({ resourceAttributes: { verb: 'get' } }));
    expect(none.status).toBe(422);
    expect(none.body.details?.causes).toContainEqual(expect.objectContaining({ field: 'spec.user', message: expect.stringContaining('at least one of user or group must be specified') }));
    const bad = await admin.post<Status>(`${AZ}/subjectaccessreviews`, sar({ user: 'u', groups: ['g', 1], extra: { k: 'v' }, resourceAttributes: { verb: 'get' } }));
    expect(bad.status).toBe(422);
    expect(bad.body.details?.causes?.map((c) => c.field)).toEqual(['spec.groups[1]', 'spec.extra.k']);
  });
});

describe('SelfSubjectRulesReview and SelfSubjectReview', () => {
  it("lists a node's rules for a namespace, incomplete where they depend on the objects", async () => {
    const r = await node.post<Review>(`${AZ}/selfsubjectrulesreviews`, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'kube-node-lease' } });
    expect(r.status).toBe(201);
    expect(r.body.status).toMatchObject({ incomplete: true, evaluationError: expect.stringContaining('node "node-a"') });
    expect(r.body.status.resourceRules).toContainEqual({ verbs: ['get', 'create', 'update', 'patch', 'delete'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['node-a'] });
    expect(r.body.status.resourceRules).toContainEqual({ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] });
    expect(r.body.status.nonResourceRules).toContainEqual(expect.objectContaining({ verbs: ['get'], nonResourceURLs: expect.arrayContaining(['/api', '/api/*', '/version']) }));
    const admins = await admin.post<Review>(`${AZ}/selfsubjectrulesreviews`, { spec: { namespace: ns } });
    expect(admins.body.status).toEqual({ resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false });
  });

  it.each(['v1', 'v1beta1'])('authentication.k8s.io/%s SelfSubjectReview says who the caller is', async (version) => {
    const r = await node.post<Review>(`/apis/authentication.k8s.io/${version}/selfsubjectreviews`, { apiVersion: `authentication.k8s.io/${version}`, kind: 'SelfSubjectReview' });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      kind: 'SelfSubjectReview',
      apiVersion: `authentication.k8s.io/${version}`,
      metadata: {},
      status: { userInfo: { username: 'system:node:node-a', uid: 'node-node-a', groups: ['system:nodes', 'system:authenticated'] } },
    });
  });

  it('discovery lists the reviews, create only', async () => {
    const list = await admin.get<{ resources: { name: string; verbs: string[]; namespaced: boolean; kind: string }[] }>(AZ);
    expect(list.body.resources.map((r) => [r.name, r.kind, r.verbs, r.namespaced])).toEqual([
      ['selfsubjectaccessreviews', 'SelfSubjectAccessReview', ['create'], false],
      ['selfsubjectrulesreviews', 'SelfSubjectRulesReview', ['create'], false],
      ['subjectaccessreviews', 'SubjectAccessReview', ['create'], false],
    ]);
    const authn = await admin.get<{ versions: { version: string }[]; preferredVersion: { version: string } }>('/apis/authentication.k8s.io');
    expect(authn.body).toMatchObject({ versions: [{ version: 'v1' }, { version: 'v1beta1' }], preferredVersion: { version: 'v1' } });
  });
});
