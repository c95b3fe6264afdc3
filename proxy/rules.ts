// The rule set of kube-proxy's iptables mode, built from plain records: what the nat and filter
// tables should hold for these service ports, chain by chain (each chain's rules as
// iptables-restore lines). Pure: no iptables here; `restore-payload.ts` turns two rule sets
// into one incremental iptables-restore input. The layout is kube-proxy's syncProxyRules:
//   nat    PREROUTING, OUTPUT → SERVICES → SVC (cluster policy) | SVL (local policy) → SEP (DNAT)
//          SERVICES (last rule, local destinations) → NODEPORTS → EXT → SVC | SVL
//          POSTROUTING → POSTROUTING: MASQUERADE what MARK-MASQ marked
//   filter OUTPUT, FORWARD (new) → SERVICES: REJECT ClusterIPs without endpoints
//          INPUT, FORWARD (new) → EXTERNAL-SERVICES: REJECT NodePorts/external IPs without
//          FORWARD → FORWARD: accept marked and established service traffic
//          INPUT, OUTPUT → FIREWALL: drop martian localnet packets (route_localnet=1 lets
//          NodePorts answer on 127.0.0.1)
import { chainNames, type ChainNames } from './chain-names.js';
import { categorize, endpointString, type ProxyEndpoint, type ServicePortInfo } from './service-ports.js';
import { loadBalancerRules } from './load-balancer.js';

export interface ProxyRulesConfig {
  /** Per-cluster chain tag (chain-names.ts). */
  tag: string;
  /** The pods' range: traffic from outside it to a ClusterIP is masqueraded (kube-proxy's --cluster-cidr). */
  clusterCIDR?: string;
  /** Addresses NodePorts answer on; empty: every local address, 127.0.0.1 included. */
  nodePortAddresses?: string[];
  /** The masquerade mark's bit (kube-proxy's --iptables-masquerade-bit). */
  masqueradeBit?: number;
}

/** chain → its rules (`-A CHAIN ...` lines), in the order written. */
export type TableRules = Map<string, string[]>;

export interface RuleSet {
  nat: TableRules;
  filter: TableRules;
}

export type TableName = keyof RuleSet;

/** A rule in a built-in chain that leads into the tag's chains (kept outside the per-sync payload's chains). */
export interface BuiltinJump {
  table: TableName;
  chain: string;
  /** The rule without `-A CHAIN`. */
  rule: string;
  target: string;
}

export const DEFAULT_MASQUERADE_BIT = 14;

function markOf(cfg: ProxyRulesConfig): string {
  return `0x${(1 << (cfg.masqueradeBit ?? DEFAULT_MASQUERADE_BIT)).toString(16)}`;
}

const comment = (text: string): string => `-m comment --comment "${text}"`;

/** The jumps from the built-in chains, prepended as kube-proxy prepends its own. */
export function builtinJumps(tag: string): BuiltinJump[] {
  const n = chainNames(tag);
  const j = (table: TableName, chain: string, match: string, target: string): BuiltinJump => ({ table, chain, rule: `${match} -j ${target}`.trim(), target });
  return [
    j('nat', 'PREROUTING', comment('kubernetes service portals'), n.services),
    j('nat', 'OUTPUT', comment('kubernetes service portals'), n.services),
    j('nat', 'POSTROUTING', comment('kubernetes postrouting rules'), n.postrouting),
    j('filter', 'INPUT', `-m conntrack --ctstate NEW ${comment('kubernetes externally-visible service portals')}`, n.externalServices),
    j('filter', 'INPUT', '', n.firewall),
    j('filter', 'FORWARD', comment('kubernetes forwarding rules'), n.forward),
    j('filter', 'FORWARD', `-m conntrack --ctstate NEW ${comment('kubernetes service portals')}`, n.services),
    j('filter', 'FORWARD', `-m conntrack --ctstate NEW ${comment('kubernetes externally-visible service portals')}`, n.externalServices),
    j('filter', 'OUTPUT', `-m conntrack --ctstate NEW ${comment('kubernetes service portals')}`, n.services),
    j('filter', 'OUTPUT', '', n.firewall),
  ];
}

