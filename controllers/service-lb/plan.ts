// What k3s's ServiceLB (pkg/cloudprovider/servicelb.go) would publish for each LoadBalancer
// Service, from plain records. k3s runs a svclb DaemonSet per Service whose pods hold each
// Service port as a hostPort and lists the nodes of its Ready pods; skiff's node proxy carries
// the traffic instead (proxy/load-balancer.ts), so the pods are not made and their outcome is
// decided here:
// - the nodes: every node, or, once any node carries the enablelb label, only those labelled
//   `true` (and of the Service's lbpool, when it names one), as the DaemonSet's nodeSelector;
// - a node serves a Service when no other LoadBalancer Service already holds one of its
//   protocol/port pairs there (the hostPort its svclb pod could not get); who holds a port is
//   decided in a stable order: Services already published first, then the oldest;
// - the addresses: of those nodes the Ready ones (and, for externalTrafficPolicy Local, only
//   those with a ready local endpoint), their ExternalIPs when any node has one, else their
//   InternalIPs, of the Service's IP families, sorted; each an ingress with ipMode VIP.
import type { Node } from '../../api/types/core.js';
import type { EndpointSlice, LoadBalancerIngress, Service } from '../../api/types/service.js';
import { isIPv4, isIPv6 } from 'node:net';
import { isNodeReady } from '../../api/node-conditions.js';

export const ENABLE_LB_LABEL = 'svccontroller.k3s.cattle.io/enablelb';
export const LB_POOL_LABEL = 'svccontroller.k3s.cattle.io/lbpool';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** A port another Service holds on every node this one could use. */
export interface PortConflict {
  /** `80/TCP`. */
  port: string;
  /** `namespace/name` of the Service holding it. */
  holder: string;
}

export interface LoadBalancerPlan {
  ingress: LoadBalancerIngress[];
  /** Set when the Service gets no node because of a port held by another Service. */
  conflict?: PortConflict;
}

/** A LoadBalancer Service this controller serves: no loadBalancerClass (that names another implementation). */
export function servedByServiceLB(svc: Service): boolean {
  return svc.spec.type === 'LoadBalancer' && !svc.spec.loadBalancerClass;
}

export function serviceKey(svc: Service): string {
  return `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;
}

function published(svc: Service): boolean {
  return (svc.status?.loadBalancer?.ingress?.length ?? 0) > 0;
}

/** The order in which Services take their ports: published ones keep theirs, then the oldest, then by key. */
function compareClaimOrder(a: Service, b: Service): number {
  const p = Number(published(b)) - Number(published(a));
  if (p !== 0) return p;
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  const ka = serviceKey(a);
  const kb = serviceKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The nodes the Service's svclb DaemonSet would select. */
function candidateNodes(svc: Service, nodes: Node[], selectorOn: boolean): Node[] {
  if (!selectorOn) return nodes;
  const pool = svc.metadata.labels?.[LB_POOL_LABEL];
  return nodes.filter((n) => n.metadata.labels?.[ENABLE_LB_LABEL] === 'true' && (!pool || n.metadata.labels?.[LB_POOL_LABEL] === pool));
}

/** Nodes with a ready pod endpoint of the Service (k3s's readyNodes for a Local policy). */
function nodesWithReadyEndpoints(svc: Service, slices: EndpointSlice[]): Set<string> {
  const out = new Set<string>();
  for (const s of slices) {
    if (s.metadata.namespace !== svc.metadata.namespace || s.metadata.labels?.[SERVICE_NAME_LABEL] !== svc.metadata.name) continue;
    for (const e of s.endpoints ?? []) {
      if (e.targetRef?.kind === 'Pod' && e.conditions?.ready === true && e.nodeName) out.add(e.nodeName);
    }
  }
  return out;
}

/** k3s's podIPs + filterByIPFamily: ExternalIPs if any node has one, else InternalIPs; per family, sorted as strings. */
export function nodeAddresses(svc: Service, nodes: Node[]): string[] {
  const ext = new Set<string>();
  const int = new Set<string>();
  for (const n of nodes) {
    for (const a of n.status?.addresses ?? []) {
      if (a.type === 'ExternalIP') ext.add(a.address);
      else if (a.type === 'InternalIP') int.add(a.address);
    }
  }
  const ips = [...(ext.size > 0 ? ext : int)];
  const v4 = ips.filter((ip) => isIPv4(ip)).sort();
  const v6 = ips.filter((ip) => isIPv6(ip)).sort();
  return (svc.spec.ipFamilies ?? ['IPv4']).flatMap((f) => (f === 'IPv4' ? v4 : f === 'IPv6' ? v6 : []));
}

function hostPorts(svc: Service): string[] {
  return [...new Set((svc.spec.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`))];
}

/** The load balancer status each served Service should have, by `namespace/name`. */
export function planLoadBalancers(services: Service[], nodes: Node[], slices: EndpointSlice[]): Map<string, LoadBalancerPlan> {
  const selectorOn = nodes.some((n) => n.metadata.labels?.[ENABLE_LB_LABEL] !== undefined);
  /** node name → `port/PROTO` → the key of the Service holding it there. */
  const held = new Map<string, Map<string, string>>();
  const out = new Map<string, LoadBalancerPlan>();
  for (const svc of services.filter(servedByServiceLB).sort(compareClaimOrder)) {
    const key = serviceKey(svc);
    const ports = hostPorts(svc);
    const serving: Node[] = [];
    let conflict: PortConflict | undefined;
    for (const node of candidateNodes(svc, nodes, selectorOn)) {
      const name = node.metadata.name ?? '';
      const onNode = held.get(name) ?? held.set(name, new Map()).get(name)!;
      const taken = ports.find((p) => onNode.has(p));
      if (taken !== undefined) {
        conflict ??= { port: taken, holder: onNode.get(taken)! };
        continue;
      }
      for (const p of ports) onNode.set(p, key);
      serving.push(node);
    }
    const local = svc.spec.externalTrafficPolicy === 'Local' ? nodesWithReadyEndpoints(svc, slices) : undefined;
    const listed = serving.filter((n) => isNodeReady(n) && (!local || local.has(n.metadata.name ?? '')));
    const ingress = nodeAddresses(svc, listed).map((ip): LoadBalancerIngress => ({ ip, ipMode: 'VIP' }));
    out.set(key, serving.length === 0 && conflict ? { ingress, conflict } : { ingress });
  }
  return out;
}

/** servicehelper.LoadBalancerStatusEqual: the same ingress points, in the same order. */
export function ingressEqual(a: LoadBalancerIngress[] = [], b: LoadBalancerIngress[] = []): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i]!;
    return (x.ip ?? '') === (y.ip ?? '') && (x.hostname ?? '') === (y.hostname ?? '') && x.ipMode === y.ipMode && JSON.stringify(x.ports ?? []) === JSON.stringify(y.ports ?? []);
  });
}

/** k3s's ingressToString as Go's %v prints the list: `[10.0.0.1 10.0.0.2]`. */
export function ingressList(ingress: LoadBalancerIngress[] = []): string {
  return `[${ingress.map((i) => i.ip || i.hostname || '').join(' ')}]`;
}
