// ServiceAccounts, enough for pods, as the API server owns them: `default` made with each
// namespace, and the ServiceAccount admission plugin on pod creates (a pod runs as `default`
// unless it names another, one whose ServiceAccount is missing is refused, a pod that names
// no imagePullSecrets gets its ServiceAccount's, mirror pods exempt).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { startApiCluster, type ApiCluster } from '../fixtures/apiserver.js';
import { client, type Client } from './http.js';

let cluster: ApiCluster;
let admin: Client;
const ns = `sa-${process.pid}`;
const pods = `/api/v1/namespaces/${ns}/pods`;
const sas = `/api/v1/namespaces/${ns}/serviceaccounts`;

const pod = (name: string, spec: Partial<Pod['spec']> = {}, annotations?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, ...(annotations ? { annotations } : {}) },
  spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec },
});

beforeAll(async () => {
  cluster = await startApiCluster({ namespace: ns });
  admin = client(cluster.api.url, cluster.api.adminToken);
});
afterAll(async () => {
  await cluster?.stop();
});

describe('the default ServiceAccount', () => {
  it('is made with a namespace, and in the initial namespaces', async () => {
    for (const n of [ns, 'default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const r = await admin.get(`/api/v1/namespaces/${n}/serviceaccounts/default`);
      expect(r.status, n).toBe(200);
    }
    // At once: a pod created right after its namespace is admitted.
    expect((await admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${ns}-b` } })).status).toBe(201);
    expect((await admin.post(`/api/v1/namespaces/${ns}-b/pods`, pod('first'))).status).toBe(201);
  });

  it('is not made by a dry run of a namespace', async () => {
    expect((await admin.post('/api/v1/namespaces?dryRun=All', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${ns}-dry` } })).status).toBe(201);
    expect((await admin.get(`/api/v1/namespaces/${ns}-dry/serviceaccounts/default`)).status).toBe(404);
  });
});

describe('ServiceAccount admission', () => {
  it('a pod that names no ServiceAccount runs as default', async () => {
    const r = await admin.post<Pod>(pods, pod('defaulted'));
    expect(r.status).toBe(201);
    expect(r.body.spec.serviceAccountName).toBe('default');
    expect(r.body.spec.imagePullSecrets).toBeUndefined();
  });

  it("a pod gets its ServiceAccount's imagePullSecrets unless it names its own", async () => {
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'puller' }, imagePullSecrets: [{ name: 'regcred' }, { name: 'mirror-cred' }] };
    expect((await admin.post(sas, sa)).status).toBe(201);
    const copied = await admin.post<Pod>(pods, pod('copied', { serviceAccountName: 'puller' }));
    expect(copied.status).toBe(201);
    expect(copied.body.spec.imagePullSecrets).toEqual([{ name: 'regcred' }, { name: 'mirror-cred' }]);
    const own = await admin.post<Pod>(pods, pod('own', { serviceAccountName: 'puller', imagePullSecrets: [{ name: 'mine' }] }));
    expect(own.status).toBe(201);
    expect(own.body.spec.imagePullSecrets).toEqual([{ name: 'mine' }]);
    // The default ServiceAccount's, for a pod that names none.
    const patched = await admin.patch(`${sas}/default`, { imagePullSecrets: [{ name: 'ns-cred' }] });
    expect(patched.status).toBe(200);
    const fromDefault = await admin.post<Pod>(pods, pod('from-default'));
    expect(fromDefault.body.spec).toMatchObject({ serviceAccountName: 'default', imagePullSecrets: [{ name: 'ns-cred' }] });
    // Server-side apply creates go through the same plugin.
    const applied = await admin.patch<Pod>(`${pods}/applied?fieldManager=t`, pod('applied', { serviceAccountName: 'puller' }), 'application/apply-patch+yaml');
    expect(applied.status).toBe(201);
    expect(applied.body.spec.imagePullSecrets).toEqual([{ name: 'regcred' }, { name: 'mirror-cred' }]);
  });

  it('a pod whose ServiceAccount does not exist is refused with 403, a dry run too', async () => {
    for (const path of [pods, `${pods}?dryRun=All`]) {
      const r = await admin.post(path, pod('orphan', { serviceAccountName: 'nobody' }));
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403, message: `pods "orphan" is forbidden: error looking up service account ${ns}/nobody: serviceaccount "nobody" not found` });
    }
  });

  it('a pod is refused when default is gone, after the lookups a controller gets to make it again', async () => {
    const other = `${ns}-gone`;
    expect((await admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: other } })).status).toBe(201);
    expect((await admin.del(`/api/v1/namespaces/${other}/serviceaccounts/default`)).status).toBe(200);
    const started = Date.now();
    const refused = await admin.post(`/api/v1/namespaces/${other}/pods`, pod('waits'));
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(`pods "waits" is forbidden: error looking up service account ${other}/default: serviceaccount "default" not found`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    // Made again while a create is looking: that create is admitted.
    const pending = admin.post<Pod>(`/api/v1/namespaces/${other}/pods`, pod('admitted'));
    await new Promise((r) => setTimeout(r, 300));
    expect((await admin.post(`/api/v1/namespaces/${other}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } })).status).toBe(201);
    expect((await pending).status).toBe(201);
  });

  it('a mirror pod is exempt, and may not name a ServiceAccount', async () => {
    const mirror = { 'kubernetes.io/config.mirror': 'abc' };
    const r = await admin.post<Pod>(pods, pod('mirror', {}, mirror));
    expect(r.status).toBe(201);
    expect(r.body.spec.serviceAccountName).toBeUndefined();
    const named = await admin.post(pods, pod('mirror-sa', { serviceAccountName: 'default' }, mirror));
    expect(named.status).toBe(403);
    expect(named.body.message).toBe('pods "mirror-sa" is forbidden: a mirror pod may not reference service accounts');
  });

  it('a projected serviceAccountToken source is a 422 until tokens are served', async () => {
    const r = await admin.post(pods, pod('token', { volumes: [{ name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }] }));
    expect(r.status).toBe(422);
    expect(r.body.details?.causes).toContainEqual(expect.objectContaining({ field: 'spec.volumes[0].projected.sources[0].serviceAccountToken', reason: 'FieldValueForbidden' }));
  });

  it('a ServiceAccount prints NAME, SECRETS, AGE and refuses a bad name', async () => {
    expect((await admin.post(sas, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'with-secrets' }, secrets: [{ name: 'a' }, { name: 'b' }] })).status).toBe(201);
    const table = await admin.get<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>(`${sas}/with-secrets`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(table.body.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Secrets', 'Age']);
    expect(table.body.rows[0].cells.slice(0, 2)).toEqual(['with-secrets', 2]);
    const bad = await admin.post(sas, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'Bad_Name' } });
    expect(bad.status).toBe(422);
  });
});
