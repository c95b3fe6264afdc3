// What one Service contributes to the cluster zone, as CoreDNS's kubernetes plugin names it:
// `<svc>.<ns>.svc.<domain>` (its ClusterIPs, or for a headless Service the ready endpoints'
// addresses, or an ExternalName's CNAME), `<endpoint>.<svc>.<ns>.svc.<domain>` for each ready
// endpoint (its hostname, else its address with dashes, CoreDNS's default endpoint naming),
// and the named ports behind `_<port>._<proto>.<svc>...` SRV names. Pure: plain objects in,
// plain records out, so the zone's lookups are tested by table.
import { isIP } from 'node:net';
import type { EndpointSlice, Service } from '../api/types/service.js';

export interface NamedPort {
  name: string;
  /** Lower case, as SRV names spell it (`tcp`, `udp`, `sctp`). */
  protocol: string;
  port: number;
}

export interface EndpointRecord {
  /** The first label of the endpoint's name: its hostname, else its address with dashes. */
  label: string;
  v4: string[];
  v6: string[];
  /** The ports of the slice this endpoint came from. */
  ports: NamedPort[];
}

export type ServiceShape = 'ClusterIP' | 'Headless' | 'ExternalName';

export interface ServiceRecords {
  namespace: string;
  name: string;
  /** `<name>.<namespace>.svc.<domain>`, without the trailing dot. */
  fqdn: string;
  shape: ServiceShape;
  /** The ClusterIPs of a ClusterIP Service, by family. */
  v4: string[];
  v6: string[];
  externalName?: string;
  /** The Service's own ports (a ClusterIP Service's SRV records point at them). */
  ports: NamedPort[];
  /** Ready endpoints, each address once. */
  endpoints: EndpointRecord[];
}

/** The label CoreDNS gives an endpoint without a hostname: its address with dashes. */
export function dashedAddress(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}

const protocolOf = (p: string | undefined): string => (p ?? 'TCP').toLowerCase();

/** `kubernetes.io/service-name` of a slice: the Service it belongs to, in its namespace. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function shapeOf(svc: Service): ServiceShape {
  if (svc.spec.type === 'ExternalName') return 'ExternalName';
  return !svc.spec.clusterIP || svc.spec.clusterIP === 'None' ? 'Headless' : 'ClusterIP';
}

function clusterIPs(svc: Service): string[] {
  const ips = svc.spec.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec.clusterIP ? [svc.spec.clusterIP] : [];
  return ips.filter((ip) => isIP(ip) !== 0);
}

/** Ready endpoints of the slices, an address listed by two slices (mid-update) kept once. */
function readyEndpoints(slices: readonly EndpointSlice[]): EndpointRecord[] {
  const out: EndpointRecord[] = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType === 'FQDN') continue;
    const ports = (slice.ports ?? [])
      .filter((p): p is typeof p & { port: number } => p.port !== undefined)
      .map((p) => ({ name: p.name ?? '', protocol: protocolOf(p.protocol), port: p.port }));
    for (const ep of slice.endpoints ?? []) {
      // Kubernetes: a nil ready condition is read as ready.
      if (ep.conditions?.ready === false) continue;
      const addresses = ep.addresses.filter((a) => isIP(a) !== 0 && !seen.has(a));
      if (addresses.length === 0) continue;
      for (const a of addresses) seen.add(a);
      out.push({
        label: (ep.hostname || dashedAddress(addresses[0] as string)).toLowerCase(),
        v4: addresses.filter((a) => isIP(a) === 4),
        v6: addresses.filter((a) => isIP(a) === 6),
        ports,
      });
    }
  }
  return out;
}

export function serviceRecords(svc: Service, slices: readonly EndpointSlice[], domain: string): ServiceRecords {
  const namespace = svc.metadata.namespace ?? 'default';
  const name = svc.metadata.name ?? '';
  const shape = shapeOf(svc);
  const ips = shape === 'ClusterIP' ? clusterIPs(svc) : [];
  return {
    namespace,
    name,
    fqdn: `${name}.${namespace}.svc.${domain}`.toLowerCase(),
    shape,
    v4: ips.filter((ip) => isIP(ip) === 4),
    v6: ips.filter((ip) => isIP(ip) === 6),
    ...(shape === 'ExternalName' && svc.spec.externalName ? { externalName: svc.spec.externalName.replace(/\.$/, '').toLowerCase() } : {}),
    ports: (svc.spec.ports ?? []).map((p) => ({ name: p.name ?? '', protocol: protocolOf(p.protocol), port: p.port })),
    endpoints: shape === 'ExternalName' ? [] : readyEndpoints(slices),
  };
}

/** Every address this Service answers PTR for, with the name it answers. */
export function reverseNames(r: ServiceRecords): Array<[ip: string, name: string]> {
  const out: Array<[string, string]> = [...r.v4, ...r.v6].map((ip) => [ip, r.fqdn]);
  for (const ep of r.endpoints) for (const ip of [...ep.v4, ...ep.v6]) out.push([ip, `${ep.label}.${r.fqdn}`]);
  return out;
}