/** kube-proxy's probability string: 1/n with ten decimals. */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

class Builder {
  readonly nat: TableRules = new Map();
  readonly filter: TableRules = new Map();
  chain(table: TableRules, name: string): string[] {
    return table.get(name) ?? table.set(name, []).get(name)!;
  }
  add(table: TableRules, chain: string, rule: string): void {
    this.chain(table, chain).push(`-A ${chain} ${rule}`);
  }
}

function protoMatch(sp: ServicePortInfo): string {
  return `-p ${sp.proto} -m ${sp.proto}`;
}

/** SVC/SVL → SEP: ClientIP affinity first, then random balancing over the endpoints. */
function writeServiceToEndpoints(b: Builder, n: ChainNames, sp: ServicePortInfo, chain: string, eps: ProxyEndpoint[]): void {
  if (sp.affinitySeconds !== undefined) {
    for (const ep of eps) {
      const sep = n.sep(sp.name, sp.proto, endpointString(ep));
      b.add(b.nat, chain, `${comment(`${sp.name} -> ${endpointString(ep)}`)} -m recent --name ${sep} --mask 255.255.255.255 --rsource --rcheck --seconds ${sp.affinitySeconds} --reap -j ${sep}`);
    }
  }
  eps.forEach((ep, i) => {
    const sep = n.sep(sp.name, sp.proto, endpointString(ep));
    const stat = i < eps.length - 1 ? ` -m statistic --mode random --probability ${probability(eps.length - i)}` : '';
    b.add(b.nat, chain, `${comment(`${sp.name} -> ${endpointString(ep)}`)}${stat} -j ${sep}`);
  });
}

function writeEndpointChain(b: Builder, n: ChainNames, sp: ServicePortInfo, ep: ProxyEndpoint): void {
  const sep = n.sep(sp.name, sp.proto, endpointString(ep));
  b.chain(b.nat, sep);
  // Hairpin: a pod reaching itself through its Service must not see its own address as source.
  b.add(b.nat, sep, `-s ${ep.ip}/32 ${comment(sp.name)} -j ${n.markMasq}`);
  const affinity = sp.affinitySeconds !== undefined ? ` -m recent --name ${sep} --mask 255.255.255.255 --rsource --set` : '';
  b.add(b.nat, sep, `${comment(sp.name)}${affinity} ${protoMatch(sp)} -j DNAT --to-destination ${endpointString(ep)}`);
}

