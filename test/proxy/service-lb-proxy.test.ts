// ServiceLB end to end on one node: a real API server and etcd, the ServiceLB controller with
// the controller-manager's token, and the node proxy with the node's, its rules in a node of its
// own (a network namespace) whose Node object carries that namespace's address. A LoadBalancer
// Service is published at the node's address and a client outside the node reaches the
// endpoint at nodeIP:servicePort; the node turning NotReady, or the Service leaving
// LoadBalancer, takes the address away and the port stops answering.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Node } from '../../api/types/core.js';
import type { EndpointSlice, Service } from '../../api/types/service.js';
import { RestClient } from '../../client/rest.js';
import { ServiceLBController } from '../../controllers/service-lb/controller.js';
import { iptables, removeProxyChains } from '../../proxy/iptables.js';
import { ProxySyncer } from '../../proxy/syncer.js';
import { startApiCluster, type ApiCluster } from '../fixtures/apiserver.js';
import { eventually } from '../fixtures/eventually.js';
import { hollowNode } from '../fixtures/hollow-nodes.js';
import { makeNetnsNode, type NetnsNode } from './netns-node.js';

const TAG = 'SKBLE';
const NODE = 'n1';
let cluster: ApiCluster;
let net: NetnsNode;
let admin: RestClient;
let manager: RestClient;
let nodeClient: RestClient;
let proxy: ProxySyncer | undefined;
let lb: ServiceLBController | undefined;

const services = () => admin.resourceByName<Service>('services', '');
const ingressIPs = async () => ((await services().get('web', { namespace: 'default' })).status?.loadBalancer?.ingress ?? []).map((i) => i.ip);
const lbRules = async () => (await iptables(net.prefix).save()).split('\n').filter((l) => l.includes(`${TAG}-SERVICES`) && l.includes('loadbalancer IP'));
const setNode = async (mutate: (n: Node) => void) => {
  const n = await admin.nodes.get(NODE);
  mutate(n);
  await admin.nodes.updateStatus(n);
};

describe('ServiceLB through the node proxy', () => {
  beforeAll(async () => {
    cluster = await startApiCluster({ nodes: [NODE] });
    net = await makeNetnsNode(1);
    admin = new RestClient({ server: cluster.api.url, token: cluster.api.adminToken, namespace: 'default' });
    manager = new RestClient({ server: cluster.api.url, token: cluster.api.controllerManagerToken, namespace: 'default' });
    nodeClient = new RestClient({ server: cluster.api.url, token: cluster.api.nodeToken(NODE), namespace: 'default' });
    await admin.nodes.create(hollowNode(NODE, {}));
    await setNode((n) => {
      n.status = { ...n.status, addresses: [{ type: 'InternalIP', address: net.nodeIP }, { type: 'Hostname', address: NODE }] };
    });
    lb = new ServiceLBController({ client: manager });
    await lb.start();
    proxy = new ProxySyncer({ client: nodeClient, nodeName: NODE, rules: { tag: TAG, clusterCIDR: '10.244.0.0/16' }, logger: pino({ level: 'silent' }), commandPrefix: net.prefix, minSyncPeriodMs: 100 });
    await proxy.start();
  }, 120_000);
  afterAll(async () => {
    await proxy?.stop();
    await lb?.stop();
    if (net) await removeProxyChains(TAG, net.prefix).catch(() => undefined);
    await net?.remove();
    admin?.close();
    manager?.close();
    nodeClient?.close();
    await cluster?.stop();
  });

  it("publishes the node's address and the node answers on it; NotReady or a type change takes it away", async () => {
    await services().create({ metadata: { name: 'web', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
    await admin.resourceByName<EndpointSlice>('endpointslices', 'discovery.k8s.io').create({
      metadata: { name: 'web-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [{ addresses: [net.endpointIP(0)], nodeName: NODE, conditions: { ready: true, serving: true, terminating: false } }],
    });
    await eventually(async () => (await ingressIPs()).join() === net.nodeIP, 'the ingress', 20_000);
    await eventually(async () => (await lbRules()).length === 1, 'the proxy rule', 20_000);
    expect((await net.connect(net.client, net.nodeIP, 80, 3)).map((r) => r.data ?? r.error)).toEqual(['ep0', 'ep0', 'ep0']);

    await setNode((n) => {
      n.status = { ...n.status, conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }] };
    });
    await eventually(async () => (await ingressIPs()).length === 0, 'the ingress gone', 20_000);
    await eventually(async () => (await lbRules()).length === 0, 'the proxy rule gone', 20_000);
    expect(await net.connect(net.client, net.nodeIP, 80)).toEqual([{ error: 'ECONNREFUSED' }]);

    await setNode((n) => {
      n.status = { ...n.status, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] };
    });
    await eventually(async () => (await lbRules()).length === 1, 'the proxy rule back', 20_000);
    expect((await net.connect(net.client, net.nodeIP, 80, 1)).map((r) => r.data ?? r.error)).toEqual(['ep0']);

    await services().patch('web', { spec: { type: 'ClusterIP' } }, { namespace: 'default' });
    await eventually(async () => (await ingressIPs()).length === 0, 'the ingress cleared', 20_000);
    await eventually(async () => (await lbRules()).length === 0, 'the proxy rule gone again', 20_000);
    expect(await net.connect(net.client, net.nodeIP, 80)).toEqual([{ error: 'ECONNREFUSED' }]);
  });
});
