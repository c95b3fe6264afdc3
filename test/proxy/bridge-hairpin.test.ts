// Pods on one bridge reaching each other, and themselves, through a Service: the endpoint's
// reply is bridged, not routed, so it reaches conntrack (which undoes the DNAT) only with
// net.bridge.bridge-nf-call-iptables=1, which the proxy sets; a pod reaching itself needs the
// bridge's hairpin mode (as the CNI bridge is configured) and the proxy's masquerade mark.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointSlice, Service } from '../../api/types/service.js';
import { runCommand } from '../../proxy/iptables.js';
import { prepareKernel } from '../../proxy/kernel.js';
import { applyFullSync, makeNetnsNode, type NetnsNode } from './netns-node.js';

let net: NetnsNode;

function service(name: string, clusterIP: string): Service {
  return { metadata: { name, namespace: 'default' }, spec: { clusterIP, ports: [{ port: 80 }] } };
}
function slice(name: string, ip: string): EndpointSlice {
  return { metadata: { name: `${name}-1`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } }, addressType: 'IPv4', ports: [{ port: 8080, protocol: 'TCP' }], endpoints: [{ addresses: [ip], conditions: { ready: true } }] };
}
const bridgeNf = (v: 0 | 1) => runCommand([...net.prefix, 'sysctl', '-q', '-w', `net.bridge.bridge-nf-call-iptables=${v}`]);

describe('Services between pods on one bridge', () => {
  beforeAll(async () => {
    net = await makeNetnsNode(0, 2);
    expect(await prepareKernel(net.prefix)).toEqual([]);
    await applyFullSync(net.prefix, 'SKPH', [service('other', '10.96.5.10'), service('self', '10.96.5.11')], [slice('other', net.pods[1].ip), slice('self', net.pods[0].ip)]);
  }, 60_000);
  afterAll(async () => {
    await net?.remove();
  });

  it('reaches a pod on the same bridge through its Service', async () => {
    expect(await net.connect(net.pods[0].ns, '10.96.5.10', 80, 3)).toEqual([{ data: 'pod1' }, { data: 'pod1' }, { data: 'pod1' }]);
  });

  it('reaches the pod itself through its own Service (hairpin)', async () => {
    expect(await net.connect(net.pods[0].ns, '10.96.5.11', 80, 2)).toEqual([{ data: 'pod0' }, { data: 'pod0' }]);
  });

  it('fails without bridge-nf-call-iptables, which is why the proxy sets it', async () => {
    await bridgeNf(0);
    try {
      const [r] = await net.connect(net.pods[0].ns, '10.96.5.10', 80);
      expect(r.data).toBeUndefined();
    } finally {
      await bridgeNf(1);
    }
    expect(await net.connect(net.pods[0].ns, '10.96.5.10', 80)).toEqual([{ data: 'pod1' }]);
  });
});
