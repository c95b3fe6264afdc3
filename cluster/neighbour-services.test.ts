import { describe, expect, it } from 'vitest';
import { neighbourClashes } from './neighbour-services.js';

// iptables-save as two node proxies leave it: SKIFFAAAA's cluster on 10.96.0.0/16 with node
// ports 30000-32767 (kubernetes, kube-dns, web with endpoints on NodePort 30080, idle without
// on NodePort 30081), ours (SKIFFBBBB) on its own ranges.
const SAVE = `*nat
:PREROUTING ACCEPT [0:0]
:SKIFFAAAA-NODEPORTS - [0:0]
:SKIFFAAAA-SERVICES - [0:0]
:SKIFFBBBB-SERVICES - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j SKIFFAAAA-SERVICES
-A SKIFFAAAA-NODEPORTS -p tcp -m comment --comment "default/web" -m tcp --dport 30080 -j SKIFFAAAA-EXT-NOZ62LFLXQMHSL
-A SKIFFAAAA-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j SKIFFAAAA-SVC-K7N6YZRAJM4L43
-A SKIFFAAAA-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j SKIFFAAAA-SVC-KJXKSJZRJO63K5
-A SKIFFAAAA-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j SKIFFAAAA-NODEPORTS
-A SKIFFBBBB-SERVICES -d 10.73.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j SKIFFBBBB-SVC-K7N6YZRAJM4L43
COMMIT
*filter
:SKIFFAAAA-EXTERNAL-SERVICES - [0:0]
:SKIFFAAAA-SERVICES - [0:0]
-A SKIFFAAAA-EXTERNAL-SERVICES -m comment --comment "default/idle has no endpoints" -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30081 -j REJECT --reject-with icmp-port-unreachable
-A SKIFFAAAA-SERVICES -d 10.96.4.7/32 -p tcp -m comment --comment "default/idle has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
COMMIT
`;

describe('neighbourClashes', () => {
  it("names the other proxy's ClusterIPs inside our service CIDR and its node ports inside our range", () => {
    expect(neighbourClashes(SAVE, { tag: 'SKIFFBBBB', serviceCidr: '10.96.0.0/16', nodePortRange: '30000-32767' })).toEqual([
      "another cluster's node proxy (chains SKIFFAAAA-*) serves ClusterIPs in --service-cidr 10.96.0.0/16 (10.96.0.1, 10.96.0.10, 10.96.4.7): give this cluster a --service-cidr of its own, or each cluster's Services may reach the other's pods",
      "another cluster's node proxy (chains SKIFFAAAA-*) serves node ports in --service-node-port-range 30000-32767 (30080, 30081): give this cluster a --service-node-port-range of its own",
    ]);
  });

  it('says nothing of ranges the other does not use, nor of our own chains (a restart of the same cluster)', () => {
    expect(neighbourClashes(SAVE, { tag: 'SKIFFBBBB', serviceCidr: '10.73.0.0/24', nodePortRange: '31000-31009' })).toEqual([]);
    expect(neighbourClashes(SAVE, { tag: 'SKIFFAAAA', serviceCidr: '10.96.0.0/16', nodePortRange: '30000-32767' })).toEqual([]);
  });

  it('counts a range overlapping only in part', () => {
    expect(neighbourClashes(SAVE, { tag: 'SKIFFBBBB', serviceCidr: '10.96.4.0/24', nodePortRange: '30081-30090' })).toEqual([
      expect.stringContaining('(10.96.4.7)'),
      expect.stringContaining('(30081)'),
    ]);
  });
});
