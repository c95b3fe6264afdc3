// Load-balancer ingress in a real kernel: a LoadBalancer Service whose ingress is the node's
// address (what the ServiceLB controller publishes) answers on nodeIP:servicePort, from a
// client outside the node and from the node itself, through the Service's EXT chain; pending
// (no ingress) or ipMode Proxy it does not; without endpoints it is refused by a REJECT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Endpoint, EndpointSlice, LoadBalancerIngress, Service } from '../../api/types/service.js';
import { chainNames } from '../../proxy/chain-names.js';
import { iptables, removeProxyChains } from '../../proxy/iptables.js';
import { prepareKernel } from '../../proxy/kernel.js';
import { applyFullSync, makeNetnsNode, type NetnsNode } from './netns-node.js';

const TAG = 'SKBLB';
let net: NetnsNode;

function lbService(ingress: LoadBalancerIngress[]): Service {
  return {
    metadata: { name: 'lb', namespace: 'default' },
    spec: { type: 'LoadBalancer', clusterIP: '10.96.9.10', ports: [{ name: 'http', port: 80, nodePort: 30180, protocol: 'TCP' }] },
    status: { loadBalancer: ingress.length ? { ingress } : {} },
  };
}
function slice(endpoints: Endpoint[]): EndpointSlice {
  return { metadata: { name: 'lb-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'lb' } }, addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], endpoints };
}
const ep = (ip: string): Endpoint => ({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } });
const answers = (rs: { data?: string; error?: string }[]): Set<string> => new Set(rs.map((r) => r.data ?? r.error ?? '?'));
const rulesFor = async (ip: string): Promise<string[]> => (await iptables(net.prefix).save()).split('\n').filter((l) => l.includes(`${TAG}-`) && l.includes(`-d ${ip}/32`));

describe('load-balancer ingress in a network namespace', () => {
  beforeAll(async () => {
    net = await makeNetnsNode(1);
    expect(await prepareKernel(net.prefix)).toBeInstanceOf(Array);
  }, 60_000);
  afterAll(async () => {
    if (net) await removeProxyChains(TAG, net.prefix).catch(() => undefined);
    await net?.remove();
  });

  it('sends nodeIP:servicePort to the endpoints through the EXT chain, from outside and from the node', async () => {
    await applyFullSync(net.prefix, TAG, [lbService([{ ip: net.nodeIP, ipMode: 'VIP' }])], [slice([ep(net.endpointIP(0))])]);
    expect(answers(await net.connect(net.client, net.nodeIP, 80, 3))).toEqual(new Set(['ep0']));
    expect(answers(await net.connect(net.node, net.nodeIP, 80, 2))).toEqual(new Set(['ep0']));
    // The node port still answers beside it.
    expect(answers(await net.connect(net.client, net.nodeIP, 30180, 2))).toEqual(new Set(['ep0']));
    const ext = chainNames(TAG).ext('default/lb:http', 'tcp');
    expect(await rulesFor(net.nodeIP)).toEqual([`-A ${TAG}-SERVICES -d ${net.nodeIP}/32 -p tcp -m comment --comment "default/lb:http loadbalancer IP" -m tcp --dport 80 -j ${ext}`]);
  });

  it('pending (no ingress) or ipMode Proxy: nothing answers on the service port', async () => {
    for (const ingress of [[], [{ ip: net.nodeIP, ipMode: 'Proxy' as const }]]) {
      await applyFullSync(net.prefix, TAG, [lbService(ingress)], [slice([ep(net.endpointIP(0))])]);
      expect(await rulesFor(net.nodeIP)).toEqual([]);
      expect(await net.connect(net.client, net.nodeIP, 80)).toEqual([{ error: 'ECONNREFUSED' }]);
      expect(answers(await net.connect(net.client, net.nodeIP, 30180, 1))).toEqual(new Set(['ep0']));
    }
  });

  it('without endpoints the ingress IP is refused by a REJECT in EXTERNAL-SERVICES', async () => {
    await applyFullSync(net.prefix, TAG, [lbService([{ ip: net.nodeIP, ipMode: 'VIP' }])], [slice([])]);
    expect(await rulesFor(net.nodeIP)).toEqual([`-A ${TAG}-EXTERNAL-SERVICES -d ${net.nodeIP}/32 -p tcp -m comment --comment "default/lb:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable`]);
    expect(await net.connect(net.client, net.nodeIP, 80)).toEqual([{ error: 'ECONNREFUSED' }]);
    expect(await removeProxyChains(TAG, net.prefix)).toMatch(/removed/);
    expect(await iptables(net.prefix).save()).not.toContain(`${TAG}-`);
  });
});
