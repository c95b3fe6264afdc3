// An informer from @kubernetes/client-node (the official JavaScript client) against skiff's
// API server over HTTPS, configured from a kubeconfig file in kubectl's format (server, CA,
// admin token): it lists, then watches pods and fires add, update and delete for every change,
// in order, and its cache ends up equal to the server's list; a label-selected informer sees
// pods leave and enter its selection; KubernetesObjectApi works on any kind via discovery.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, makeInformer, setHeaderOptions, type Informer, type ObjectCache, type V1Lease, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { eventually as eventuallyWithin } from '../fixtures/eventually.js';

let etcd: EtcdFixture;
let api: ApiServerFixture;
let dir: string;
let kc: KubeConfig;

beforeAll(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcd, inProcess: true, tls: true });
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-client-node-'));
  const file = path.join(dir, 'kubeconfig');
  await writeKubeconfig(file, buildKubeconfig({ server: api.httpsUrl as string, ca: await readFile(api.caFile as string), token: api.adminToken, name: 'compat' }));
  kc = new KubeConfig();
  kc.loadFromFile(file);
});

afterAll(async () => {
  await api?.stop();
  await etcd?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const eventually = (check: () => boolean, what: string, timeoutMs = 10_000) => eventuallyWithin(check, what, timeoutMs, { intervalMs: 50 });

describe('@kubernetes/client-node informer', () => {
  it('lists and watches pods and sees every change, in order', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const ns = `compat-${process.pid}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    // One pod exists before the informer starts: the initial list must deliver it as an add.
    const pod = (name: string): V1Pod => ({ metadata: { name, namespace: ns, labels: { app: 'compat' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    await core.createNamespacedPod({ namespace: ns, body: pod('pod-a') });

    const informer: Informer<V1Pod> & ObjectCache<V1Pod> = makeInformer(kc, `/api/v1/namespaces/${ns}/pods`, () => core.listNamespacedPod({ namespace: ns }));
    const events: string[] = [];
    const errors: unknown[] = [];
    informer.on('add', (p) => events.push(`add ${p.metadata?.name}`));
    informer.on('update', (p) => events.push(`update ${p.metadata?.name} tier=${p.metadata?.labels?.tier ?? ''}`));
    informer.on('delete', (p) => events.push(`delete ${p.metadata?.name}`));
    informer.on('error', (err) => errors.push(err));
    await informer.start();
    try {
      await eventually(() => events.length === 1, 'the initial list');
      expect(events).toEqual(['add pod-a']);

      await core.createNamespacedPod({ namespace: ns, body: pod('pod-b') });
      await core.createNamespacedPod({ namespace: ns, body: pod('pod-c') });
      await eventually(() => events.length === 3, `adds from the watch (${events.join(', ')})`);

      const b = await core.readNamespacedPod({ name: 'pod-b', namespace: ns });
      b.metadata = { ...b.metadata, labels: { ...b.metadata?.labels, tier: 'front' } };
      await core.replaceNamespacedPod({ name: 'pod-b', namespace: ns, body: b });
      await eventually(() => events.length === 4, `the update (${events.join(', ')})`);

      // Not bound to a node, so the pod goes at once (no kubelet has to confirm it).
      await core.deleteNamespacedPod({ name: 'pod-c', namespace: ns });
      await eventually(() => events.length >= 5 && informer.list(ns).length === 2, `the delete (${events.join(', ')})`);

      expect(events).toEqual(['add pod-a', 'add pod-b', 'add pod-c', 'update pod-b tier=front', 'delete pod-c']);
      expect(errors).toEqual([]);

      // The cache is the server's list: same names, same resourceVersions, same labels.
      const list = await core.listNamespacedPod({ namespace: ns });
      const summary = (pods: readonly V1Pod[]) =>
        pods.map((p) => ({ name: p.metadata?.name, rv: p.metadata?.resourceVersion, labels: p.metadata?.labels })).sort((x, y) => String(x.name).localeCompare(String(y.name)));
      expect(summary(informer.list(ns))).toEqual(summary(list.items));
      expect(summary(list.items).map((p) => p.name)).toEqual(['pod-a', 'pod-b']);
      expect(informer.get('pod-b', ns)?.metadata?.labels).toEqual({ app: 'compat', tier: 'front' });
      expect(informer.get('pod-c', ns)).toBeUndefined();
    } finally {
      await informer.stop();
    }
  });

  it('with a label selector: a pod patched out of the selection is a delete, patched back in an add', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const ns = `compat-sel-${process.pid}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const pod = (name: string, tier: string): V1Pod => ({ metadata: { name, namespace: ns, labels: { tier } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    const informer = makeInformer(kc, `/api/v1/namespaces/${ns}/pods`, () => core.listNamespacedPod({ namespace: ns, labelSelector: 'tier=front' }), 'tier=front');
    const events: string[] = [];
    informer.on('add', (p) => events.push(`add ${p.metadata?.name}`));
    informer.on('update', (p) => events.push(`update ${p.metadata?.name}`));
    informer.on('delete', (p) => events.push(`delete ${p.metadata?.name}`));
    await informer.start();
    try {
      await core.createNamespacedPod({ namespace: ns, body: pod('front-1', 'front') });
      await core.createNamespacedPod({ namespace: ns, body: pod('back-1', 'back') });
      await eventually(() => events.length >= 1, 'the add');
      const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
      await core.patchNamespacedPod({ name: 'front-1', namespace: ns, body: { metadata: { labels: { tier: 'back' } } } }, merge);
      await eventually(() => events.length >= 2, `the delete (${events.join(', ')})`);
      expect(informer.list(ns)).toEqual([]);
      await core.patchNamespacedPod({ name: 'back-1', namespace: ns, body: { metadata: { labels: { tier: 'front' } } } }, merge);
      await eventually(() => events.length >= 3, `the add (${events.join(', ')})`);
      expect(events).toEqual(['add front-1', 'delete front-1', 'add back-1']);
      expect(informer.list(ns).map((p) => p.metadata?.name)).toEqual(['back-1']);
    } finally {
      await informer.stop();
    }
  });

  it('KubernetesObjectApi (kind-generic, through discovery) creates, reads, patches, lists and deletes', async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const pod: V1Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'generic', namespace: 'default', labels: { via: 'object-api' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } };
    const created = await objects.create(pod);
    expect(created.metadata?.uid).toBeTruthy();
    // The default patch is a strategic merge patch: the container list merges by name.
    const patched = await objects.patch<V1Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'generic', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox:1.37' }] } });
    expect(patched.spec?.containers.map((c) => [c.name, c.image])).toEqual([['c', 'busybox:1.37']]);
    expect(patched.metadata?.labels).toEqual({ via: 'object-api' });
    const read = await objects.read<V1Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'generic', namespace: 'default' } });
    expect(read.metadata?.resourceVersion).toBe(patched.metadata?.resourceVersion);
    // A kind of another API group, found through /apis discovery.
    const lease: V1Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'generic', namespace: 'default' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 15 } };
    await objects.create(lease);
    const leases = await objects.list<V1Lease>('coordination.k8s.io/v1', 'Lease', 'default');
    expect(leases.items.map((l) => [l.metadata?.name, l.spec?.holderIdentity])).toEqual([['generic', 'me']]);
    const pods = await objects.list<V1Pod>('v1', 'Pod', 'default', undefined, undefined, undefined, undefined, 'via=object-api');
    expect(pods.items.map((p) => p.metadata?.name)).toEqual(['generic']);
    await objects.delete(pod);
    await expect(objects.read<V1Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'generic', namespace: 'default' } })).rejects.toMatchObject({ code: 404 });
  });
});
