// The garbage collector against a real API server on a real etcd, running with the
// controller-manager's own token (so its role is proven too), and the real kubectl:
// ConfigMaps and pods owned by ConfigMaps, deleted with each propagationPolicy.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isApiError } from '../../api/errors.js';
import type { Event } from '../../api/types/core.js';
import type { KubeObject, OwnerReference, Status } from '../../api/types/meta.js';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import type { RestClient} from '../../client/rest.js';
import { type ResourceClient } from '../../client/rest.js';
import { GarbageCollector } from '../../controllers/garbage-collector/controller.js';
import { haveKubectl, startKubectlCluster, type KubectlCluster } from '../compat/kubectl-harness.js';
import { eventually } from '../fixtures/eventually.js';
import { outputsOf, startSkiff } from '../fixtures/process.js';

const NS = 'gc';

describe.skipIf(!haveKubectl)('garbage collector', () => {
  let cluster: KubectlCluster;
  let admin: RestClient;
  let manager: RestClient;
  let gc: GarbageCollector;
  let configMaps: ResourceClient<KubeObject>;
  let pods: ResourceClient<KubeObject>;

  const ownerRef = (o: KubeObject, extra: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: 'v1', kind: o.kind ?? '', name: o.metadata.name ?? '', uid: o.metadata.uid ?? '', ...extra });
  const configMap = (name: string, ownerReferences?: OwnerReference[], finalizers?: string[], namespace = NS) =>
    configMaps.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, ownerReferences, finalizers } }, { namespace });
  const pod = (name: string, ownerReferences: OwnerReference[]) =>
    pods.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, ownerReferences }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } as KubeObject, { namespace: NS });
  const find = (r: ResourceClient<KubeObject>, name: string, namespace = NS) => r.get(name, { namespace }).catch((e: unknown) => (isApiError(e, 'NotFound') ? undefined : Promise.reject(e)));
  const gone = async (r: ResourceClient<KubeObject>, name: string, namespace = NS) => (await find(r, name, namespace)) === undefined;
  const waitGone = (r: ResourceClient<KubeObject>, name: string, namespace = NS) => eventually(() => gone(r, name, namespace), `${r.info.plural} ${namespace}/${name} gone`, 20_000);
  // A controller's reference, as the Deployment and ReplicaSet controllers write them.
  const ref = (o: KubeObject): OwnerReference => ({ apiVersion: o.apiVersion ?? '', kind: o.kind ?? '', name: o.metadata.name ?? '', uid: o.metadata.uid ?? '', controller: true, blockOwnerDeletion: true });
  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
  const release = (name: string) => configMaps.patch(name, { metadata: { finalizers: null } }, { namespace: NS });

  beforeAll(async () => {
    cluster = await startKubectlCluster();
    admin = cluster.admin;
    manager = cluster.client(cluster.api.controllerManagerToken);
    for (const name of [NS, `${NS}-other`]) await admin.namespaces.create({ metadata: { name } });
    configMaps = admin.resourceByName('configmaps');
    pods = admin.resourceByName('pods');
    gc = new GarbageCollector({ client: manager });
    await gc.start();
  });
  afterAll(async () => {
    await gc?.stop();
    await cluster?.stop();
  });

  it('Background (the default): the owner goes at once, then its ConfigMap and pod dependents', async () => {
    const owner = await configMap('bg-owner');
    await configMap('bg-cm', [ownerRef(owner)]);
    await pod('bg-pod', [ownerRef(owner, { controller: true, blockOwnerDeletion: true })]);
    const answer = await configMaps.delete('bg-owner', { namespace: NS });
    expect(answer.kind).toBe('ConfigMap');
    expect(await gone(configMaps, 'bg-owner')).toBe(true);
    await waitGone(configMaps, 'bg-cm');
    await waitGone(pods, 'bg-pod');
  });

  it('Foreground: the owner stays readable with deletionTimestamp until its blocking dependents are gone', async () => {
    const owner = await configMap('fg-owner');
    // Held by a finalizer of the test's own, so the wait is seen: one blocks its owner, one does not.
    await configMap('fg-blocking', [ownerRef(owner, { blockOwnerDeletion: true })], ['example.com/hold']);
    await configMap('fg-free', [ownerRef(owner)], ['example.com/hold']);
    await pod('fg-pod', [ownerRef(owner, { blockOwnerDeletion: true })]);
    const answer = await configMaps.delete('fg-owner', { namespace: NS, propagationPolicy: 'Foreground' });
    expect(answer.metadata).toMatchObject({ deletionTimestamp: expect.any(String), finalizers: ['foregroundDeletion'] });
    // Every dependent is deleted; the held ones wait, marked.
    await waitGone(pods, 'fg-pod');
    for (const name of ['fg-blocking', 'fg-free']) await eventually(async () => (await find(configMaps, name))?.metadata.deletionTimestamp, `${name} being deleted`, 20_000);
    await gc.idle();
    const waiting = await find(configMaps, 'fg-owner');
    expect(waiting?.metadata).toMatchObject({ deletionTimestamp: expect.any(String), finalizers: ['foregroundDeletion'] });
    // A dependent without blockOwnerDeletion does not hold its owner.
    await release('fg-free');
    await waitGone(configMaps, 'fg-free');
    await gc.idle();
    expect(await find(configMaps, 'fg-owner')).toBeDefined();
    await release('fg-blocking');
    await waitGone(configMaps, 'fg-blocking');
    await waitGone(configMaps, 'fg-owner');
  });

  it('Orphan: the owner goes and its dependents stay, without their reference to it', async () => {
    const owner = await configMap('or-owner');
    const keeper = await configMap('or-keeper');
    await configMap('or-cm', [ownerRef(owner), ownerRef(keeper)]);
    await pod('or-pod', [ownerRef(owner, { controller: true, blockOwnerDeletion: true })]);
    const answer = await configMaps.delete('or-owner', { namespace: NS, propagationPolicy: 'Orphan' });
    expect(answer.metadata).toMatchObject({ deletionTimestamp: expect.any(String), finalizers: ['orphan'] });
    await waitGone(configMaps, 'or-owner');
    await gc.idle();
    expect((await find(configMaps, 'or-cm'))?.metadata.ownerReferences).toEqual([ownerRef(keeper)]);
    expect((await find(pods, 'or-pod'))?.metadata.ownerReferences ?? []).toEqual([]);
  });

  it('a chain of three: Background removes all; Foreground removes them from the bottom up', async () => {
    const a = await configMap('chain-a');
    const b = await configMap('chain-b', [ownerRef(a)]);
    await configMap('chain-c', [ownerRef(b)]);
    await configMaps.delete('chain-a', { namespace: NS });
    for (const name of ['chain-b', 'chain-c']) await waitGone(configMaps, name);

    const fa = await configMap('fchain-a');
    const fb = await configMap('fchain-b', [ownerRef(fa, { blockOwnerDeletion: true })]);
    await configMap('fchain-c', [ownerRef(fb, { blockOwnerDeletion: true })], ['example.com/hold']);
    await configMaps.delete('fchain-a', { namespace: NS, propagationPolicy: 'Foreground' });
    // The middle one has a dependent of its own, so it too is deleted in the foreground.
    await eventually(async () => (await find(configMaps, 'fchain-c'))?.metadata.deletionTimestamp, 'fchain-c being deleted', 20_000);
    await gc.idle();
    for (const name of ['fchain-a', 'fchain-b']) {
      expect((await find(configMaps, name))?.metadata, name).toMatchObject({ deletionTimestamp: expect.any(String), finalizers: ['foregroundDeletion'] });
    }
    await release('fchain-c');
    for (const name of ['fchain-c', 'fchain-b', 'fchain-a']) await waitGone(configMaps, name);
  });

  it('an object with two owners survives the deletion of one; an owner made again under the same name does not count', async () => {
    const one = await configMap('two-one');
    const other = await configMap('two-other');
    await configMap('two-dep', [ownerRef(one), ownerRef(other)]);
    await configMaps.delete('two-one', { namespace: NS });
    // Kept, and the reference to the gone owner is removed.
    await eventually(async () => (await find(configMaps, 'two-dep'))?.metadata.ownerReferences?.length === 1, 'the dangling reference removed', 20_000);
    expect((await find(configMaps, 'two-dep'))?.metadata.ownerReferences).toEqual([ownerRef(other)]);

    // Same name, another uid: the owner it names is gone.
    await configMaps.delete('two-other', { namespace: NS, propagationPolicy: 'Orphan' });
    await waitGone(configMaps, 'two-other');
    const stale = await configMap('stale-owner');
    await configMaps.delete('stale-owner', { namespace: NS });
    await configMap('stale-owner');
    await configMap('stale-dep', [ownerRef(stale)]);
    await waitGone(configMaps, 'stale-dep');
    expect(await find(configMaps, 'stale-owner')).toBeDefined();
  });

  it('a reference to a kind the server does not serve leaves the object alone; one into another namespace is reported and collected', async () => {
    await configMap('widget-dep', [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'widget-uid' }]);
    const elsewhere = await configMap('ns-owner', undefined, undefined, `${NS}-other`);
    await configMap('ns-dep', [ownerRef(elsewhere)]);
    await waitGone(configMaps, 'ns-dep');
    const events = admin.events;
    const warning = await eventually(async () => {
      const list = await events.list({ namespace: NS });
      return (list.items as Event[]).find((e) => e.reason === 'OwnerRefInvalidNamespace' && e.involvedObject.name === 'ns-dep');
    }, 'an OwnerRefInvalidNamespace event', 20_000);
    expect(warning).toMatchObject({ type: 'Warning', source: { component: 'garbage-collector-controller' } });
    expect(warning.message).toBe(`ownerRef [v1/ConfigMap, namespace: ${NS}, name: ns-owner, uid: ${elsewhere.metadata.uid}] does not exist in namespace "${NS}"`);
    expect(await find(configMaps, 'ns-owner', `${NS}-other`)).toBeDefined();
    await gc.idle();
    expect(await find(configMaps, 'widget-dep')).toBeDefined();
  });

  it('DELETE takes the policy from the query, refuses a bad one with its field path, and deletecollection honours it', async () => {
    const url = (path: string) => `${cluster.api.url}/api/v1/namespaces/${NS}/configmaps${path}`;
    const del = async (path: string, body?: object) => {
      const res = await fetch(url(path), { method: 'DELETE', headers: { authorization: `Bearer ${cluster.api.adminToken}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as KubeObject & Status };
    };
    const owner = await configMap('q-owner');
    await configMap('q-dep', [ownerRef(owner)]);
    const bad = await del('/q-owner?propagationPolicy=Sideways');
    expect(bad.status).toBe(422);
    expect(bad.body.details?.causes).toEqual([expect.objectContaining({ field: 'propagationPolicy', reason: 'FieldValueNotSupported' })]);
    const both = await del('/q-owner', { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan', orphanDependents: true });
    expect(both.status).toBe(422);
    expect(both.body.details?.causes?.[0]).toMatchObject({ field: 'propagationPolicy', message: expect.stringContaining('orphanDependents and deletionPropagation cannot be both set') });
    // A writer may set either finalizer itself, not both.
    const bothFinalizers = await failure(configMap('q-both', undefined, ['orphan', 'foregroundDeletion']));
    expect(bothFinalizers).toMatchObject({ code: 422, details: { causes: [expect.objectContaining({ field: 'metadata.finalizers', message: expect.stringContaining('finalizer orphan and foregroundDeletion cannot be both set') })] } });
    const orphaned = await del('/q-owner?propagationPolicy=Orphan');
    expect(orphaned.status).toBe(200);
    expect(orphaned.body.metadata.finalizers).toEqual(['orphan']);
    await waitGone(configMaps, 'q-owner');
    expect((await find(configMaps, 'q-dep'))?.metadata.ownerReferences ?? []).toEqual([]);

    // The old orphanDependents=false is Background.
    const old = await configMap('q-old');
    await configMap('q-old-dep', [ownerRef(old)]);
    expect((await del('/q-old?orphanDependents=false')).status).toBe(200);
    await waitGone(configMaps, 'q-old-dep');
    // ... answered 202 Accepted, as Kubernetes does, when the object has to wait for a finalizer.
    await configMap('q-held', undefined, ['example.com/hold']);
    expect((await del('/q-held?orphanDependents=false')).status).toBe(202);
    await release('q-held');

    // A collection: each object deleted as a single DELETE with these options would be.
    const owners = await Promise.all(['c1', 'c2'].map((n) => configMaps.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `coll-${n}`, namespace: NS, labels: { set: 'coll' } } }, { namespace: NS })));
    for (const o of owners) await configMap(`${o.metadata.name}-dep`, [ownerRef(o)]);
    const coll = await del('?labelSelector=set%3Dcoll', { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' });
    expect(coll.status).toBe(200);
    for (const o of owners) await waitGone(configMaps, o.metadata.name ?? '');
    await gc.idle();
    for (const o of owners) expect((await find(configMaps, `${o.metadata.name}-dep`))?.metadata.ownerReferences ?? []).toEqual([]);
  });

  it('a bound pod deleted in the foreground keeps its graceful deletion', async () => {
    const created = await pods.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'graceful', namespace: NS }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }] } } as KubeObject, { namespace: NS });
    const answer = (await pods.delete('graceful', { namespace: NS, propagationPolicy: 'Foreground' })) as KubeObject;
    expect(answer.metadata).toMatchObject({ deletionGracePeriodSeconds: 30, finalizers: ['foregroundDeletion'] });
    expect(Date.parse(answer.metadata.deletionTimestamp ?? '') - Date.now()).toBeGreaterThan(20_000);
    // The GC removes the finalizer (no dependents); the pod still waits for its kubelet.
    await eventually(async () => (await find(pods, 'graceful'))?.metadata.finalizers === undefined, 'the foregroundDeletion finalizer removed', 20_000);
    expect((await find(pods, 'graceful'))?.metadata.uid).toBe(created.metadata.uid);
    await pods.delete('graceful', { namespace: NS, gracePeriodSeconds: 0 });
    await waitGone(pods, 'graceful');
  });

  it('a collector started after the deletions finishes them: an orphaning owner and a dependent of a gone owner', async () => {
    await gc.stop();
    const owner = await configMap('late-owner');
    const gone = await configMap('late-gone');
    await configMap('late-dep', [ownerRef(owner)]);
    await configMap('late-garbage', [ownerRef(gone)]);
    await configMaps.delete('late-owner', { namespace: NS, propagationPolicy: 'Orphan' });
    await configMaps.delete('late-gone', { namespace: NS });
    await gc.idle();
    expect((await find(configMaps, 'late-owner'))?.metadata.finalizers).toEqual(['orphan']);
    gc = new GarbageCollector({ client: manager });
    await gc.start();
    await waitGone(configMaps, 'late-owner');
    await waitGone(configMaps, 'late-garbage');
    expect((await find(configMaps, 'late-dep'))?.metadata.ownerReferences ?? []).toEqual([]);
  });

  it('runs in `skiff controller-manager`', async () => {
    await gc.stop();
    const kubeconfig = path.join(cluster.dir, 'controller-manager.kubeconfig');
    await writeKubeconfig(kubeconfig, buildKubeconfig({ server: cluster.api.url, token: cluster.api.controllerManagerToken, name: 'controller-manager' }));
    const proc = startSkiff(['controller-manager', `--kubeconfig=${kubeconfig}`]);
    try {
      await eventually(() => proc.output().includes('controllers started'), 'the controller-manager started', 30_000);
      const owner = await configMap('proc-owner');
      await configMap('proc-dep', [ownerRef(owner)]);
      await configMaps.delete('proc-owner', { namespace: NS });
      await waitGone(configMaps, 'proc-dep');
      // `skiff delete --cascade`, as kubectl's.
      const kept = await configMap('cli-owner');
      await configMap('cli-dep', [ownerRef(kept)]);
      const skiff = async (...args: string[]) => outputsOf(startSkiff([...args, '-n', NS, `--kubeconfig=${cluster.env.KUBECONFIG}`]));
      expect(await skiff('delete', 'configmap', 'cli-owner', '--cascade=orphan')).toMatchObject({ code: 0, out: 'configmap "cli-owner" deleted\n' });
      expect(await gone(configMaps, 'cli-owner')).toBe(true);
      expect((await find(configMaps, 'cli-dep'))?.metadata.ownerReferences ?? []).toEqual([]);
      expect(await skiff('delete', 'configmap', 'cli-dep', '--cascade=sideways')).toMatchObject({ code: 1, err: expect.stringContaining('invalid cascade value (sideways). Must be "background", "foreground", or "orphan".') });
    } finally {
      await proc.stop();
    }
    gc = new GarbageCollector({ client: manager });
    await gc.start();
  });

  it('kubectl delete deployment leaves no ReplicaSet or pod; with --cascade=orphan they stay', async () => {
    const replicaSets = admin.resourceByName('replicasets', 'apps');
    const kubectl = (args: string[]) => cluster.kubectl(['-n', NS, ...args], { version: '1.33' });
    for (const name of ['web', 'kept']) {
      expect((await kubectl(['create', 'deployment', name, '--image=nginx:1.27'])).code).toBe(0);
      const deployment = await admin.resourceByName('deployments', 'apps').get(name, { namespace: NS });
      const labels = { app: name, 'pod-template-hash': 'abc' };
      const rs = await replicaSets.create({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: `${name}-abc`, namespace: NS, labels, ownerReferences: [ref(deployment)] },
        spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } } },
      } as KubeObject, { namespace: NS });
      await pod(`${name}-abc-1`, [ref(rs)]);
    }
    expect((await kubectl(['delete', 'deployment', 'web'])).stdout).toBe('deployment.apps "web" deleted\n');
    await waitGone(replicaSets, 'web-abc');
    await waitGone(pods, 'web-abc-1');

    expect((await kubectl(['delete', 'deployment', 'kept', '--cascade=orphan'])).stdout).toBe('deployment.apps "kept" deleted\n');
    await waitGone(admin.resourceByName('deployments', 'apps'), 'kept');
    await gc.idle();
    expect((await find(replicaSets, 'kept-abc'))?.metadata.ownerReferences ?? []).toEqual([]);
    expect((await find(pods, 'kept-abc-1'))?.metadata.ownerReferences?.map((r) => r.name)).toEqual(['kept-abc']);
  });

  it.each(['1.33', '1.27'])('kubectl %s delete --cascade=orphan keeps the dependents; --cascade=foreground waits for them', async (version) => {
    const v = version.replace('.', '');
    const owner = await configMap(`k${v}-owner`);
    await pod(`k${v}-pod`, [ownerRef(owner, { controller: true, blockOwnerDeletion: true })]);
    const orphan = await cluster.kubectl(['-n', NS, 'delete', 'configmap', `k${v}-owner`, '--cascade=orphan'], { version });
    expect(orphan.stderr).toBe('');
    expect(orphan.stdout).toBe(`configmap "k${v}-owner" deleted\n`);
    await waitGone(configMaps, `k${v}-owner`);
    await gc.idle();
    expect((await find(pods, `k${v}-pod`))?.metadata.ownerReferences ?? []).toEqual([]);

    const fg = await configMap(`k${v}-fg`);
    await configMap(`k${v}-fg-dep`, [ownerRef(fg, { blockOwnerDeletion: true })]);
    await pod(`k${v}-fg-pod`, [ownerRef(fg)]);
    // kubectl waits for the deletion by default: when it returns, the owner and its dependents are gone.
    const foreground = await cluster.kubectl(['-n', NS, 'delete', 'configmap', `k${v}-fg`, '--cascade=foreground'], { version });
    expect(foreground.stdout).toBe(`configmap "k${v}-fg" deleted\n`);
    expect(foreground.code).toBe(0);
    expect(await gone(configMaps, `k${v}-fg`)).toBe(true);
    expect(await gone(configMaps, `k${v}-fg-dep`)).toBe(true);
    await waitGone(pods, `k${v}-fg-pod`);

    const bg = await configMap(`k${v}-bg`);
    await configMap(`k${v}-bg-dep`, [ownerRef(bg)]);
    expect((await cluster.kubectl(['-n', NS, 'delete', 'configmap', `k${v}-bg`], { version })).code).toBe(0);
    await waitGone(configMaps, `k${v}-bg-dep`);
  });
});
