// Create/get/list/update/patch/delete/watch round trips for every resource skiff serves,
// against a real etcd and the real server over HTTP (with the namespace controller, which
// empties and finalizes a deleted namespace); plus the two-writers conflict.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types/meta.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { eventually } from '../fixtures/eventually.js';
import { startNamespaceController, type NamespaceControllerFixture } from '../fixtures/namespace-controller.js';
import { client, openWatch, type Client } from './http.js';

let etcd: EtcdFixture;
let api: ApiServerFixture;
let admin: Client;
let namespaces: NamespaceControllerFixture;
const ns = `crud-${process.pid}`;

beforeAll(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcd, inProcess: true });
  namespaces = await startNamespaceController(api);
  admin = client(api.url, api.adminToken);
  const r = await admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  expect(r.status).toBe(201);
});

afterAll(async () => {
  await namespaces?.stop();
  await api?.stop();
  await etcd?.stop();
});

interface Case {
  plural: string;
  collection: () => string;
  make: (name: string) => Record<string, unknown>;
}

const CASES: Case[] = [
  {
    plural: 'namespaces',
    collection: () => '/api/v1/namespaces',
    make: (name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
  },
  {
    plural: 'nodes',
    collection: () => '/api/v1/nodes',
    make: (name) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { unschedulable: false } }),
  },
  {
    plural: 'pods',
    collection: () => `/api/v1/namespaces/${ns}/pods`,
    make: (name) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
    }),
  },
  {
    plural: 'events',
    collection: () => `/api/v1/namespaces/${ns}/events`,
    make: (name) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name },
      involvedObject: { kind: 'Pod', namespace: ns, name: 'p' },
      reason: 'Scheduled',
      message: 'assigned',
      type: 'Normal',
      count: 1,
    }),
  },
  {
    plural: 'leases',
    collection: () => `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`,
    make: (name) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec: { holderIdentity: 'a', leaseDurationSeconds: 40 } }),
  },
];

