// The proxy's rules in a real kernel: a node in a network namespace of its own, endpoints
// serving TCP in theirs, and connections made from the node and from a client outside it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Endpoint, EndpointSlice, Service } from '../../api/types/service.js';
import { iptables, removeProxyChains } from '../../proxy/iptables.js';
import { prepareKernel } from '../../proxy/kernel.js';
import { applyFullSync, makeNetnsNode, type NetnsNode } from './netns-node.js';

const TAG = 'SKPA';
const OTHER = 'SKPB';
let net: NetnsNode;

function service(name: string, clusterIP: string, nodePort?: number): Service {
  return { metadata: { name, namespace: 'default' }, spec: { type: nodePort ? 'NodePort' : 'ClusterIP', clusterIP, ports: [{ name: 'http', port: 80, ...(nodePort ? { nodePort } : {}) }] } };
}
function slice(name: string, endpoints: Endpoint[]): EndpointSlice {
  return { metadata: { name: `${name}-1`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } }, addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], endpoints };
}
const ep = (ip: string, ready = true): Endpoint => ({ addresses: [ip], conditions: { ready, serving: ready, terminating: false } });

function apply(tag: string, services: Service[], slices: EndpointSlice[]): Promise<void> {
  return applyFullSync(net.prefix, tag, services, slices);
}

const answers = (rs: { data?: string; error?: string }[]): Set<string> => new Set(rs.map((r) => r.data ?? r.error ?? '?'));
const linesOf = async (tag: string): Promise<string[]> => (await iptables(net.prefix).save()).split('\n').filter((l) => l.includes(`${tag}-`));

describe('proxy rules in a network namespace', () => {
  beforeAll(async () => {
    net = await makeNetnsNode(2);
    expect(await prepareKernel(net.prefix)).toBeInstanceOf(Array);
  }, 60_000);
  afterAll(async () => {
    await net?.remove();
  });

  it('DNATs a ClusterIP and a NodePort to ready endpoints only, from the node, from outside and on 127.0.0.1', async () => {
    await apply(TAG, [service('web', '10.96.7.10', 30080)], [slice('web', [ep(net.endpointIP(0)), ep(net.endpointIP(1), false)])]);
    expect(answers(await net.connect(net.node, '10.96.7.10', 80, 6))).toEqual(new Set(['ep0']));
    expect(answers(await net.connect(net.client, '10.96.7.10', 80, 3))).toEqual(new Set(['ep0']));
    expect(answers(await net.connect(net.client, net.nodeIP, 30080, 3))).toEqual(new Set(['ep0']));
    expect(answers(await net.connect(net.node, net.nodeIP, 30080, 3))).toEqual(new Set(['ep0']));
    expect(answers(await net.connect(net.node, '127.0.0.1', 30080, 3))).toEqual(new Set(['ep0']));
  });

  it('balances over both endpoints once both are ready', async () => {
    await apply(TAG, [service('web', '10.96.7.10', 30080)], [slice('web', [ep(net.endpointIP(0)), ep(net.endpointIP(1))])]);
    // 40 tries at 1/2 each: both answer unless the balancing is broken (1 in 2^39 otherwise).
    expect(answers(await net.connect(net.node, '10.96.7.10', 80, 40))).toEqual(new Set(['ep0', 'ep1']));
  });

  it('keeps a client on one endpoint with sessionAffinity ClientIP, and balances again without it', async () => {
    const sticky: Service = { ...service('sticky', '10.96.7.12'), spec: { ...service('sticky', '10.96.7.12').spec, sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } } };
    await apply(TAG, [sticky], [slice('sticky', [ep(net.endpointIP(0)), ep(net.endpointIP(1))])]);
    // 30 connections from one client: with affinity every one reaches the endpoint the first did
    // (without it, one endpoint alone for 30 at 1/2 each is 1 in 2^29).
    const fromClient = answers(await net.connect(net.client, '10.96.7.12', 80, 30));
    expect(fromClient.size).toBe(1);
    expect(['ep0', 'ep1']).toContain([...fromClient][0]);
    await apply(TAG, [service('sticky', '10.96.7.12')], [slice('sticky', [ep(net.endpointIP(0)), ep(net.endpointIP(1))])]);
    expect(answers(await net.connect(net.client, '10.96.7.12', 80, 40))).toEqual(new Set(['ep0', 'ep1']));
  });

  it('refuses connections to a Service without endpoints (REJECT, not a hang), ClusterIP and NodePort', async () => {
    await apply(TAG, [service('web', '10.96.7.10', 30080), service('none', '10.96.7.11', 30081)], [slice('web', [ep(net.endpointIP(0))])]);
    expect(await net.connect(net.node, '10.96.7.11', 80)).toEqual([{ error: 'ECONNREFUSED' }]);
    expect(await net.connect(net.client, '10.96.7.11', 80)).toEqual([{ error: 'ECONNREFUSED' }]);
    expect(await net.connect(net.client, net.nodeIP, 30081)).toEqual([{ error: 'ECONNREFUSED' }]);
    expect(answers(await net.connect(net.client, '10.96.7.10', 80, 2))).toEqual(new Set(['ep0']));
  });

  it("removes one tag's chains and jumps and leaves another tag's rules and traffic alone", async () => {
    await apply(OTHER, [service('other', '10.96.8.10', 30090)], [slice('other', [ep(net.endpointIP(1))])]);
    const otherBefore = await linesOf(OTHER);
    expect(otherBefore.length).toBeGreaterThan(10);
    expect(await removeProxyChains(TAG, net.prefix)).toMatch(/removed/);
    expect(await linesOf(TAG)).toEqual([]);
    expect(await linesOf(OTHER)).toEqual(otherBefore);
    expect(answers(await net.connect(net.client, '10.96.8.10', 80, 2))).toEqual(new Set(['ep1']));
    // The first tag's Service is gone: nothing DNATs it any more (the address is nobody's).
    expect(await net.connect(net.node, '10.96.7.10', 80)).not.toEqual([{ data: 'ep0' }]);
    expect(await removeProxyChains(OTHER, net.prefix)).toMatch(/removed/);
    const save = await iptables(net.prefix).save();
    expect(save).not.toMatch(/SKP[AB]-/);
    expect(await removeProxyChains(OTHER, net.prefix)).toMatch(/no proxy chains/);
  });
});
