import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Service } from '../api/types/service.js';
import { conntrackFlushes } from './conntrack.js';
import { servicePorts } from './service-ports.js';

const dns: Service = { metadata: { name: 'dns', namespace: 'kube-system' }, spec: { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] } };
function slice(ips: string[]): EndpointSlice {
  return {
    metadata: { name: 'dns-1', namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'dns' } },
    addressType: 'IPv4',
    ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  };
}
const ports = (ips: string[] | undefined, services = [dns]) => servicePorts(services, ips ? [slice(ips)] : [], 'n1');

describe('conntrackFlushes', () => {
  it.each([
    ['an unchanged Service', ports(['10.244.1.1']), ports(['10.244.1.1']), []],
    [
      'a removed UDP endpoint (ClusterIP and NodePort flows; TCP needs none)',
      ports(['10.244.1.1', '10.244.1.2']),
      ports(['10.244.1.2']),
      [
        ['-D', '-p', 'udp', '--orig-dst', '10.96.0.10', '--dst-nat', '10.244.1.1'],
        ['-D', '-p', 'udp', '--orig-port-dst', '30053', '--dst-nat', '10.244.1.1'],
      ],
    ],
    [
      'a UDP Service getting its first endpoint (flows answered by REJECT)',
      ports([]),
      ports(['10.244.1.1']),
      [
        ['-D', '-p', 'udp', '--orig-dst', '10.96.0.10'],
        ['-D', '-p', 'udp', '--orig-port-dst', '30053'],
      ],
    ],
    [
      'a deleted Service',
      ports(['10.244.1.1']),
      ports(undefined, []),
      [
        ['-D', '-p', 'udp', '--orig-dst', '10.96.0.10', '--dst-nat', '10.244.1.1'],
        ['-D', '-p', 'udp', '--orig-port-dst', '30053', '--dst-nat', '10.244.1.1'],
      ],
    ],
  ] as const)('%s', (_what, before, after, want) => {
    expect(conntrackFlushes(before, after)).toEqual(want);
  });
});