describe.each(CASES)('$plural round trip', (c) => {
  it('create, get, list, update, patch (merge and JSON), delete — and a watch sees it all in order', async () => {
    const name = `rt-${c.plural}-${Date.now().toString(36)}`;
    const path = `${c.collection()}/${name}`;
    const list0 = await admin.get(c.collection());
    expect(list0.status).toBe(200);
    const listRV = (list0.body.metadata as { resourceVersion: string }).resourceVersion;
    expect(Number(listRV)).toBeGreaterThan(0);
    const watch = await openWatch(api.url, `${c.collection()}?watch=1&resourceVersion=${listRV}&fieldSelector=metadata.name%3D${name}`, api.adminToken);
    try {
      const created = await admin.post(c.collection(), c.make(name));
      expect(created.status, created.text).toBe(201);
      const meta = created.body.metadata;
      expect(meta.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(meta.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Number(meta.resourceVersion)).toBeGreaterThan(Number(listRV));
      expect(meta.generation).toBe(1);

      const got = await admin.get(path);
      expect(got.status).toBe(200);
      expect(got.body.metadata.uid).toBe(meta.uid);
      expect(got.body.metadata.resourceVersion).toBe(meta.resourceVersion);

      const list = await admin.get<{ items: KubeObject[]; metadata: { resourceVersion: string } }>(c.collection());
      expect(list.body.items.map((i) => i.metadata.name)).toContain(name);
      expect(Number(list.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(meta.resourceVersion));

      const put = await admin.put(path, { ...got.body, metadata: { ...got.body.metadata, labels: { step: 'put' } } });
      expect(put.status, put.text).toBe(200);
      expect(put.body.metadata.labels).toEqual({ step: 'put' });
      expect(Number(put.body.metadata.resourceVersion)).toBeGreaterThan(Number(meta.resourceVersion));
      expect(put.body.metadata.uid).toBe(meta.uid);

      const merge = await admin.patch(path, { metadata: { labels: { step: 'merge', extra: 'x' } } });
      expect(merge.status, merge.text).toBe(200);
      expect(merge.body.metadata.labels).toEqual({ step: 'merge', extra: 'x' });

      const jp = await admin.patch(path, [{ op: 'add', path: '/metadata/annotations', value: { note: 'json-patch' } }, { op: 'remove', path: '/metadata/labels/extra' }], 'application/json-patch+json');
      expect(jp.status, jp.text).toBe(200);
      expect(jp.body.metadata.annotations).toEqual({ note: 'json-patch' });
      expect(jp.body.metadata.labels).toEqual({ step: 'merge' });

      const del = await admin.del(path);
      expect(del.status, del.text).toBe(200);
      // A namespace first turns Terminating (one more MODIFIED); the namespace controller
      // writes its conditions (MODIFIED again) and finalizes it, and then it goes.
      const terminating = c.plural === 'namespaces';
      if (terminating) await eventually(async () => (await admin.get(path)).status === 404, `namespace ${name} gone`);
      expect((await admin.get(path)).status).toBe(404);

      const gone = await eventually(() => watch.events.find((e) => e.type === 'DELETED'), `the DELETED event of ${name}`);
      const events = watch.events.slice(0, watch.events.indexOf(gone) + 1);
      const want = ['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED', ...(terminating ? ['MODIFIED', 'MODIFIED'] : []), 'DELETED'];
      expect(events.map((e) => e.type)).toEqual(want);
      if (terminating) {
        expect(events[4].object.status).toEqual({ phase: 'Terminating' });
        expect(events[5].object.status).toMatchObject({ phase: 'Terminating', conditions: expect.arrayContaining([expect.objectContaining({ type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved' })]) });
      }
      const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
      for (let i = 1; i < rvs.length; i++) expect(rvs[i]).toBeGreaterThan(rvs[i - 1]);
      expect(rvs[0]).toBe(Number(meta.resourceVersion));
      expect(events[3].object.metadata.annotations).toEqual({ note: 'json-patch' });
      expect(events.every((e) => e.object.metadata.name === name)).toBe(true);
    } finally {
      watch.close();
    }
  });
});

describe('optimistic concurrency', () => {
  it('two writers updating one pod from the same resourceVersion: one wins, the other gets 409', async () => {
    const c = CASES[2];
    const name = `race-${Date.now().toString(36)}`;
    const created = await admin.post(c.collection(), c.make(name));
    expect(created.status).toBe(201);
    const base = created.body;
    const writers = ['a', 'b'].map((who) => admin.put(`${c.collection()}/${name}`, { ...base, metadata: { ...base.metadata, labels: { writer: who } } }));
    const results = await Promise.all(writers);
    const codes = results.map((r) => r.status).sort();
    expect(codes).toEqual([200, 409]);
    const loser = results.find((r) => r.status === 409);
    expect(loser?.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409 });
    const winner = results.find((r) => r.status === 200);
    const now = await admin.get(`${c.collection()}/${name}`);
    expect(now.body.metadata.labels).toEqual(winner?.body.metadata.labels);
  });

  it('an update with a stale resourceVersion is refused even when it comes later', async () => {
    const c = CASES[1];
    const name = `stale-${Date.now().toString(36)}`;
    const created = await admin.post(c.collection(), c.make(name));
    const first = await admin.put(`${c.collection()}/${name}`, { ...created.body, spec: { unschedulable: true } });
    expect(first.status).toBe(200);
    expect(first.body.metadata.generation).toBe(2);
    const second = await admin.put(`${c.collection()}/${name}`, { ...created.body, metadata: { ...created.body.metadata, labels: { late: 'yes' } } });
    expect(second.status).toBe(409);
    const patchStale = await admin.patch(`${c.collection()}/${name}`, { metadata: { resourceVersion: created.body.metadata.resourceVersion, labels: { late: 'yes' } } });
    expect(patchStale.status).toBe(409);
  });
});
