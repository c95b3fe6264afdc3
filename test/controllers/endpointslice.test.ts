// The EndpointSlice and Endpoints controllers against a real API server on a real etcd, with the
// controller-manager's own token (so its rights are proven too) and hollow nodes that run the
// pods and give each an IP: slices and Endpoints follow the pods' readiness, deletion and
// number; a named targetPort is resolved per pod; a selectorless Service's slices are left alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isApiError } from '../../api/errors.js';
import type { Pod } from '../../api/types/core.js';
import type { EndpointSlice, Endpoints, Service } from '../../api/types/service.js';
import { RestClient, type ResourceClient } from '../../client/rest.js';
import { EndpointsController } from '../../controllers/endpoints/controller.js';
import { EndpointSliceController } from '../../controllers/endpointslice/controller.js';
import { SharedInformers } from '../../controllers/shared-informers.js';
import { startApiCluster, type ApiCluster } from '../fixtures/apiserver.js';
import { eventually } from '../fixtures/eventually.js';
import { startHollowNodes, type HollowNodes } from '../fixtures/hollow-nodes.js';

const NS = 'default';

describe('EndpointSlice and Endpoints controllers', () => {
  let cluster: ApiCluster;
  let admin: RestClient;
  let manager: RestClient;
  let nodes: HollowNodes;
  let informers: SharedInformers;
  let slicesCtl: EndpointSliceController;
  let endpointsCtl: EndpointsController;
  let services: ResourceClient<Service>;
  let slices: ResourceClient<EndpointSlice>;
  let endpoints: ResourceClient<Endpoints>;
  let nextIP = 10;

  const slicesOf = async (svc: string) => (await slices.list({ namespace: NS, labelSelector: `kubernetes.io/service-name=${svc}` })).items;
  const endpointsOf = (svc: string) => endpoints.get(svc, { namespace: NS }).catch((e: unknown) => (isApiError(e, 'NotFound') ? undefined : Promise.reject(e)));
  const readyByPod = (list: EndpointSlice[]) =>
    Object.fromEntries(list.flatMap((s) => s.endpoints ?? []).map((e) => [e.targetRef?.name ?? '', e.conditions?.ready]));

  const pod = (name: string, httpPort = 8080): Pod => ({
    metadata: { name, namespace: NS, labels: { app: 'web' } },
    spec: { nodeName: nodes.names[Number(name.replace(/\D/g, '')) % 2], containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: httpPort }] }] },
  });
  const setReady = async (name: string, ready: boolean) => {
    const p = await admin.pods.get(name, { namespace: NS });
    const conditions = (p.status?.conditions ?? []).map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: ready ? 'True' : 'False' } : c));
    await admin.pods.patchStatus(name, { status: { conditions } } as Partial<Pod>, { namespace: NS });
  };

  beforeAll(async () => {
    cluster = await startApiCluster();
    admin = new RestClient({ server: cluster.api.url, token: cluster.api.adminToken, namespace: NS });
    manager = new RestClient({ server: cluster.api.url, token: cluster.api.controllerManagerToken, namespace: NS });
    services = admin.resourceByName<Service>('services', '');
    slices = admin.resourceByName<EndpointSlice>('endpointslices', 'discovery.k8s.io');
    endpoints = admin.resourceByName<Endpoints>('endpoints', '');
    nodes = await startHollowNodes({ client: admin, count: 2, podIP: () => `10.244.0.${nextIP++}` });
    informers = new SharedInformers();
    slicesCtl = new EndpointSliceController({ client: manager, informers, maxEndpointsPerSlice: 4 });
    endpointsCtl = new EndpointsController({ client: manager, informers });
    await Promise.all([slicesCtl.start(), endpointsCtl.start()]);
  });
  afterAll(async () => {
    await slicesCtl?.stop();
    await endpointsCtl?.stop();
    await informers?.stop();
    await nodes?.stop({ deleteNodes: true });
    admin?.close();
    manager?.close();
    await cluster?.stop();
  });

  it('writes slices and Endpoints of the ready pods, follows readiness, pod number and deletion', async () => {
    const svc = await services.create(
      { metadata: { name: 'web', namespace: NS, labels: { tier: 'front' } }, spec: { clusterIP: '10.96.0.20', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
      { namespace: NS },
    );
    // No pods yet: one empty placeholder slice, and Endpoints without subsets.
    const [placeholder] = await eventually(async () => ((await slicesOf('web')).length === 1 ? slicesOf('web') : undefined), 'the placeholder slice', 15_000);
    expect(placeholder?.addressType).toBe('IPv4');
    expect([placeholder?.endpoints ?? [], placeholder?.ports ?? []]).toEqual([[], []]);
    expect(placeholder?.metadata.generateName).toBe('web-');
    expect(placeholder?.metadata.labels).toEqual({ tier: 'front', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    expect(placeholder?.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    await eventually(() => endpointsOf('web'), 'the Endpoints', 15_000);

    // Six pods, one serving on another port number under the same name: two port groups, at most four per slice.
    for (let i = 0; i < 6; i++) await admin.pods.create(pod(`web-${i}`, i === 5 ? 9090 : 8080), { namespace: NS });
    const all = await eventually(async () => {
      const list = await slicesOf('web');
      const ready = readyByPod(list);
      return Object.keys(ready).length === 6 && Object.values(ready).every(Boolean) ? list : undefined;
    }, 'six ready endpoints', 30_000);
    const byPort = (port: number) => all.filter((s) => s.ports?.[0]?.port === port);
    expect(byPort(8080).map((s) => s.endpoints.length).sort()).toEqual([1, 4]);
    expect(byPort(9090).map((s) => s.endpoints.map((e) => e.targetRef?.name))).toEqual([['web-5']]);
    for (const s of all) expect(s.ports).toEqual([{ name: 'http', port: s.ports?.[0]?.port, protocol: 'TCP' }]);
    const one = all.flatMap((s) => s.endpoints).find((e) => e.targetRef?.name === 'web-1');
    expect(one).toMatchObject({ conditions: { ready: true, serving: true, terminating: false }, nodeName: nodes.names[1], targetRef: { kind: 'Pod', namespace: NS, name: 'web-1' } });
    expect(one?.addresses[0]).toMatch(/^10\.244\.0\.\d+$/);
    const ep = await eventually(async () => {
      const e = await endpointsOf('web');
      return (e?.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0) === 6 ? e : undefined;
    }, 'six ready addresses in the Endpoints', 30_000);
    expect(ep.metadata.labels).toEqual({ tier: 'front' });
    expect(ep.subsets?.map((s) => s.ports?.map((p) => p.port))).toEqual(expect.arrayContaining([[8080], [9090]]));

    // A pod turning unready: its endpoint says so in place, no slice made or removed.
    const names = all.map((s) => s.metadata.name).sort();
    await setReady('web-2', false);
    const after = await eventually(async () => {
      const list = await slicesOf('web');
      return readyByPod(list)['web-2'] === false ? list : undefined;
    }, 'web-2 not ready in its slice', 15_000);
    expect(after.map((s) => s.metadata.name).sort()).toEqual(names);
    expect(readyByPod(after)['web-2']).toBe(false);
    expect(after.flatMap((s) => s.endpoints).find((e) => e.targetRef?.name === 'web-2')?.conditions).toEqual({ ready: false, serving: false, terminating: false });
    await eventually(async () => ((await endpointsOf('web'))?.subsets ?? []).some((s) => s.notReadyAddresses?.some((a) => a.targetRef?.name === 'web-2')) || undefined, 'web-2 under notReadyAddresses', 15_000);
    await setReady('web-2', true);
    await eventually(async () => readyByPod(await slicesOf('web'))['web-2'] === true || undefined, 'web-2 ready again', 15_000);

    // Pods deleted: their endpoints go.
    await admin.pods.delete('web-5', { namespace: NS, gracePeriodSeconds: 0 });
    await admin.pods.delete('web-0', { namespace: NS, gracePeriodSeconds: 0 });
    const left = await eventually(async () => {
      const list = await slicesOf('web');
      return Object.keys(readyByPod(list)).length === 4 ? list : undefined;
    }, 'four endpoints left', 15_000);
    expect(Object.keys(readyByPod(left)).sort()).toEqual(['web-1', 'web-2', 'web-3', 'web-4']);
    expect(left.every((s) => s.ports?.[0]?.port === 8080)).toBe(true);
    await eventually(async () => ((await endpointsOf('web'))?.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0) === 4 || undefined, 'four addresses in the Endpoints', 15_000);

    // The Service deleted: its Endpoints go (its slices are the garbage collector's).
    await services.delete('web', { namespace: NS });
    await eventually(async () => ((await endpointsOf('web')) === undefined ? true : undefined), 'the Endpoints deleted', 15_000);
  });

  it('never touches the slices or Endpoints of a Service without a selector', async () => {
    await services.create({ metadata: { name: 'external-db', namespace: NS }, spec: { clusterIP: '10.96.0.30', ports: [{ port: 5432 }] } }, { namespace: NS });
    const mine = await slices.create(
      {
        metadata: { name: 'external-db-1', namespace: NS, labels: { 'kubernetes.io/service-name': 'external-db', 'endpointslice.kubernetes.io/managed-by': 'staff' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['192.0.2.7'] }],
        ports: [{ name: '', port: 5432, protocol: 'TCP' }],
      },
      { namespace: NS },
    );
    await endpoints.create({ metadata: { name: 'external-db', namespace: NS }, subsets: [{ addresses: [{ ip: '192.0.2.7' }], ports: [{ port: 5432 }] }] }, { namespace: NS });
    // A pod event and a Service update queue it; neither controller writes anything.
    await services.patch('external-db', { metadata: { labels: { touched: 'yes' } } }, { namespace: NS });
    await admin.pods.create(pod('web-7'), { namespace: NS });
    await eventually(async () => ((await admin.pods.get('web-7', { namespace: NS })).status?.podIP ? true : undefined), 'web-7 running', 15_000);
    await slicesCtl.idle();
    await endpointsCtl.idle();
    expect((await slicesOf('external-db')).map((s) => [s.metadata.name, s.metadata.resourceVersion])).toEqual([['external-db-1', mine.metadata.resourceVersion]]);
    expect((await endpointsOf('external-db'))?.subsets).toEqual([{ addresses: [{ ip: '192.0.2.7' }], ports: [{ port: 5432, protocol: 'TCP' }] }]);
  });
});
