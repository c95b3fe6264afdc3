// The pod lifecycle as the server owns it: server-set fields and defaults, /status and
// /binding, graceful deletion and finalizers, namespaces (missing -> 404, deleting one
// empties it through the namespace controller, its bound pods confirmed by hollow nodes as
// kubelets confirm them), lists with selectors and pages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import type { KubeObject } from '../../api/types/meta.js';
import { RestClient } from '../../client/rest.js';
import { startApiCluster, type ApiCluster, type ApiServerFixture } from '../fixtures/apiserver.js';
import { eventually } from '../fixtures/eventually.js';
import { startHollowNodes } from '../fixtures/hollow-nodes.js';
import { startNamespaceController, type NamespaceControllerFixture } from '../fixtures/namespace-controller.js';
import { client, type Client } from './http.js';

let cluster: ApiCluster;
let api: ApiServerFixture;
let admin: Client;
let namespaces: NamespaceControllerFixture;
const ns = `pods-${process.pid}`;
const pods = `/api/v1/namespaces/${ns}/pods`;
let seq = 0;

function pod(name: string, extra: Partial<Pod['spec']> = {}, labels?: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '100m', memory: '64Mi' } } }], ...extra },
  };
}

const unique = (p: string) => `${p}-${++seq}-${Date.now().toString(36)}`;

beforeAll(async () => {
  cluster = await startApiCluster({ namespace: ns });
  api = cluster.api;
  admin = client(api.url, api.adminToken);
  namespaces = await startNamespaceController(api);
});

afterAll(async () => {
  await namespaces?.stop();
  await cluster?.stop();
});

describe('server-set fields', () => {
  it('sets uid, creationTimestamp, generation, status Pending and the Kubernetes defaults; the client cannot set status', async () => {
    const body = pod(unique('defaults'));
    (body as { status?: unknown }).status = { phase: 'Running', podIP: '10.0.0.9' };
    const r = await admin.post<Pod>(pods, body);
    expect(r.status, r.text).toBe(201);
    expect(r.body.status?.phase).toBe('Pending');
    expect(r.body.status?.podIP).toBeUndefined();
    expect(r.body.status?.qosClass).toBe('Burstable');
    expect(r.body.spec.restartPolicy).toBe('Always');
    expect(r.body.spec.terminationGracePeriodSeconds).toBe(30);
    expect(r.body.spec.containers[0].imagePullPolicy).toBe('Always');
    expect(r.body.metadata.generation).toBe(1);
  });

  it('generateName gives a fresh name each time', async () => {
    const a = await admin.post(pods, { ...pod(''), metadata: { generateName: 'gen-' } });
    const b = await admin.post(pods, { ...pod(''), metadata: { generateName: 'gen-' } });
    expect(a.status, a.text).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(a.body.metadata.name).not.toBe(b.body.metadata.name);
  });

  it('creating in a namespace that does not exist is 404', async () => {
    const r = await admin.post('/api/v1/namespaces/no-such-ns/pods', pod('x'));
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'NotFound', details: { name: 'no-such-ns', kind: 'namespaces' } });
  });

  it('a second create of the same name is 409 AlreadyExists', async () => {
    const name = unique('twice');
    expect((await admin.post(pods, pod(name))).status).toBe(201);
    const again = await admin.post(pods, pod(name));
    expect(again.status).toBe(409);
    expect(again.body.reason).toBe('AlreadyExists');
  });
});

