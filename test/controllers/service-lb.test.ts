// The ServiceLB controller against a real API server on a real etcd, with the controller-
// manager's own token (so its services/status right is proven too), hollow nodes given
// addresses of their own, and the real kubectl 1.33: a LoadBalancer Service gets its Ready
// nodes' addresses, kept as nodes turn NotReady, come, go and are labelled; a port another
// LoadBalancer Service holds leaves it pending with a Warning; a switch of type clears it; a
// loadBalancerClass is someone else's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event, Node } from '../../api/types/core.js';
import type { Service } from '../../api/types/service.js';
import { RestClient, type ResourceClient } from '../../client/rest.js';
import { ENABLE_LB_LABEL } from '../../controllers/service-lb/plan.js';
import { ServiceLBController } from '../../controllers/service-lb/controller.js';
import { haveKubectl, startKubectlCluster, type KubectlCluster } from '../compat/kubectl-harness.js';
import { eventually } from '../fixtures/eventually.js';
import { outputsOf, startSkiff } from '../fixtures/process.js';
import { startHollowNodes, type HollowNodes } from '../fixtures/hollow-nodes.js';

const NS = 'default';

describe.skipIf(!haveKubectl)('ServiceLB controller', () => {
  let c: KubectlCluster;
  let manager: RestClient;
  let nodes: HollowNodes;
  let ctl: ServiceLBController;
  let services: ResourceClient<Service>;
  const ipOf = new Map<string, string>();

  /** A hollow node's addresses: an InternalIP of its own (10.77.9.N), as a kubelet reports it. */
  const address = async (name: string, ip: string) => {
    ipOf.set(name, ip);
    const n = await c.admin.nodes.get(name);
    await c.admin.nodes.updateStatus({ ...n, status: { ...n.status, addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }] } } as Node);
  };
  const ingressOf = async (name: string) => ((await services.get(name, { namespace: NS })).status?.loadBalancer?.ingress ?? []);
  const ipsOf = async (name: string) => (await ingressOf(name)).map((i) => i.ip).join(',');
  const waitIPs = (name: string, ips: string[]) => eventually(async () => (await ipsOf(name)) === ips.join(','), `${name} at ${ips.join(',') || 'no address'}`, 20_000);
  const lb = (name: string, port: number, spec: Partial<Service['spec']> = {}): Service => ({
    metadata: { name, namespace: NS },
    spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port, protocol: 'TCP' }], ...spec },
  });
  const eventsOf = async (name: string) =>
    (await c.admin.resourceByName<Event>('events', '').list({ namespace: NS })).items.filter((e) => e.involvedObject?.name === name && e.involvedObject.kind === 'Service');
  const kubectlSvc = async (...args: string[]) => {
    const r = await c.kubectl(['get', 'svc', '-n', NS, ...args], { version: '1.33' });
    expect(r.stderr).toBe('');
    return r.stdout;
  };

  beforeAll(async () => {
    c = await startKubectlCluster();
    manager = new RestClient({ server: c.api.url, token: c.api.controllerManagerToken, namespace: NS });
    services = c.admin.resourceByName<Service>('services', '');
    nodes = await startHollowNodes({ client: c.admin, count: 3 });
    await Promise.all(nodes.names.map((n, i) => address(n, `10.77.9.${i + 1}`)));
    ctl = new ServiceLBController({ client: manager });
    await ctl.start();
  });
  afterAll(async () => {
    await ctl?.stop();
    await nodes?.stop({ deleteNodes: true });
    manager?.close();
    await c?.stop();
  });

  it('publishes the Ready nodes, follows NotReady, new and gone nodes and the enablelb label; kubectl shows them', async () => {
    await services.create(lb('web', 80), { namespace: NS });
    await waitIPs('web', ['10.77.9.1', '10.77.9.2', '10.77.9.3']);
    expect((await ingressOf('web')).every((i) => i.ipMode === 'VIP')).toBe(true);
    const updated = await eventually(async () => (await eventsOf('web')).find((e) => e.reason === 'UpdatedLoadBalancer'), 'the UpdatedLoadBalancer event');
    expect(updated).toMatchObject({ type: 'Normal', message: 'Updated LoadBalancer with new IPs: [] -> [10.77.9.1 10.77.9.2 10.77.9.3]' });
    // kubectl 1.33 prints the server's Table: the whole list (Kubernetes' TableConvertor prints wide), -o wide too.
    for (const args of [[], ['-o', 'wide']]) expect(await kubectlSvc('web', ...args)).toMatch(/^web\s+LoadBalancer\s+\S+\s+10\.77\.9\.1,10\.77\.9\.2,10\.77\.9\.3\s+80:\d+\/TCP\s/m);
    // describe svc: skiff's page is kubectl's, its LoadBalancer Ingress line included.
    const described = await c.kubectl(['describe', 'svc', 'web', '-n', NS], { version: '1.33' });
    expect(described.stdout).toMatch(/^LoadBalancer Ingress:\s+10\.77\.9\.1/m);
    const mine = await outputsOf(startSkiff(['describe', 'svc', 'web', '-n', NS], { env: { ...process.env, ...c.env } }));
    // The same page; the events' ages (read a moment apart) aside.
    const page = (t: string) => [t.split('Events:')[0], t.split('Events:')[1]?.replace(/\s+\d+s\s+/g, ' AGE ').replace(/\s+/g, ' ')];
    expect(page(mine.out)).toEqual(page(described.stdout));

    const [n0, n1, n2] = nodes.names as [string, string, string];
    await nodes.setReady(n1, 'False');
    await waitIPs('web', ['10.77.9.1', '10.77.9.3']);
    await nodes.setReady(n1, 'True');
    await waitIPs('web', ['10.77.9.1', '10.77.9.2', '10.77.9.3']);

    const extra = `${n0}-extra`;
    await nodes.add(extra);
    await address(extra, '10.77.9.4');
    await waitIPs('web', ['10.77.9.1', '10.77.9.2', '10.77.9.3', '10.77.9.4']);
    await c.admin.nodes.delete(extra);
    await waitIPs('web', ['10.77.9.1', '10.77.9.2', '10.77.9.3']);

    // Once a node carries the label, only nodes labelled true serve.
    await c.admin.nodes.patch(n2, { metadata: { labels: { [ENABLE_LB_LABEL]: 'true' } } });
    await waitIPs('web', ['10.77.9.3']);
    expect(await kubectlSvc('web')).toMatch(/^web\s+LoadBalancer\s+\S+\s+10\.77\.9\.3\s+80:\d+\/TCP\s/m);
    await c.admin.nodes.patch(n2, { metadata: { labels: { [ENABLE_LB_LABEL]: null } } });
    await waitIPs('web', ['10.77.9.1', '10.77.9.2', '10.77.9.3']);
  });

  it('leaves a Service whose port another holds pending with a Warning, until the port is free', async () => {
    await services.create(lb('clash', 80), { namespace: NS });
    const warning = await eventually(async () => (await eventsOf('clash')).find((e) => e.reason === 'UnAvailableLoadBalancer'), 'the Warning');
    expect(warning).toMatchObject({ type: 'Warning', message: 'There are no available nodes for LoadBalancer: port 80/TCP is held by LoadBalancer Service default/web' });
    expect(await ingressOf('clash')).toEqual([]);
    expect(await kubectlSvc('clash')).toMatch(/^clash\s+LoadBalancer\s+\S+\s+<pending>\s+80:\d+\/TCP\s/m);
    // Another protocol on the same port is no clash (another hostPort).
    await services.create(lb('clash-udp', 80, { ports: [{ port: 80, protocol: 'UDP' }] }), { namespace: NS });
    await waitIPs('clash-udp', ['10.77.9.1', '10.77.9.2', '10.77.9.3']);

    // web leaves LoadBalancer: its status is cleared, and clash gets the port.
    await services.patch('web', { spec: { type: 'ClusterIP' } }, { namespace: NS });
    await waitIPs('web', []);
    expect((await services.get('web', { namespace: NS })).status?.loadBalancer).toEqual({});
    await waitIPs('clash', ['10.77.9.1', '10.77.9.2', '10.77.9.3']);
    expect(await kubectlSvc('web')).toMatch(/^web\s+ClusterIP\s+\S+\s+<none>\s+80\/TCP\s/m);
  });

  it('leaves a Service with a loadBalancerClass to its own implementation', async () => {
    await services.create(lb('classy', 8080, { loadBalancerClass: 'example.com/other-lb' }), { namespace: NS });
    await services.create(lb('marker', 8081), { namespace: NS });
    // The marker, created after, is published: the classy one was looked at and left alone.
    await waitIPs('marker', ['10.77.9.1', '10.77.9.2', '10.77.9.3']);
    await ctl.idle();
    expect(await ingressOf('classy')).toEqual([]);
    // What that implementation writes stays.
    const classy = await services.get('classy', { namespace: NS });
    await services.updateStatus({ ...classy, status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } } }, { namespace: NS });
    expect(await ingressOf('classy')).toEqual([{ ip: '192.0.2.10' }]);
    await services.patch('marker', { metadata: { labels: { touched: 'yes' } } }, { namespace: NS });
    await eventually(async () => (await services.get('marker', { namespace: NS })).metadata.labels?.touched === 'yes', 'the marker touched');
    await ctl.idle();
    expect(await ingressOf('classy')).toEqual([{ ip: '192.0.2.10' }]);
  });
});
