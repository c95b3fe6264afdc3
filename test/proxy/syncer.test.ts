// The node proxy end to end: a real API server and etcd, the proxy watching Services and
// EndpointSlices with a node's credentials, its rules in a node of its own (a network
// namespace) where endpoints serve TCP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Endpoint, EndpointSlice, Service } from '../../api/types/service.js';
import { RestClient } from '../../client/rest.js';
import { iptables, removeProxyChains, type Iptables } from '../../proxy/iptables.js';
import { ProxySyncer } from '../../proxy/syncer.js';
import { startApiCluster, type ApiCluster } from '../fixtures/apiserver.js';
import { eventually } from '../fixtures/eventually.js';
import { makeNetnsNode, type NetnsNode } from './netns-node.js';

const TAG = 'SKPS';
let cluster: ApiCluster;
let net: NetnsNode;
let admin: RestClient;
let nodeClient: RestClient;
const syncers: ProxySyncer[] = [];

const ep = (ip: string, ready = true, nodeName = 'n1'): Endpoint => ({ addresses: [ip], nodeName, conditions: { ready, serving: ready, terminating: false } });
function sliceOf(service: string, endpoints: Endpoint[], port = 8080, protocol: 'TCP' | 'UDP' = 'TCP'): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-abc`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port, protocol }],
    endpoints,
  };
}
function serviceOf(name: string, clusterIP: string, nodePort: number): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type: 'NodePort', clusterIP, ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort }] } };
}

const services = () => admin.resourceByName<Service>('services', '');
const slices = () => admin.resourceByName<EndpointSlice>('endpointslices', 'discovery.k8s.io');

function startProxy(ipt?: Iptables): ProxySyncer {
  const s = new ProxySyncer({
    iptables: ipt,
    client: nodeClient,
    nodeName: 'n1',
    rules: { tag: TAG, clusterCIDR: '10.244.0.0/16' },
    logger: pino({ level: 'silent' }),
    commandPrefix: net.prefix,
    minSyncPeriodMs: 100,
  });
  syncers.push(s);
  return s;
}

async function answersFrom(host: string, port: number, count: number): Promise<string[]> {
  return [...new Set((await net.connect(net.client, host, port, count)).map((r) => r.data ?? r.error ?? '?'))].sort();
}
const chainLines = async (): Promise<string[]> => (await iptables(net.prefix).save()).split('\n').filter((l) => l.includes(`${TAG}-`) && !l.startsWith('#'));

describe('node proxy syncer', () => {
  beforeAll(async () => {
    cluster = await startApiCluster({ nodes: ['n1'] });
    net = await makeNetnsNode(2);
    admin = new RestClient({ server: cluster.api.url, token: cluster.api.adminToken, namespace: 'default' });
    nodeClient = new RestClient({ server: cluster.api.url, token: cluster.api.nodeToken('n1'), namespace: 'default' });
  }, 120_000);
  afterAll(async () => {
    for (const s of syncers) await s.stop();
    if (net) await removeProxyChains(TAG, net.prefix).catch(() => undefined);
    await net?.remove();
    admin?.close();
    nodeClient?.close();
    await cluster?.stop();
  });

  it('serves a Service from its ready endpoints, follows readiness incrementally, and rejects when none is left', async () => {
    await services().create(serviceOf('web', '10.96.9.10', 30085));
    await slices().create(sliceOf('web', [ep(net.endpointIP(0)), ep(net.endpointIP(1), false)]));
    const proxy = startProxy();
    await proxy.start();
    expect(proxy.lastSync?.full).toBe(true);
    expect(await answersFrom('10.96.9.10', 80, 4)).toEqual(['ep0']);
    expect(await answersFrom(net.nodeIP, 30085, 2)).toEqual(['ep0']);

    const before = proxy.syncs;
    const s = await slices().get('web-abc', { namespace: 'default' });
    await slices().update({ ...s, endpoints: [ep(net.endpointIP(0), false), ep(net.endpointIP(1))] });
    await eventually(async () => (await answersFrom('10.96.9.10', 80, 4)).join() === 'ep1', 'traffic to the newly ready endpoint only', 20_000);
    // Incremental: the Service's own chains, not the whole table.
    expect(proxy.syncs).toBeGreaterThan(before);
    expect(proxy.lastSync).toMatchObject({ full: false });
    expect(proxy.lastSync!.chainsWritten).toBeLessThan(8);

    await slices().delete('web-abc', { namespace: 'default' });
    await eventually(async () => (await answersFrom('10.96.9.10', 80, 1)).join() === 'ECONNREFUSED', 'a refusal once the Service has no endpoints', 20_000);
  });

  it('flushes the conntrack flows of a removed UDP endpoint, so the next datagram of that flow reaches another', async () => {
    await services().create({ ...serviceOf('dns', '10.96.9.13', 30088), spec: { type: 'ClusterIP', clusterIP: '10.96.9.13', ports: [{ name: 'http', port: 53, protocol: 'UDP', targetPort: 8082 }] } });
    await slices().create(sliceOf('dns', [ep(net.endpointIP(0))], 8082, 'UDP'));
    await eventually(async () => (await net.udp(net.client, '10.96.9.13', 53, 40053)) === 'ep0', 'UDP answered by ep0', 20_000);
    const s = await slices().get('dns-abc', { namespace: 'default' });
    await slices().update({ ...s, endpoints: [ep(net.endpointIP(1))] });
    await eventually(async () => (await chainLines()).some((l) => l.includes(`${net.endpointIP(1)}:8082`)), 'the new UDP endpoint programmed', 20_000);
    // ep0 still runs and answers: only the flushed flow sends this datagram elsewhere.
    expect(await net.udp(net.client, '10.96.9.13', 53, 40053)).toBe('ep1');
    await services().delete('dns', { namespace: 'default' });
    await slices().delete('dns-abc', { namespace: 'default' });
  });

  it('takes over its rules after a restart without dropping a connection, and drops what changed while it was down', async () => {
    await slices().create(sliceOf('web', [ep(net.endpointIP(0))]));
    // A Service whose endpoint keeps connections open (port 8081 of the endpoint).
    await services().create({ ...serviceOf('keep', '10.96.9.12', 30087), spec: { type: 'ClusterIP', clusterIP: '10.96.9.12', ports: [{ name: 'http', port: 81, targetPort: 8081 }] } });
    await slices().create(sliceOf('keep', [ep(net.endpointIP(0))], 8081));
    await services().create(serviceOf('gone', '10.96.9.11', 30086));
    await slices().create(sliceOf('gone', [ep(net.endpointIP(1))]));
    const first = syncers[0];
    await eventually(async () => (await answersFrom('10.96.9.11', 80, 1)).join() === 'ep1', 'the second Service served', 20_000);
    expect(await answersFrom('10.96.9.10', 80, 2)).toEqual(['ep0']);
    await eventually(async () => (await chainLines()).some((l) => l.includes('default/keep:http cluster IP')), 'the held Service programmed', 20_000);
    const held = net.hold(net.client, '10.96.9.12', 81);
    expect(await held.ask()).toBe('ep0');
    await first.stop();
    // While no proxy runs, the rules stay (traffic keeps flowing) and a Service goes away.
    expect(await answersFrom('10.96.9.10', 80, 2)).toEqual(['ep0']);
    await services().delete('gone', { namespace: 'default' });
    await slices().delete('gone-abc', { namespace: 'default' });

    const second = startProxy();
    await second.start();
    expect(second.lastSync).toMatchObject({ full: true });
    expect(second.lastSync!.chainsDeleted).toBeGreaterThan(0);
    const lines = await chainLines();
    expect(lines.join('\n')).not.toContain('default/gone');
    expect(lines.join('\n')).toContain('default/web:http');
    // The built-in jumps are there once, not once per start.
    expect(lines.filter((l) => l.startsWith('-A PREROUTING '))).toHaveLength(1);
    expect(await answersFrom('10.96.9.10', 80, 2)).toEqual(['ep0']);
    // The connection made before the restart carries on.
    expect(await held.ask()).toBe('ep0');
    await held.close();

    await second.stop();
    expect(await removeProxyChains(TAG, net.prefix)).toMatch(/removed/);
    expect(await chainLines()).toEqual([]);
  });

  it('builds only the changed Service on a partial sync, deletes a deleted one\'s chains, and falls back to a full sync when a restore fails', async () => {
    const real = iptables(net.prefix);
    let failNext = false;
    let failures = 0;
    const flaky: Iptables = {
      save: () => real.save(),
      restore: async (payload) => {
        if (failNext) {
          failNext = false;
          failures++;
          throw new Error('iptables-restore: injected failure');
        }
        await real.restore(payload);
      },
    };
    await services().create({ ...serviceOf('f1', '10.96.9.21', 30091), spec: { type: 'ClusterIP', clusterIP: '10.96.9.21', ports: [{ name: 'http', port: 80 }] } });
    await slices().create(sliceOf('f1', [ep(net.endpointIP(0))]));
    await services().create({ ...serviceOf('f2', '10.96.9.22', 30092), spec: { type: 'ClusterIP', clusterIP: '10.96.9.22', ports: [{ name: 'http', port: 80 }] } });
    await slices().create(sliceOf('f2', [ep(net.endpointIP(0))]));
    const proxy = startProxy(flaky);
    await proxy.start();
    expect(proxy.lastSync).toMatchObject({ full: true });
    expect(proxy.lastSync!.servicesBuilt).toBeGreaterThanOrEqual(2);
    expect(await answersFrom('10.96.9.21', 80, 2)).toEqual(['ep0']);

    // One endpoint of f1 changes: f1 alone is built again, its chains alone are written.
    const s1 = await slices().get('f1-abc', { namespace: 'default' });
    await slices().update({ ...s1, endpoints: [ep(net.endpointIP(1))] });
    await eventually(async () => (await answersFrom('10.96.9.21', 80, 2)).join() === 'ep1', 'f1 served by its new endpoint', 20_000);
    expect(proxy.lastSync).toMatchObject({ full: false, servicesBuilt: 1, chainsWritten: 2, chainsDeleted: 1 });

    // f1 goes: its chains are deleted, its ClusterIP line leaves the entry chain.
    await services().delete('f1', { namespace: 'default' });
    await eventually(async () => !(await chainLines()).some((l) => l.includes('default/f1')), "f1's rules gone", 20_000);
    // Its SVC and SEP chains; f2's stay.
    expect(proxy.lastSync).toMatchObject({ full: false, servicesBuilt: 1, chainsDeleted: 2 });
    expect((await chainLines()).some((l) => l.includes('default/f2:http ->'))).toBe(true);
    await slices().delete('f1-abc', { namespace: 'default' });

    // The next restore fails: the retry is a full sync, which reads the kernel and writes everything.
    failNext = true;
    const s2 = await slices().get('f2-abc', { namespace: 'default' });
    await slices().update({ ...s2, endpoints: [ep(net.endpointIP(1))] });
    await eventually(async () => (await answersFrom('10.96.9.22', 80, 2)).join() === 'ep1', 'f2 served by its new endpoint after the retry', 20_000);
    expect(failures).toBe(1);
    expect(proxy.lastSync).toMatchObject({ full: true });
    expect(proxy.lastSync!.servicesBuilt).toBeGreaterThanOrEqual(1);
    expect((await chainLines()).filter((l) => l.startsWith('-A PREROUTING '))).toHaveLength(1);

    await proxy.stop();
    await services().delete('f2', { namespace: 'default' });
    await slices().delete('f2-abc', { namespace: 'default' });
    await removeProxyChains(TAG, net.prefix);
  });
});
