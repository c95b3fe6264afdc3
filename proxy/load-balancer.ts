// Load-balancer ingress IPs, as kube-proxy's iptables mode serves them: traffic for an
// ingress IP (ipMode VIP, or unset) and the Service port goes to the Service's external chain
// (EXT), the way its external IPs do, from the entry chain of nat; without endpoints for
// external traffic the filter table's EXTERNAL-SERVICES chain refuses it (REJECT, or DROP when
// only a Local policy lacks local ones). The ServiceLB controller
// (controllers/service-lb/) sets the ingress to node addresses, so a node answers on
// nodeIP:port as k3s's svclb pods make it answer. loadBalancerSourceRanges (kube-proxy's FW
// chain) is not applied.
import { isIPv4 } from 'node:net';
import type { Service } from '../api/types/service.js';
import type { ChainNames } from './chain-names.js';
import type { ServicePortInfo } from './service-ports.js';

/** kube-proxy's LoadBalancerVIPs: a LoadBalancer Service's IPv4 ingress IPs whose ipMode is VIP or unset (Proxy: the balancer forwards to the nodes itself). */
export function loadBalancerVIPs(svc: Service): string[] {
  if (svc.spec.type !== 'LoadBalancer') return [];
  const ips = (svc.status?.loadBalancer?.ingress ?? []).filter((i) => (i.ipMode ?? 'VIP') === 'VIP' && !!i.ip && isIPv4(i.ip)).map((i) => i.ip as string);
  return [...new Set(ips)];
}

/** One rule of the load balancer's, for rules.ts's builder. */
export interface LoadBalancerRule {
  table: 'nat' | 'filter';
  chain: string;
  /** The rule without `-A CHAIN`. */
  rule: string;
}

export interface LoadBalancerRuleContext {
  n: ChainNames;
  /** The port has endpoints for external traffic: its EXT chain exists. */
  hasExternal: boolean;
  /** `-p tcp -m tcp --dport 80`. */
  dport: string;
  /** [target, comment] for external traffic without endpoints (REJECT or DROP). */
  filter: [string, string];
}

const comment = (text: string): string => `-m comment --comment "${text}"`;

/** The rules for the port's load-balancer IPs (none without any). */
export function loadBalancerRules(sp: ServicePortInfo, c: LoadBalancerRuleContext): LoadBalancerRule[] {
  return (sp.loadBalancerIPs ?? []).map((ip) =>
    c.hasExternal
      ? { table: 'nat', chain: c.n.services, rule: `-d ${ip}/32 ${comment(`${sp.name} loadbalancer IP`)} ${c.dport} -j ${c.n.ext(sp.name, sp.proto)}` }
      : { table: 'filter', chain: c.n.externalServices, rule: `-d ${ip}/32 ${comment(c.filter[1])} ${c.dport} -j ${c.filter[0]}` },
  );
}
