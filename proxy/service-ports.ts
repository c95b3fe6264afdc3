// What the proxy programs, from plain records: one entry per port of every proxied Service,
// with the endpoints its EndpointSlices give that port, categorised as kube-proxy's
// CategorizeEndpoints does (ready endpoints; serving-and-terminating ones only when none is
// ready, so a Service scaled down finishes its connections; the node's own endpoints for a
// Local traffic policy).
import type { Protocol, Service, EndpointSlice } from '../api/types/service.js';
import { loadBalancerVIPs } from './load-balancer.js';

/** The label naming an EndpointSlice's Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** Services (and slices) with this label are another proxy's (kube-proxy skips them too). */
export const SERVICE_PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name';
const DEFAULT_AFFINITY_SECONDS = 10800;

export interface ProxyEndpoint {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** On this node (nodeName matches). */
  local: boolean;
}

export interface ServicePortInfo {
  /** The Service's `ns/name` (serviceKey). */
  service: string;
  /** kube-proxy's ServicePortName string: `ns/name:port` (`ns/name` for an unnamed port). */
  name: string;
  protocol: Protocol;
  /** Lower case, as kube-proxy hashes it into chain names. */
  proto: string;
  clusterIP: string;
  port: number;
  nodePort?: number;
  externalIPs: string[];
  /** Load-balancer ingress IPs (proxy/load-balancer.ts). */
  loadBalancerIPs?: string[];
  /** ClientIP affinity timeout in seconds; undefined for sessionAffinity None. */
  affinitySeconds?: number;
  internalLocal: boolean;
  /** Reachable from outside the cluster network: NodePort, LoadBalancer or external IPs. */
  external: boolean;
  externalLocal: boolean;
  /** Every endpoint of the port, sorted by ip:port (the chains' order). */
  endpoints: ProxyEndpoint[];
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isIPv4(ip: string | undefined): ip is string {
  return !!ip && IPV4.test(ip);
}

function hasExternalAccess(s: Service): boolean {
  const t = s.spec.type;
  return t === 'NodePort' || t === 'LoadBalancer' || (s.spec.externalIPs?.length ?? 0) > 0;
}

/** `ip:port` as kube-proxy writes an endpoint (the SEP hash and the DNAT target). */
export function endpointString(e: { ip: string; port: number }): string {
  return `${e.ip}:${e.port}`;
}

/** A Service's `ns/name`, as its ports' names begin. */
export function serviceKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

/** The Service an EndpointSlice belongs to (`ns/name`), if this proxy programs it. */
export function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  if (!svc || slice.metadata.labels?.[SERVICE_PROXY_NAME_LABEL]) return undefined;
  return serviceKey(slice.metadata.namespace, svc);
}

/** The endpoints of one named port of one Service, from its slices, deduplicated by ip:port. */
function endpointsFor(slices: EndpointSlice[], portName: string, protocol: Protocol, nodeName: string): ProxyEndpoint[] {
  const byKey = new Map<string, ProxyEndpoint>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    const p = slice.ports?.find((sp) => (sp.name ?? '') === portName && (sp.protocol ?? 'TCP') === protocol);
    if (!p?.port) continue;
    for (const e of slice.endpoints ?? []) {
      const ip = e.addresses?.[0];
      if (!isIPv4(ip)) continue;
      const c = e.conditions ?? {};
      // Unset means ready (the API's documented meaning); serving follows ready unless given.
      const ready = c.ready !== false;
      const ep: ProxyEndpoint = { ip, port: p.port, ready, serving: c.serving ?? ready, terminating: c.terminating === true, local: !!nodeName && e.nodeName === nodeName };
      const key = endpointString(ep);
      const seen = byKey.get(key);
      // The same endpoint in two slices (during a controller's move): the ready copy wins.
      if (!seen || (!seen.ready && ep.ready)) byKey.set(key, ep);
    }
  }
  return [...byKey.values()].sort((a, b) => (endpointString(a) < endpointString(b) ? -1 : endpointString(a) > endpointString(b) ? 1 : 0));
}

/** Every proxied port of every Service, with its endpoints. */
export function servicePorts(services: Service[], slices: EndpointSlice[], nodeName: string): ServicePortInfo[] {
  const slicesOf = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const key = sliceServiceKey(s);
    if (!key) continue;
    (slicesOf.get(key) ?? slicesOf.set(key, []).get(key)!).push(s);
  }
  const out: ServicePortInfo[] = [];
  for (const svc of services) {
    const spec = svc.spec;
    if (spec.type === 'ExternalName' || svc.metadata.labels?.[SERVICE_PROXY_NAME_LABEL]) continue;
    const clusterIP = spec.clusterIPs?.find(isIPv4) ?? spec.clusterIP;
    if (!isIPv4(clusterIP)) continue; // headless (None) or not yet allocated
    const key = serviceKey(svc.metadata.namespace, svc.metadata.name);
    const external = hasExternalAccess(svc);
    for (const p of spec.ports ?? []) {
      const protocol = p.protocol ?? 'TCP';
      out.push({
        service: key,
        name: p.name ? `${key}:${p.name}` : key,
        protocol,
        proto: protocol.toLowerCase(),
        clusterIP,
        port: p.port,
        nodePort: (spec.type === 'NodePort' || spec.type === 'LoadBalancer') && p.nodePort ? p.nodePort : undefined,
        externalIPs: (spec.externalIPs ?? []).filter(isIPv4),
        loadBalancerIPs: loadBalancerVIPs(svc),
        affinitySeconds: spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : undefined,
        internalLocal: spec.internalTrafficPolicy === 'Local',
        external,
        externalLocal: external && spec.externalTrafficPolicy === 'Local',
        endpoints: endpointsFor(slicesOf.get(key) ?? [], p.name ?? '', protocol, nodeName),
      });
    }
  }
  return out.sort((a, b) => (a.name + a.proto < b.name + b.proto ? -1 : 1));
}

/** kube-proxy's CategorizeEndpoints: the endpoints each traffic policy sends to. */
export function categorize(sp: ServicePortInfo): { cluster: ProxyEndpoint[]; local: ProxyEndpoint[] } {
  const pick = (eps: ProxyEndpoint[]): ProxyEndpoint[] => {
    const ready = eps.filter((e) => e.ready);
    return ready.length ? ready : eps.filter((e) => e.serving && e.terminating);
  };
  // Cluster endpoints serve Cluster-policy internal traffic and, even under an external Local
  // policy, the pods' and the node's own traffic to external destinations (short-circuited).
  const usesCluster = !sp.internalLocal || sp.external;
  return {
    cluster: usesCluster ? pick(sp.endpoints) : [],
    local: sp.internalLocal || sp.externalLocal ? pick(sp.endpoints.filter((e) => e.local)) : [],
  };
}
