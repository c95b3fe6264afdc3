// Before `skiff up` starts a cluster: what another cluster's node proxy on this machine (another
// `skiff up`, or a kube-proxy's KUBE-* chains) already serves inside the new cluster's service
// CIDR or node port range. Both proxies write the machine's one iptables, so a ClusterIP or node
// port the two shared would reach whichever cluster's chain comes first: `up` warns, naming the
// flag to give.
import { ipToNumber, parsePortRange, parseServiceCIDR } from '../apiserver/service-ranges.js';
import { clusterTag } from '../proxy/chain-names.js';
import { iptables } from '../proxy/iptables.js';
import { parseSave } from '../proxy/iptables-save.js';
import { statePaths } from './state.js';

// A proxy's entry chains (nat and filter SERVICES: ClusterIPs; NODEPORTS and EXTERNAL-SERVICES:
// node ports), whatever its tag.
const CLUSTER_IPS = /^([A-Z][A-Z0-9]*)-SERVICES$/;
const NODE_PORTS = /^([A-Z][A-Z0-9]*)-(NODEPORTS|EXTERNAL-SERVICES)$/;

function add<T>(m: Map<string, Set<T>>, tag: string, v: T): void {
  (m.get(tag) ?? m.set(tag, new Set()).get(tag)!).add(v);
}

/** One warning per other tag and kind of clash in this iptables-save output; none when the ranges are free. */
export function neighbourClashes(saveText: string, own: { tag: string; serviceCidr: string; nodePortRange: string }): string[] {
  const range = parseServiceCIDR(own.serviceCidr);
  const ports = parsePortRange(own.nodePortRange);
  const ips = new Map<string, Set<string>>();
  const nodePorts = new Map<string, Set<number>>();
  const saved = parseSave(saveText);
  for (const r of [...saved.nat.rules, ...saved.filter.rules]) {
    const svc = CLUSTER_IPS.exec(r.chain);
    if (svc && svc[1] !== own.tag) {
      const ip = /(?:^| )-d (\d+\.\d+\.\d+\.\d+)\/32 /.exec(r.spec)?.[1];
      // The network and broadcast addresses count too: the range is the other's as a whole.
      const n = ip ? ipToNumber(ip) : -1;
      if (ip && n >= range.base && n <= range.base + range.size + 1) add(ips, svc[1], ip);
    }
    const np = NODE_PORTS.exec(r.chain);
    if (np && np[1] !== own.tag) {
      const port = Number(/--dport (\d+)/.exec(r.spec)?.[1]);
      if (port >= ports.first && port <= ports.last) add(nodePorts, np[1], port);
    }
  }
  const list = <T>(s: Set<T>) => [...s].slice(0, 3).join(', ') + (s.size > 3 ? ', ...' : '');
  return [
    ...[...ips].map(([tag, s]) => `another cluster's node proxy (chains ${tag}-*) serves ClusterIPs in --service-cidr ${range.cidr} (${list(s)}): give this cluster a --service-cidr of its own, or each cluster's Services may reach the other's pods`),
    ...[...nodePorts].map(([tag, s]) => `another cluster's node proxy (chains ${tag}-*) serves node ports in --service-node-port-range ${ports.text} (${list(s)}): give this cluster a --service-node-port-range of its own`),
  ];
}

/** The clashes on this machine now, for a cluster of this state dir; none when iptables cannot be read (`up` then fails later, saying why). */
export async function neighbourWarnings(stateDir: string, serviceCidr: string, nodePortRange: string): Promise<string[]> {
  let save: string;
  try {
    save = await iptables().save();
  } catch {
    return [];
  }
  return neighbourClashes(save, { tag: clusterTag(statePaths(stateDir).root), serviceCidr, nodePortRange });
}