describe('subresources', () => {
  it('PUT on the pod keeps the stored status; /status changes only the status', async () => {
    const name = unique('status');
    const created = (await admin.post<Pod>(pods, pod(name))).body;
    const main = await admin.put<Pod>(`${pods}/${name}`, { ...created, status: { phase: 'Running' }, metadata: { ...created.metadata, labels: { a: '1' } } });
    expect(main.status, main.text).toBe(200);
    expect(main.body.status?.phase).toBe('Pending');
    expect(main.body.metadata.labels).toEqual({ a: '1' });

    const st = await admin.patch<Pod>(`${pods}/${name}/status`, { status: { phase: 'Running', podIP: '10.1.2.3' }, spec: { restartPolicy: 'Never' } });
    expect(st.status, st.text).toBe(200);
    expect(st.body.status?.phase).toBe('Running');
    expect(st.body.status?.podIP).toBe('10.1.2.3');
    expect(st.body.spec.restartPolicy).toBe('Always');
    expect(st.body.metadata.generation).toBe(1);
    const got = await admin.get<Pod>(`${pods}/${name}/status`);
    expect(got.body.status?.podIP).toBe('10.1.2.3');
  });

  it('binding sets spec.nodeName once and PodScheduled=True; a second binding is 409', async () => {
    const name = unique('bind');
    await admin.post(pods, pod(name));
    const b = await admin.post(`${pods}/${name}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' } });
    expect(b.status, b.text).toBe(201);
    expect(b.body).toMatchObject({ kind: 'Status', status: 'Success' });
    const got = (await admin.get<Pod>(`${pods}/${name}`)).body;
    expect(got.spec.nodeName).toBe('node-1');
    expect(got.status?.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]);
    const again = await admin.post(`${pods}/${name}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: 'node-2' } });
    expect(again.status).toBe(409);
    expect(again.body.reason).toBe('Conflict');
    expect((await admin.get<Pod>(`${pods}/${name}`)).body.spec.nodeName).toBe('node-1');
  });

  it("copies the binding's annotations onto the pod (the scheduler's record of the cycle)", async () => {
    const name = unique('bindann');
    await admin.post(pods, pod(name, {}, { app: 'x' }));
    const record = JSON.stringify({ node: 'node-2', scores: [] });
    const b = await admin.post(`${pods}/${name}/binding`, {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, annotations: { 'scheduler.skiff.dev/last-cycle': record } },
      target: { kind: 'Node', name: 'node-2' },
    });
    expect(b.status, b.text).toBe(201);
    const got = (await admin.get<Pod>(`${pods}/${name}`)).body;
    expect(got.metadata.annotations?.['scheduler.skiff.dev/last-cycle']).toBe(record);
    expect(got.metadata.labels).toEqual({ app: 'x' });
  });
});

describe('dry run', () => {
  it('dryRun=All on create, update and patch answers the result with defaults and validation, and stores nothing', async () => {
    const name = unique('dry');
    const created = await admin.post<Pod>(`${pods}?dryRun=All`, pod(name));
    expect(created.status, created.text).toBe(201);
    expect(created.body.spec.restartPolicy).toBe('Always');
    expect(created.body.metadata.uid).toBeTruthy();
    expect((await admin.get(`${pods}/${name}`)).status).toBe(404);
    // Validation still runs.
    const bad = await admin.post(`${pods}?dryRun=All`, { ...pod(name), spec: { containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: '12Q' } } }] } });
    expect(bad.status).toBe(422);
    expect((await admin.post(`${pods}?dryRun=Maybe`, pod(name))).status).toBe(400);

    const real = await admin.post<Pod>(pods, pod(name, {}, { v: '1' }));
    expect(real.status).toBe(201);
    const patched = await admin.patch<Pod>(`${pods}/${name}?dryRun=All`, { metadata: { labels: { v: '2' } } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.metadata.labels).toEqual({ v: '2' });
    // Nothing written: the answer carries the stored version, as Kubernetes' does.
    expect(patched.body.metadata.resourceVersion).toBe(real.body.metadata.resourceVersion);
    const put = await admin.put<Pod>(`${pods}/${name}?dryRun=All`, { ...real.body, metadata: { ...real.body.metadata, labels: { v: '3' } } });
    expect(put.status, put.text).toBe(200);
    expect(put.body.metadata.labels).toEqual({ v: '3' });
    expect(put.body.metadata.resourceVersion).toBe(real.body.metadata.resourceVersion);
    const stored = (await admin.get<Pod>(`${pods}/${name}`)).body;
    expect(stored.metadata.labels).toEqual({ v: '1' });
    expect(stored.metadata.resourceVersion).toBe(real.body.metadata.resourceVersion);
  });
});