function writeServicePort(b: Builder, n: ChainNames, cfg: ProxyRulesConfig, sp: ServicePortInfo): void {
  const { cluster, local } = categorize(sp);
  const svc = n.svc(sp.name, sp.proto);
  const svl = n.svl(sp.name, sp.proto);
  const ext = n.ext(sp.name, sp.proto);
  const reachable = new Map<string, ProxyEndpoint>();
  for (const ep of [...cluster, ...local]) reachable.set(endpointString(ep), ep);
  const hasEndpoints = reachable.size > 0;
  const internalChain = sp.internalLocal ? svl : svc;
  const hasInternal = sp.internalLocal ? local.length > 0 : cluster.length > 0;
  const externalPolicyChain = sp.externalLocal ? svl : svc;
  const hasExternal = sp.externalLocal ? local.length > 0 : cluster.length > 0;
  const usesCluster = cluster.length > 0;
  const usesLocal = local.length > 0 && (sp.internalLocal || sp.externalLocal);
  const usesExt = hasExternal && sp.external;

  const noEndpoints = `${sp.name} has no endpoints`;
  const noLocal = `${sp.name} has no local endpoints`;
  const internalFilter = !hasEndpoints ? ['REJECT', noEndpoints] : ['DROP', noLocal];
  const externalFilter = !hasEndpoints ? ['REJECT', noEndpoints] : ['DROP', noLocal];
  const dport = `${protoMatch(sp)} --dport ${sp.port}`;

  if (hasInternal) b.add(b.nat, n.services, `-d ${sp.clusterIP}/32 ${comment(`${sp.name} cluster IP`)} ${dport} -j ${internalChain}`);
  else b.add(b.filter, n.services, `-d ${sp.clusterIP}/32 ${comment(internalFilter[1])} ${dport} -j ${internalFilter[0]}`);

  for (const ip of sp.externalIPs) {
    if (hasExternal) b.add(b.nat, n.services, `-d ${ip}/32 ${comment(`${sp.name} external IP`)} ${dport} -j ${ext}`);
    else b.add(b.filter, n.externalServices, `-d ${ip}/32 ${comment(externalFilter[1])} ${dport} -j ${externalFilter[0]}`);
  }
  for (const r of loadBalancerRules(sp, { n, hasExternal, dport, filter: [externalFilter[0]!, externalFilter[1]!] })) b.add(b[r.table], r.chain, r.rule);
  if (sp.nodePort !== undefined) {
    const np = `${protoMatch(sp)} --dport ${sp.nodePort}`;
    if (hasExternal) b.add(b.nat, n.nodePorts, `${comment(sp.name)} ${np} -j ${ext}`);
    else b.add(b.filter, n.externalServices, `${comment(externalFilter[1])} -m addrtype --dst-type LOCAL ${np} -j ${externalFilter[0]}`);
  }

  if (usesExt) {
    b.chain(b.nat, ext);
    if (!sp.externalLocal) {
      b.add(b.nat, ext, `${comment(`masquerade traffic for ${sp.name} external destinations`)} -j ${n.markMasq}`);
    } else {
      // Pods and the node itself reach an external address as if from outside and back in:
      // neither is subject to the Local policy (kube-proxy's short circuit).
      if (cfg.clusterCIDR && usesCluster) b.add(b.nat, ext, `-s ${cfg.clusterCIDR} ${comment(`pod traffic for ${sp.name} external destinations`)} -j ${svc}`);
      b.add(b.nat, ext, `${comment(`masquerade LOCAL traffic for ${sp.name} external destinations`)} -m addrtype --src-type LOCAL -j ${n.markMasq}`);
      if (usesCluster) b.add(b.nat, ext, `${comment(`route LOCAL traffic for ${sp.name} external destinations`)} -m addrtype --src-type LOCAL -j ${svc}`);
    }
    b.add(b.nat, ext, `-j ${externalPolicyChain}`);
  }

  if (usesCluster) {
    b.chain(b.nat, svc);
    // Off-cluster sources (the node itself, other hosts) are masqueraded so replies come back here.
    if (cfg.clusterCIDR) b.add(b.nat, svc, `-d ${sp.clusterIP}/32 ! -s ${cfg.clusterCIDR} ${comment(`${sp.name} cluster IP`)} ${dport} -j ${n.markMasq}`);
    writeServiceToEndpoints(b, n, sp, svc, cluster);
  }
  if (usesLocal) {
    b.chain(b.nat, svl);
    writeServiceToEndpoints(b, n, sp, svl, local);
  }
  for (const ep of reachable.values()) writeEndpointChain(b, n, sp, ep);
}

/** The chains every Service adds lines to (the rest of a Service's chains are its own). */
export function sharedChains(tag: string): Record<TableName, string[]> {
  const n = chainNames(tag);
  return { nat: [n.services, n.nodePorts], filter: [n.services, n.externalServices] };
}

/**
 * One Service's share of the rule set: its own chains (SVC, SVL, EXT, SEP), and its lines in
 * the shared chains under those chains' names. The syncer keeps one per Service and builds it
 * again only when the Service or its slices change (kube-proxy's partial sync).
 */
