// The record set of the DNS benchmark (bench/_service-dns.ts), written three ways from one
// plan: as Services and EndpointSlices for the API server (the cluster DNS reads them as the
// node agent does), as a dnsmasq configuration serving the same names (host-record, srv-host,
// an addn-hosts file, `local=/<domain>/` for NXDOMAIN inside the domain), and as dnsperf's
// query file. Pure: no sockets, no processes.
import type { EndpointSlice, Service } from '../api/types/service.js';

export interface PlanOptions {
  services: number;
  namespaces: number;
  /** Every `headlessEvery`-th Service is headless, with `podsPerHeadless` endpoints. */
  headlessEvery: number;
  podsPerHeadless: number;
  /** Where ClusterIPs and pod addresses start counting (`10.75.0`: 10.75.0.2, ... 10.75.0.251, 10.75.1.2, ...). */
  clusterIPBase: string;
  podIPBase: string;
  domain: string;
}

export interface PlannedPod {
  /** The endpoint's label: its hostname, or its address with dashes (as CoreDNS names it). */
  label: string;
  hostname?: string;
  ip: string;
}

export interface PlannedService {
  namespace: string;
  name: string;
  fqdn: string;
  /** undefined: headless. */
  clusterIP?: string;
  ports: Array<{ name: string; port: number }>;
  pods: PlannedPod[];
}

export type QueryKind = 'service A' | 'headless pod A' | 'SRV' | 'NXDOMAIN';

export interface Query {
  kind: QueryKind;
  name: string;
  type: 'A' | 'SRV';
}

const SERVICE_PORTS = [
  { name: 'http', port: 80 },
  { name: 'metrics', port: 9090 },
];
const POD_PORT = { name: 'http', port: 8080 };

function ipAt(base: string, n: number): string {
  const [a, b, c] = base.split('.');
  return `${a}.${b}.${Number(c) + Math.floor(n / 250)}.${(n % 250) + 2}`;
}

export function planServices(o: PlanOptions): PlannedService[] {
  const out: PlannedService[] = [];
  let pod = 0;
  for (let i = 0; i < o.services; i++) {
    const namespace = `dnsb-${i % o.namespaces}`;
    const headless = i % o.headlessEvery === o.headlessEvery - 1;
    const name = `${headless ? 'hl' : 'svc'}-${i}`;
    const fqdn = `${name}.${namespace}.svc.${o.domain}`;
    if (!headless) {
      out.push({ namespace, name, fqdn, clusterIP: ipAt(o.clusterIPBase, i), ports: SERVICE_PORTS, pods: [] });
      continue;
    }
    // StatefulSet-like pods with hostnames, and one without (named by its address, dashed).
    const pods = Array.from({ length: o.podsPerHeadless }, (_, k): PlannedPod => {
      const ip = ipAt(o.podIPBase, pod++);
      return k < o.podsPerHeadless - 1 ? { label: `${name}-${k}`, hostname: `${name}-${k}`, ip } : { label: ip.replace(/\./g, '-'), ip };
    });
    out.push({ namespace, name, fqdn, ports: [POD_PORT], pods });
  }
  return out;
}

export function serviceObject(s: PlannedService): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace: s.namespace },
    spec: { clusterIP: s.clusterIP ?? 'None', ports: s.ports.map((p) => ({ name: p.name, port: p.port, protocol: 'TCP' })) },
  };
}

/** A headless Service's one slice, written by the benchmark (its Service has no selector). */
export function sliceObject(s: PlannedService): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${s.name}-1`, namespace: s.namespace, labels: { 'kubernetes.io/service-name': s.name, 'endpointslice.kubernetes.io/managed-by': 'bench.skiff.dev' } },
    addressType: 'IPv4',
    endpoints: s.pods.map((p) => ({ addresses: [p.ip], ...(p.hostname ? { hostname: p.hostname } : {}), conditions: { ready: true, serving: true, terminating: false } })),
    ports: [{ name: POD_PORT.name, port: POD_PORT.port, protocol: 'TCP' }],
  };
}

/**
 * dnsmasq's configuration file (one option a line, as on its command line) and addn-hosts
 * file for the same names: a ClusterIP Service's A (host-record), a headless Service's and its
 * pods' A (hosts lines), SRV for every named port with CoreDNS's targets and weights (100
 * split evenly), and `local=` so that any other name in the domain is NXDOMAIN, never forwarded.
 */
export function dnsmasqFiles(services: PlannedService[], domain: string): { conf: string; hosts: string } {
  const conf: string[] = [`local=/${domain}/`];
  const hosts: string[] = [];
  for (const s of services) {
    if (s.clusterIP) {
      conf.push(`host-record=${s.fqdn},${s.clusterIP}`);
      for (const p of s.ports) conf.push(`srv-host=_${p.name}._tcp.${s.fqdn},${s.fqdn},${p.port},0,100`);
      continue;
    }
    const weight = Math.floor(100 / s.pods.length);
    for (const p of s.pods) {
      hosts.push(`${p.ip} ${p.label}.${s.fqdn} ${s.fqdn}`);
      conf.push(`srv-host=_${POD_PORT.name}._tcp.${s.fqdn},${p.label}.${s.fqdn},${POD_PORT.port},0,${weight}`);
    }
  }
  return { conf: `${conf.join('\n')}\n`, hosts: `${hosts.join('\n')}\n` };
}

/**
 * `count` questions, in a fixed shuffled order: 40% Service A by full name, 20% headless pod
 * A, 20% SRV (ClusterIP and headless Services' named ports), 20% names inside the domain that
 * do not exist (NXDOMAIN). Nothing outside the domain: nothing is forwarded upstream.
 */
export function planQueries(services: PlannedService[], count: number, domain: string): Query[] {
  const clusterIP = services.filter((s) => s.clusterIP);
  const headless = services.filter((s) => !s.clusterIP);
  let seed = 22;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pick = <T>(xs: T[]): T => xs[rand(xs.length)] as T;
  const out: Query[] = [];
  for (let i = 0; i < count; i++) {
    const slot = rand(10);
    if (slot < 4) out.push({ kind: 'service A', name: pick(clusterIP).fqdn, type: 'A' });
    else if (slot < 6) {
      const s = pick(headless);
      out.push({ kind: 'headless pod A', name: `${pick(s.pods).label}.${s.fqdn}`, type: 'A' });
    } else if (slot < 8) {
      const s = pick(slot === 6 ? clusterIP : headless);
      out.push({ kind: 'SRV', name: `_${pick(s.ports).name}._tcp.${s.fqdn}`, type: 'SRV' });
    } else {
      const s = pick(services);
      out.push({ kind: 'NXDOMAIN', name: `missing-${rand(100_000)}.${s.namespace}.svc.${domain}`, type: 'A' });
    }
  }
  return out;
}

/** dnsperf's data file: `name type` a line. */
export function dnsperfData(queries: Query[]): string {
  return `${queries.map((q) => `${q.name} ${q.type}`).join('\n')}\n`;
}