describe('deletion', () => {
  it('an unbound pod goes at once', async () => {
    const name = unique('unbound');
    await admin.post(pods, pod(name));
    expect((await admin.del(`${pods}/${name}`)).status).toBe(200);
    expect((await admin.get(`${pods}/${name}`)).status).toBe(404);
  });

  it('a bound pod is marked with deletionTimestamp and grace period, and goes when deleted with gracePeriodSeconds=0', async () => {
    const name = unique('bound');
    await admin.post(pods, pod(name, { nodeName: 'node-1', terminationGracePeriodSeconds: 20 }));
    const d = await admin.del<Pod>(`${pods}/${name}`);
    expect(d.status).toBe(200);
    expect(d.body.metadata.deletionGracePeriodSeconds).toBe(20);
    expect(d.body.metadata.deletionTimestamp).toBeDefined();
    const still = await admin.get<Pod>(`${pods}/${name}`);
    expect(still.status).toBe(200);
    expect(still.body.metadata.deletionTimestamp).toBe(d.body.metadata.deletionTimestamp);
    // A shorter grace period from the DeleteOptions body replaces the longer one.
    const shorter = await admin.del<Pod>(`${pods}/${name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 5 });
    expect(shorter.body.metadata.deletionGracePeriodSeconds).toBe(5);
    const now = await admin.del(`${pods}/${name}?gracePeriodSeconds=0`);
    expect(now.status).toBe(200);
    expect((await admin.get(`${pods}/${name}`)).status).toBe(404);
  });

  it('finalizers hold an object until an update removes the last one', async () => {
    const name = unique('fin');
    const body = pod(name);
    (body.metadata as { finalizers?: string[] }).finalizers = ['skiff.dev/test'];
    await admin.post(pods, body);
    const d = await admin.del<Pod>(`${pods}/${name}`);
    expect(d.status).toBe(200);
    expect(d.body.metadata.deletionTimestamp).toBeDefined();
    expect((await admin.get(`${pods}/${name}`)).status).toBe(200);
    const release = await admin.patch(`${pods}/${name}`, { metadata: { finalizers: null } });
    expect(release.status, release.text).toBe(200);
    expect((await admin.get(`${pods}/${name}`)).status).toBe(404);
  });

  it('delete preconditions on uid are checked', async () => {
    const name = unique('precond');
    await admin.post(pods, pod(name));
    const r = await admin.del(`${pods}/${name}`, { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'not-the-uid' } });
    expect(r.status).toBe(409);
    expect((await admin.get(`${pods}/${name}`)).status).toBe(200);
  });

  it('deleting a namespace removes what is in it; creating in it afterwards is 404', async () => {
    const rest = new RestClient({ server: api.url, token: api.adminToken, namespace: 'default' });
    const nodes = await startHollowNodes({ client: rest, count: 1, finishDeletion: true });
    try {
      const other = unique('doomed');
      expect((await admin.post('/api/v1/namespaces', { metadata: { name: other } })).status).toBe(201);
      for (let i = 0; i < 3; i++) expect((await admin.post(`/api/v1/namespaces/${other}/pods`, pod(`p${i}`, { nodeName: nodes.names[0] }))).status).toBe(201);
      expect((await admin.post(`/apis/coordination.k8s.io/v1/namespaces/${other}/leases`, { metadata: { name: 'l' }, spec: {} })).status).toBe(201);
      const d = await admin.del(`/api/v1/namespaces/${other}`);
      expect(d.status, d.text).toBe(200);
      expect((d.body as unknown as { status: { phase: string } }).status.phase).toBe('Terminating');
      await eventually(async () => (await admin.get(`/api/v1/namespaces/${other}`)).status === 404, `namespace ${other} gone`);
      const left = await admin.get<{ items: KubeObject[] }>(`/api/v1/namespaces/${other}/pods`);
      expect(left.body.items).toEqual([]);
      expect((await admin.get<{ items: KubeObject[] }>(`/apis/coordination.k8s.io/v1/namespaces/${other}/leases`)).body.items).toEqual([]);
      const late = await admin.post(`/api/v1/namespaces/${other}/pods`, pod('late'));
      expect([late.status, late.body.message]).toEqual([404, `namespaces "${other}" not found`]);
    } finally {
      await nodes.stop({ deleteNodes: true });
      rest.close();
    }
  });

  it('the built-in namespaces cannot be deleted', async () => {
    for (const name of ['default', 'kube-system', 'kube-public']) {
      const r = await admin.del(`/api/v1/namespaces/${name}`);
      expect([r.status, r.body.reason, r.body.message]).toEqual([403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`]);
    }
    for (const name of ['default', 'kube-system', 'kube-node-lease']) expect((await admin.get(`/api/v1/namespaces/${name}`)).status).toBe(200);
  });
});

