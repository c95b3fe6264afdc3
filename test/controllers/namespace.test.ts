// Namespace lifecycle against real parts: a real API server on a real etcd, the namespace and
// ServiceAccount controllers with the controller-manager's own token, a hollow node that
// confirms graceful pod deletions as a kubelet does, and kubectl 1.33. A namespace with pods
// (bound and unscheduled), ConfigMaps, Secrets, ServiceAccounts, Leases and a ReplicaSet is emptied and
// removed; while a finalizer holds one ConfigMap it stays Terminating with Kubernetes'
// conditions, refuses new content with Kubernetes' 403, and a restarted controller finishes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isApiError } from '../../api/errors.js';
import type { Namespace, Pod } from '../../api/types/core.js';
import type { KubeObject } from '../../api/types/meta.js';
import { RestClient } from '../../client/rest.js';
import { ServiceAccountController } from '../../controllers/service-account/controller.js';
import { haveKubectl, KUBECTL, startKubectlCluster, type KubectlCluster } from '../compat/kubectl-harness.js';
import { eventually } from '../fixtures/eventually.js';
import { startHollowNodes, type HollowNodes } from '../fixtures/hollow-nodes.js';
import { startNamespaceController, type NamespaceControllerFixture } from '../fixtures/namespace-controller.js';

if (!haveKubectl) console.warn(`kubectl not found at ${KUBECTL}: skipping the namespace lifecycle suite (test/controllers/namespace.test.ts)`);

const HOLD = 'example.com/hold';
const K133 = { version: '1.33' };