export function buildServiceRules(ports: ServicePortInfo[], cfg: ProxyRulesConfig): RuleSet {
  const n = chainNames(cfg.tag);
  const b = new Builder();
  for (const sp of ports) writeServicePort(b, n, cfg, sp);
  return { nat: b.nat, filter: b.filter };
}

/** The chains that depend on the configuration only, and the shared ones, still empty. */
function baseRules(cfg: ProxyRulesConfig): Builder {
  const n = chainNames(cfg.tag);
  const mark = markOf(cfg);
  const b = new Builder();
  for (const c of [n.services, n.nodePorts, n.postrouting, n.markMasq]) b.chain(b.nat, c);
  for (const c of [n.services, n.externalServices, n.forward, n.firewall]) b.chain(b.filter, c);

  b.add(b.nat, n.markMasq, `-j MARK --or-mark ${mark}`);
  b.add(b.nat, n.postrouting, `-m mark ! --mark ${mark}/${mark} -j RETURN`);
  // The mark goes before MASQUERADE so a packet that loops through the stack again is not re-masqueraded.
  b.add(b.nat, n.postrouting, `-j MARK --xor-mark ${mark}`);
  b.add(b.nat, n.postrouting, `${comment('kubernetes service traffic requiring SNAT')} -j MASQUERADE --random-fully`);
  b.add(b.filter, n.forward, `${comment('kubernetes forwarding rules')} -m mark --mark ${mark}/${mark} -j ACCEPT`);
  b.add(b.filter, n.forward, `${comment('kubernetes forwarding conntrack rule')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
  b.add(b.filter, n.firewall, `! -s 127.0.0.0/8 -d 127.0.0.0/8 ${comment('block incoming localnet connections')} -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`);
  return b;
}

/** One shared chain's rules: every Service's lines in the order given, then what closes the chain. */
export function sharedChain(table: TableName, chain: string, services: Iterable<RuleSet>, cfg: ProxyRulesConfig): string[] {
  const out: string[] = [];
  for (const s of services) {
    const lines = s[table].get(chain);
    if (lines) for (const l of lines) out.push(l);
  }
  const n = chainNames(cfg.tag);
  if (table === 'nat' && chain === n.services) {
    // NodePorts last: a ClusterIP rule must win over the local-destination catch-all.
    const last = comment('kubernetes service nodeports; NOTE: this must be the last rule in this chain');
    if (cfg.nodePortAddresses?.length) for (const ip of cfg.nodePortAddresses) out.push(`-A ${n.services} -d ${ip}/32 ${last} -j ${n.nodePorts}`);
    else out.push(`-A ${n.services} ${last} -m addrtype --dst-type LOCAL -j ${n.nodePorts}`);
  }
  return out;
}

/** The whole rule set from each Service's share (in the order given). */
export function assembleRules(services: RuleSet[], cfg: ProxyRulesConfig): RuleSet {
  const b = baseRules(cfg);
  const shared = sharedChains(cfg.tag);
  for (const table of ['nat', 'filter'] as const) {
    for (const c of shared[table]) b[table].set(c, sharedChain(table, c, services, cfg));
    for (const s of services) for (const [c, lines] of s[table]) if (!shared[table].includes(c)) b[table].set(c, lines);
  }
  return { nat: b.nat, filter: b.filter };
}

/** The ports of each Service (ServicePortInfo.service), in their order. */
export function portsByService(ports: ServicePortInfo[]): Map<string, ServicePortInfo[]> {
  const out = new Map<string, ServicePortInfo[]>();
  for (const sp of ports) (out.get(sp.service) ?? out.set(sp.service, []).get(sp.service)!).push(sp);
  return out;
}

/** The whole rule set for these service ports. */
export function buildRules(ports: ServicePortInfo[], cfg: ProxyRulesConfig): RuleSet {
  return assembleRules([...portsByService(ports).values()].map((p) => buildServiceRules(p, cfg)), cfg);
}