describe('lists', () => {
  it('pages with limit/continue through one snapshot, and filters by label and field selectors', async () => {
    const sel = unique('sel');
    const names: string[] = [];
    for (let i = 0; i < 7; i++) {
      const name = `${sel}-${i}`;
      names.push(name);
      const r = await admin.post(pods, pod(name, i % 2 ? { nodeName: 'node-2' } : {}, { set: sel, parity: i % 2 ? 'odd' : 'even' }));
      expect(r.status).toBe(201);
    }
    const seen: string[] = [];
    let cont = '';
    let pages = 0;
    let firstRV = '';
    do {
      const r = await admin.get<{ items: KubeObject[]; metadata: { continue?: string; resourceVersion: string } }>(
        `${pods}?labelSelector=set%3D${sel}&limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
      );
      expect(r.status, r.text).toBe(200);
      firstRV ||= r.body.metadata.resourceVersion;
      expect(r.body.metadata.resourceVersion).toBe(firstRV);
      seen.push(...r.body.items.map((i) => i.metadata.name as string));
      cont = r.body.metadata.continue ?? '';
      pages++;
      // A create between pages must not show up in the snapshot being paged.
      if (pages === 1) await admin.post(pods, pod(`${sel}-late`, {}, { set: sel }));
    } while (cont);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(names.sort());

    const odd = await admin.get<{ items: Pod[] }>(`${pods}?labelSelector=set%3D${sel},parity%3Dodd`);
    expect(odd.body.items.map((p) => p.metadata.name).sort()).toEqual(names.filter((_, i) => i % 2).sort());
    const onNode = await admin.get<{ items: Pod[] }>(`/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-2&labelSelector=set%3D${sel}`);
    expect(onNode.body.items.map((p) => p.metadata.name).sort()).toEqual(names.filter((_, i) => i % 2).sort());
    const byName = await admin.get<{ items: Pod[] }>(`${pods}?fieldSelector=metadata.name%3D${names[0]}`);
    expect(byName.body.items.map((p) => p.metadata.name)).toEqual([names[0]]);
    const notPending = await admin.get<{ items: Pod[] }>(`${pods}?fieldSelector=status.phase!%3DPending&labelSelector=set%3D${sel}`);
    expect(notPending.body.items).toEqual([]);
    const bad = await admin.get(`${pods}?fieldSelector=spec.image%3Dx`);
    expect(bad.status).toBe(400);
  });
});

describe('updates Kubernetes refuses', () => {
  it('a pod spec is immutable after create, except what Kubernetes allows (image)', async () => {
    const name = unique('immutable');
    const created = (await admin.post<Pod>(pods, pod(name))).body;
    const cmd = await admin.patch<{ details?: { causes?: { field?: string }[] } }>(`${pods}/${name}`, { spec: { restartPolicy: 'Never' } });
    expect(cmd.status).toBe(422);
    expect(cmd.body.details?.causes?.map((c) => c.field)).toContain('spec');
    const image = await admin.patch<Pod>(`${pods}/${name}`, [{ op: 'replace', path: '/spec/containers/0/image', value: 'busybox:1.37' }], 'application/json-patch+json');
    expect(image.status, image.text).toBe(200);
    expect(image.body.spec.containers[0].image).toBe('busybox:1.37');
    expect(image.body.metadata.generation).toBe((created.metadata.generation ?? 1) + 1);
  });

  it('a binding to an invalid node name is 422 with the field path', async () => {
    const name = unique('badbind');
    await admin.post(pods, pod(name));
    const r = await admin.post<{ details?: { causes?: { field?: string }[] } }>(`${pods}/${name}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: 'Bad_Node' } });
    expect(r.status).toBe(422);
    expect(r.body.details?.causes?.map((c) => c.field)).toContain('target.name');
  });

  it('fieldValidation: Strict refuses unknown fields, Warn answers a Warning header; unknown fields are never stored', async () => {
    const warnName = unique('strict');
    const body = { ...pod(warnName), spec: { containers: [{ name: 'app', image: 'busybox', bogusField: 1 }] } };
    const strict = await admin.post<{ reason?: string; message?: string }>(`${pods}?fieldValidation=Strict`, body);
    expect(strict.status).toBe(400);
    expect(strict.body.reason).toBe('BadRequest');
    expect(strict.body.message).toBe('Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].bogusField"');
    const warn = await admin.post(`${pods}?fieldValidation=Warn`, body);
    expect(warn.status).toBe(201);
    expect(warn.headers.get('warning')).toMatch(/^299 - ".*bogusField/);
    const ignore = await admin.post(`${pods}?fieldValidation=Ignore`, { ...body, metadata: { name: unique('ignore') } });
    expect(ignore.status).toBe(201);
    expect(ignore.headers.get('warning')).toBeNull();
    const stored = [warnName, (JSON.parse(ignore.text) as Pod).metadata.name ?? ''];
    for (const name of stored) {
      const stored = await admin.get<Pod>(`${pods}/${name}`);
      expect(stored.status).toBe(200);
      expect(stored.body.spec.containers[0]).not.toHaveProperty('bogusField');
      expect(stored.body.spec.containers[0].image).toBe('busybox');
    }
  });
});

describe('deletecollection', () => {
  it('deletes the selected pods of a namespace, gracefully where they are bound', async () => {
    const sel = unique('coll');
    await admin.post(pods, pod(`${sel}-a`, {}, { coll: sel }));
    await admin.post(pods, pod(`${sel}-b`, { nodeName: 'node-1' }, { coll: sel }));
    await admin.post(pods, pod(`${sel}-keep`, {}, { coll: 'other' }));
    const r = await admin.del<{ items: Pod[] }>(`${pods}?labelSelector=coll%3D${sel}`);
    expect(r.status, r.text).toBe(200);
    expect(r.body.items.map((p) => p.metadata.name).sort()).toEqual([`${sel}-a`, `${sel}-b`]);
    expect((await admin.get(`${pods}/${sel}-a`)).status).toBe(404);
    expect((await admin.get<Pod>(`${pods}/${sel}-b`)).body.metadata.deletionTimestamp).toBeDefined();
    expect((await admin.get(`${pods}/${sel}-keep`)).status).toBe(200);
  });
});
