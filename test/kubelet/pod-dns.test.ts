// Pods' /etc/resolv.conf by dnsPolicy, with real containers: the kubelet (with --cluster-dns,
// --cluster-domain and a node resolv.conf of its own) forms it, the runtime writes it, and the
// container reads it back into its termination message.
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { nodeClusterPerFile, type NodeCluster } from './harness.js';

let c: NodeCluster;

nodeClusterPerFile(
  {
    dns: { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', host: { nameservers: ['192.0.2.1'], searches: ['corp.example'], options: ['timeout:2'] } },
  },
  (started) => {
    c = started;
  },
);

function pod(name: string, extra: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      nodeName: c.node,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 2,
      containers: [{ name: 'cat', image: c.image, command: ['sh', '-c', 'cat /etc/resolv.conf > /dev/termination-log'] }],
      ...extra,
    },
  };
}

describe("pods' resolv.conf", () => {
  it.each<[string, Partial<Pod['spec']>, (ns: string) => string]>([
    ['ClusterFirst (the default)', {}, (ns) => `nameserver 10.96.0.10\nsearch ${ns}.svc.cluster.local svc.cluster.local cluster.local corp.example\noptions ndots:5\n`],
    ['Default: the node', { dnsPolicy: 'Default' }, () => 'nameserver 192.0.2.1\nsearch corp.example\noptions timeout:2\n'],
    ['None with dnsConfig', { dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['x.example'], options: [{ name: 'ndots', value: '2' }] } }, () => 'nameserver 1.1.1.1\nsearch x.example\noptions ndots:2\n'],
    ['ClusterFirst on the host network: the node', { hostNetwork: true }, () => 'nameserver 192.0.2.1\nsearch corp.example\noptions timeout:2\n'],
    ['ClusterFirstWithHostNet', { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }, (ns) => `nameserver 10.96.0.10\nsearch ${ns}.svc.cluster.local svc.cluster.local cluster.local corp.example\noptions ndots:5\n`],
  ])('%s', async (name, spec, want) => {
    const podName = `dns-${name.split(/[^A-Za-z]/)[0]?.toLowerCase()}-${Object.keys(spec).length}${spec.hostNetwork ? 'h' : ''}`;
    await c.createPod(pod(podName, spec));
    const p = await c.waitPod(podName, (x) => x.status?.phase === 'Succeeded' || x.status?.phase === 'Failed', 'finished', 60_000);
    expect(p.status?.containerStatuses?.[0]?.state?.terminated?.message).toBe(want(c.ns));
  });
});