describe.skipIf(!haveKubectl)('namespace lifecycle', () => {
  let c: KubectlCluster;
  let manager: RestClient;
  let nodes: HollowNodes;
  let namespaces: NamespaceControllerFixture | undefined;
  let serviceAccounts: ServiceAccountController | undefined;

  beforeAll(async () => {
    c = await startKubectlCluster();
    manager = new RestClient({ server: c.api.url, token: c.api.controllerManagerToken, namespace: 'default' });
    nodes = await startHollowNodes({ client: c.admin, count: 1, finishDeletion: true });
    namespaces = await startNamespaceController(c.api);
    serviceAccounts = new ServiceAccountController({ client: manager });
    await serviceAccounts.start();
  }, 60_000);

  afterAll(async () => {
    await serviceAccounts?.stop();
    await namespaces?.stop();
    await nodes?.stop({ deleteNodes: true });
    manager?.close();
    await c?.stop();
  });

  const list = async (plural: string, ns: string, group = '') => (await c.admin.resourceByName(plural, group).list({ namespace: ns })).items;
  const getNs = (name: string) => c.admin.namespaces.get(name).catch((e: unknown) => (isApiError(e, 'NotFound') ? undefined : Promise.reject(e)));

  it('empties a namespace, Terminating meanwhile; creates are refused; a restarted controller finishes; kubectl delete --wait returns once it is gone', async () => {
    const ns = `doomed-${process.pid}`;
    await c.admin.namespaces.create({ metadata: { name: ns } });
    const pod = (name: string, nodeName?: string): Pod => ({ metadata: { name, namespace: ns }, spec: { containers: [{ name: 'app', image: 'busybox' }], ...(nodeName ? { nodeName } : {}) } });
    for (const name of ['bound-0', 'bound-1']) await c.admin.pods.create(pod(name, nodes.names[0]));
    await c.admin.pods.create(pod('unscheduled'));
    await eventually(async () => (await list('pods', ns)).filter((p) => (p as Pod).status?.phase === 'Running').length === 2, 'the bound pods Running');
    const make = (plural: string, body: KubeObject, group = '') => c.admin.resourceByName(plural, group).create(body, { namespace: ns });
    await make('configmaps', { metadata: { name: 'held', namespace: ns, finalizers: [HOLD] }, data: { a: '1' } } as KubeObject);
    await make('configmaps', { metadata: { name: 'free', namespace: ns } } as KubeObject);
    await make('secrets', { metadata: { name: 's', namespace: ns }, stringData: { k: 'v' } } as KubeObject);
    await make('serviceaccounts', { metadata: { name: 'builder', namespace: ns } } as KubeObject);
    await make('leases', { metadata: { name: 'l', namespace: ns }, spec: {} } as KubeObject, 'coordination.k8s.io');
    // A workload kind too: every namespaced kind of the resource table is emptied, none named here.
    const template = { metadata: { labels: { app: 'w' } }, spec: { containers: [{ name: 'app', image: 'busybox' }] } };
    await make('replicasets', { metadata: { name: 'w', namespace: ns }, spec: { replicas: 0, selector: { matchLabels: { app: 'w' } }, template } } as KubeObject, 'apps');
    await eventually(async () => (await list('serviceaccounts', ns)).length === 2, 'default and builder');

    // Every pod event of the namespace, to see the bound ones go gracefully.
    const watchAbort = new AbortController();
    const podEvents: { type: string; name: string; terminating: boolean }[] = [];
    const watching = (async () => {
      const events = await c.admin.pods.watch({ namespace: ns, resourceVersion: '0', signal: watchAbort.signal });
      for await (const ev of events) {
        if (ev.type !== 'BOOKMARK' && ev.type !== 'ERROR') podEvents.push({ type: ev.type, name: ev.object.metadata.name ?? '', terminating: Boolean(ev.object.metadata.deletionTimestamp) });
      }
    })().catch(() => undefined);

    const deleting = c.kubectl(['delete', 'namespace', ns, '--wait'], K133);
    const rows = await eventually(async () => {
      const r = await c.kubectl(['get', 'ns', ns], K133);
      return r.code === 0 && /Terminating/.test(r.stdout) ? r.stdout : undefined;
    }, `kubectl get ns ${ns} showing Terminating`);
    expect(rows).toMatch(new RegExp(`^NAME\\s+STATUS\\s+AGE\\n${ns}\\s+Terminating\\s+\\d+s\\n$`));

    // Everything but the held ConfigMap goes; the conditions say what holds the namespace.
    const held = await eventually(async () => {
      const n = await getNs(ns);
      const remaining = n?.status?.conditions?.find((x) => x.type === 'NamespaceContentRemaining');
      return remaining?.message === 'Some resources are remaining: configmaps. has 1 resource instances' ? n : undefined;
    }, 'the namespace waiting on the held ConfigMap only');
    expect(held.status?.phase).toBe('Terminating');
    expect(held.spec?.finalizers).toEqual(['kubernetes']);
    const cond = Object.fromEntries((held.status?.conditions ?? []).map((x) => [x.type, [x.status, x.reason, x.message]]));
    expect(cond).toEqual({
      NamespaceDeletionDiscoveryFailure: ['False', 'ResourcesDiscovered', 'All resources successfully discovered'],
      NamespaceDeletionGroupVersionParsingFailure: ['False', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
      NamespaceDeletionContentFailure: ['False', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
      NamespaceContentRemaining: ['True', 'SomeResourcesRemain', 'Some resources are remaining: configmaps. has 1 resource instances'],
      NamespaceFinalizersRemaining: ['True', 'SomeFinalizersRemain', `Some content in the namespace has finalizers remaining: ${HOLD} in 1 resource instances`],
    });
    for (const [plural, group] of [['pods', ''], ['secrets', ''], ['serviceaccounts', ''], ['leases', 'coordination.k8s.io'], ['replicasets', 'apps']]) {
      expect(await list(plural, ns, group), plural).toEqual([]);
    }
    expect((await list('configmaps', ns)).map((o) => o.metadata.name)).toEqual(['held']);

    // Nothing new in it: Kubernetes' NamespaceLifecycle refusal, through kubectl and the API.
    const refused = await c.kubectl(['create', 'configmap', 'late', '-n', ns, '--from-literal=a=b'], K133);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(`error: failed to create configmap: configmaps "late" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`);
    const err = await c.admin.resourceByName('secrets', '').create({ metadata: { name: 'late', namespace: ns } } as KubeObject, { namespace: ns }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message: `secrets "late" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
      details: { name: 'late', kind: 'secrets', causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }] },
    });
    // The ServiceAccount controller leaves the terminating namespace without its `default`.
    await serviceAccounts?.idle();
    expect(await list('serviceaccounts', ns)).toEqual([]);

    // The controller-manager restarts mid-way; the new one picks the namespace up and finishes.
    await namespaces?.stop();
    namespaces = undefined;
    await c.admin.resourceByName('configmaps', '').patch('held', { metadata: { finalizers: null } }, { namespace: ns });
    expect(await getNs(ns)).toBeDefined();
    namespaces = await startNamespaceController(c.api);

    const deleted = await deleting;
    expect(deleted, deleted.stderr).toMatchObject({ code: 0, stdout: `namespace "${ns}" deleted\n` });
    expect(await getNs(ns)).toBeUndefined();
    for (const plural of ['pods', 'configmaps', 'secrets', 'serviceaccounts']) expect(await list(plural, ns), plural).toEqual([]);
    expect(await list('leases', ns, 'coordination.k8s.io')).toEqual([]);
    const late = await c.admin.resourceByName('configmaps', '').create({ metadata: { name: 'late', namespace: ns } } as KubeObject, { namespace: ns }).catch((e: unknown) => e);
    expect(late).toMatchObject({ code: 404, reason: 'NotFound', message: `namespaces "${ns}" not found` });

    // The bound pods went gracefully (marked, then confirmed by their node); the unscheduled one at once.
    watchAbort.abort();
    await watching;
    for (const name of ['bound-0', 'bound-1']) {
      const seen = podEvents.filter((e) => e.name === name);
      expect(seen.findIndex((e) => e.type === 'MODIFIED' && e.terminating), name).toBeGreaterThanOrEqual(0);
      expect(seen.at(-1)?.type, name).toBe('DELETED');
    }
    expect(podEvents.filter((e) => e.name === 'unscheduled').map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
  }, 120_000);

  it('DELETE keeps its own rules: preconditions, dryRun, a second DELETE changing nothing, no binding, and finalize as the only way to change spec.finalizers', async () => {
    const ns = `rules-${process.pid}`;
    const created = await c.admin.namespaces.create({ metadata: { name: ns }, spec: { finalizers: ['example.com/mine'] } });
    expect(created.spec?.finalizers).toEqual(['example.com/mine', 'kubernetes']);
    // An update cannot drop them; only namespaces/finalize can.
    const put = await c.admin.namespaces.update({ ...created, spec: { finalizers: [] } });
    expect(put.spec?.finalizers).toEqual(['example.com/mine', 'kubernetes']);

    const conflict = await c.admin.namespaces.delete(ns, { preconditions: { uid: 'not-its-uid' } }).catch((e: unknown) => e);
    expect(conflict).toMatchObject({ code: 409, reason: 'Conflict' });
    const dry = await c.kubectl(['delete', 'ns', ns, '--dry-run=server'], K133);
    expect(dry, dry.stderr).toMatchObject({ code: 0 });
    expect((await getNs(ns))?.metadata.deletionTimestamp).toBeUndefined();

    await c.admin.pods.create({ metadata: { name: 'unbound', namespace: ns, finalizers: ['example.com/keep'] }, spec: { containers: [{ name: 'app', image: 'busybox' }] } });
    const first = (await c.admin.namespaces.delete(ns)) as Namespace;
    expect([first.status?.phase, typeof first.metadata.deletionTimestamp]).toEqual(['Terminating', 'string']);
    // At once, whatever the watch cache has seen yet.
    const racing = await c.admin.resourceByName('configmaps', '').create({ metadata: { generateName: 'racing-', namespace: ns } } as KubeObject, { namespace: ns }).catch((e: unknown) => e);
    expect(racing).toMatchObject({ code: 403, message: `configmaps "racing-" is forbidden: unable to create new content in namespace ${ns} because it is being terminated` });
    // A binding is a create too: the scheduler cannot place a pod there any more.
    const binding = await c.admin.bindPod(ns, 'unbound', nodes.names[0]).catch((e: unknown) => e);
    expect(binding).toMatchObject({ code: 403, message: `pods "unbound" is forbidden: unable to create new content in namespace ${ns} because it is being terminated` });
    await c.admin.pods.patch('unbound', { metadata: { finalizers: null } }, { namespace: ns });
    // The controller finalizes its part; example.com/mine still holds the namespace.
    const waiting = await eventually(async () => {
      const n = await getNs(ns);
      return n?.spec?.finalizers?.length === 1 ? n : undefined;
    }, 'the kubernetes finalizer removed');
    expect(waiting.spec?.finalizers).toEqual(['example.com/mine']);
    const again = (await c.admin.namespaces.delete(ns)) as Namespace;
    expect(again.metadata.resourceVersion).toBe(waiting.metadata.resourceVersion);
    // A status write must keep the phase with deletionTimestamp.
    const bad = await c.admin.namespaces.updateStatus({ ...waiting, status: { ...waiting.status, phase: 'Active' } }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 422, details: { causes: [{ field: 'status.Phase', message: expect.stringContaining('may only be in terminating status') }] } });
    // Whoever owns example.com/mine finalizes too; then the namespace goes.
    await c.admin.namespaces.update({ ...waiting, spec: { finalizers: [] } }, { subresource: 'finalize' });
    expect(await getNs(ns)).toBeUndefined();
  }, 60_000);

  it("DELETE's propagation policy puts the garbage collector's finalizer on the namespace, as kube's namespace storage does", async () => {
    const del = (name: string, body: object) => c.admin.request<Namespace>({ method: 'DELETE', path: c.admin.namespaces.path({ name }), body: { kind: 'DeleteOptions', apiVersion: 'v1', ...body } });
    for (const [policy, finalizers] of [[{ propagationPolicy: 'Orphan' }, ['orphan']], [{ propagationPolicy: 'Foreground' }, ['foregroundDeletion']], [{ orphanDependents: true }, ['orphan']], [{ propagationPolicy: 'Background' }, undefined]] as const) {
      const ns = `policy-${process.pid}-${Object.values(policy)[0]}`.toLowerCase();
      await c.admin.namespaces.create({ metadata: { name: ns } });
      const marked = await del(ns, policy);
      expect([marked.status?.phase, marked.metadata.finalizers], JSON.stringify(policy)).toEqual(['Terminating', finalizers]);
      // The namespace controller finalizes its part; the garbage collector's finalizer (no GC runs here) still holds it.
      if (finalizers) {
        await eventually(async () => (await getNs(ns))?.spec?.finalizers?.length === 0, `${ns} finalized`);
        expect(await getNs(ns)).toBeDefined();
        await c.admin.namespaces.patch(ns, { metadata: { finalizers: null } });
      }
      await eventually(async () => (await getNs(ns)) === undefined, `${ns} gone`);
    }
  }, 60_000);
});
