// The cluster zone: the name → records index built from the Services and EndpointSlices an
// informer sees, answering one question at a time as CoreDNS's kubernetes plugin does (TTL 5,
// its SOA on NXDOMAIN and NODATA, `pods insecure` records, PTR for ClusterIPs and endpoint
// addresses, falling through to the upstreams for reverse names it does not know). Pure: no
// sockets, no clock of its own; the server wraps answers into packets.
import type { Answer } from 'dns-packet';
import { isIP } from 'node:net';
import type { EndpointSlice, Service } from '../api/types/service.js';
import { reverseName, isReverseName } from './reverse-name.js';
import { reverseNames, serviceRecords, SERVICE_NAME_LABEL, type NamedPort, type ServiceRecords } from './service-records.js';

/** CoreDNS's kubernetes plugin default TTL. */
export const DEFAULT_TTL = 5;

export type QuestionType = Answer['type'] | 'ANY';

export interface ZoneAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN';
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
  /** An ExternalName's target outside the zone: the server resolves it upstream and appends. */
  chase?: string;
}

export interface ZoneOptions {
  /** The cluster domain, `cluster.local`. */
  domain: string;
  /** The addresses of `ns.dns.<domain>` (the kube-dns ClusterIP), answered for NS glue. */
  nameservers?: string[];
  /** Seconds since the epoch, for the SOA serial (the time of the last change, as CoreDNS). */
  now?: () => number;
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

export class ClusterZone {
  readonly domain: string;
  readonly #nameservers: string[];
  readonly #now: () => number;
  readonly #services = new Map<string, Service>();
  /** service key → slice key → slice */
  readonly #slices = new Map<string, Map<string, EndpointSlice>>();
  /** slice key → the service key it was filed under (its label may change). */
  readonly #sliceOwner = new Map<string, string>();
  readonly #records = new Map<string, ServiceRecords>();
  /** reverse owner name → service key → names */
  readonly #reverse = new Map<string, Map<string, string[]>>();
  /** namespace → how many Services it holds (a namespace "exists" while it has one). */
  readonly #namespaces = new Map<string, number>();
  #serial: number;
  #version = 0;

  constructor(o: ZoneOptions) {
    this.domain = o.domain.replace(/\.$/, '').toLowerCase();
    this.#nameservers = o.nameservers ?? [];
    this.#now = o.now ?? (() => Math.floor(Date.now() / 1000));
    this.#serial = this.#now();
  }

  /** True when a question for this name is this zone's to answer (or to fall through on). */
  covers(name: string): boolean {
    const n = normalize(name);
    return n === this.domain || n.endsWith(`.${this.domain}`) || isReverseName(n);
  }

  setService(svc: Service): void {
    const key = keyOf(svc.metadata.namespace ?? 'default', svc.metadata.name ?? '');
    if (!this.#services.has(key)) this.#namespaces.set(svc.metadata.namespace ?? 'default', (this.#namespaces.get(svc.metadata.namespace ?? 'default') ?? 0) + 1);
    this.#services.set(key, svc);
    this.#rebuild(key);
  }

  deleteService(svc: Service): void {
    const ns = svc.metadata.namespace ?? 'default';
    const key = keyOf(ns, svc.metadata.name ?? '');
    if (!this.#services.delete(key)) return;
    const left = (this.#namespaces.get(ns) ?? 1) - 1;
    if (left > 0) this.#namespaces.set(ns, left);
    else this.#namespaces.delete(ns);
    this.#rebuild(key);
  }

  setSlice(slice: EndpointSlice): void {
    const sliceKey = keyOf(slice.metadata.namespace ?? 'default', slice.metadata.name ?? '');
    const svcName = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    const was = this.#sliceOwner.get(sliceKey);
    const now = svcName ? keyOf(slice.metadata.namespace ?? 'default', svcName) : undefined;
    if (was && was !== now) this.#dropSlice(sliceKey, was);
    if (!now) return;
    this.#sliceOwner.set(sliceKey, now);
    let slices = this.#slices.get(now);
    if (!slices) this.#slices.set(now, (slices = new Map()));
    slices.set(sliceKey, slice);
    this.#rebuild(now);
  }

  deleteSlice(slice: EndpointSlice): void {
    const sliceKey = keyOf(slice.metadata.namespace ?? 'default', slice.metadata.name ?? '');
    const was = this.#sliceOwner.get(sliceKey);
    if (was) this.#dropSlice(sliceKey, was);
  }

  #dropSlice(sliceKey: string, svcKey: string): void {
    this.#sliceOwner.delete(sliceKey);
    const slices = this.#slices.get(svcKey);
    slices?.delete(sliceKey);
    if (slices?.size === 0) this.#slices.delete(svcKey);
    this.#rebuild(svcKey);
  }

  /** Counts the zone's changes: an answer given at one version holds until the next. */
  get version(): number {
    return this.#version;
  }

  #rebuild(key: string): void {
    this.#version++;
    this.#serial = this.#now();
    const old = this.#records.get(key);
    if (old) {
      for (const [ip] of reverseNames(old)) {
        const owners = this.#reverse.get(reverseName(ip) as string);
        owners?.delete(key);
        if (owners?.size === 0) this.#reverse.delete(reverseName(ip) as string);
      }
      this.#records.delete(key);
    }
    const svc = this.#services.get(key);
    if (!svc) return;
    const r = serviceRecords(svc, [...(this.#slices.get(key)?.values() ?? [])], this.domain);
    this.#records.set(key, r);
    for (const [ip, name] of reverseNames(r)) {
      const rev = reverseName(ip) as string;
      let owners = this.#reverse.get(rev);
      if (!owners) this.#reverse.set(rev, (owners = new Map()));
      owners.set(key, [...(owners.get(key) ?? []), name]);
    }
  }

  /** The zone's SOA, as CoreDNS writes it. */
  soa(): Answer {
    return {
      type: 'SOA',
      name: this.domain,
      ttl: DEFAULT_TTL,
      class: 'IN',
      data: { mname: `ns.dns.${this.domain}`, rname: `hostmaster.${this.domain}`, serial: this.#serial >>> 0, refresh: 7200, retry: 1800, expire: 86400, minimum: DEFAULT_TTL },
    };
  }

  /**
   * The answer to one question, or undefined when the zone has nothing to say and the question
   * goes upstream (a name outside the domain, a reverse name of an address it does not know).
   */
  answer(qname: string, qtype: QuestionType): ZoneAnswer | undefined {
    const name = normalize(qname);
    if (isReverseName(name)) return this.#ptr(name, qtype);
    if (name !== this.domain && !name.endsWith(`.${this.domain}`)) return undefined;
    const labels = name === this.domain ? [] : name.slice(0, -this.domain.length - 1).split('.');
    const [a, b, c, d, e] = [...labels].reverse();
    if (labels.length === 0) return this.#apex(qtype);
    if (labels.length === 2 && a === 'dns' && b === 'ns') return this.#addresses(qtype, this.#nameservers.map((ip) => address(name, ip)));
    if (labels.length === 1 && (a === 'svc' || a === 'pod')) return this.#nodata();
    if (a === 'pod' && labels.length === 3) return this.#pod(name, c as string, qtype);
    if (a !== 'svc') return this.#nxdomain();
    if (labels.length === 2) return this.#namespaces.has(b as string) ? this.#nodata() : this.#nxdomain();
    const r = this.#records.get(keyOf(b as string, c as string));
    if (!r) return this.#nxdomain();
    if (labels.length === 3) return this.#service(r, name, qtype);
    if (labels.length === 4) return this.#endpoint(r, d as string, qtype);
    if (labels.length === 5 && d?.startsWith('_') && e?.startsWith('_')) return this.#srvByPort(r, e.slice(1), d.slice(1), name, qtype);
    return this.#nxdomain();
  }

  #apex(qtype: QuestionType): ZoneAnswer {
    if (qtype === 'SOA') return { ...this.#nodata(), authorities: [], answers: [this.soa()] };
    if (qtype === 'NS') {
      const ns = `ns.dns.${this.domain}`;
      return { rcode: 'NOERROR', answers: [{ type: 'NS', name: this.domain, ttl: DEFAULT_TTL, class: 'IN', data: ns }], authorities: [], additionals: this.#nameservers.map((ip) => address(ns, ip)) };
    }
    return this.#nodata();
  }

  #pod(name: string, dashed: string, qtype: QuestionType): ZoneAnswer {
    // `pods insecure`: the address is read back from `<a-b-c-d>.<namespace>.pod.<domain>`.
    const v4 = dashed.replace(/-/g, '.');
    if (isIP(v4) === 4) return this.#addresses(qtype, [address(name, v4)]);
    return this.#nxdomain();
  }

  #service(r: ServiceRecords, name: string, qtype: QuestionType): ZoneAnswer {
    if (r.shape === 'ExternalName') {
      if (!r.externalName) return this.#nodata();
      const cname: Answer = { type: 'CNAME', name, ttl: DEFAULT_TTL, class: 'IN', data: r.externalName };
      if (qtype === 'CNAME') return { rcode: 'NOERROR', answers: [cname], authorities: [], additionals: [] };
      if (qtype !== 'A' && qtype !== 'AAAA' && qtype !== 'ANY') return this.#nodata();
      const inner = this.answer(r.externalName, qtype);
      if (inner) return { ...inner, answers: [cname, ...inner.answers] };
      return { rcode: 'NOERROR', answers: [cname], authorities: [], additionals: [], chase: r.externalName };
    }
    if (qtype === 'SRV') {
      const srv = this.#srv(r, r.shape === 'ClusterIP' ? r.ports : undefined, () => true, name);
      return srv.answers.length ? srv : this.#nodata();
    }
    const addrs =
      r.shape === 'ClusterIP'
        ? [...r.v4, ...r.v6].map((ip) => address(name, ip))
        : r.endpoints.flatMap((ep) => [...ep.v4, ...ep.v6].map((ip) => address(name, ip)));
    return this.#addresses(qtype, addrs);
  }

  #endpoint(r: ServiceRecords, label: string, qtype: QuestionType): ZoneAnswer {
    const eps = r.endpoints.filter((ep) => ep.label === label);
    if (eps.length === 0) return this.#nxdomain();
    const name = `${label}.${r.fqdn}`;
    return this.#addresses(qtype, eps.flatMap((ep) => [...ep.v4, ...ep.v6].map((ip) => address(name, ip))));
  }

  #srvByPort(r: ServiceRecords, port: string, proto: string, name: string, qtype: QuestionType): ZoneAnswer {
    const match = (p: NamedPort) => p.name.toLowerCase() === port && p.protocol === proto;
    const found = r.shape === 'ClusterIP' ? r.ports.some(match) : r.endpoints.some((ep) => ep.ports.some(match));
    if (!found) return this.#nxdomain();
    if (qtype !== 'SRV' && qtype !== 'ANY') return this.#nodata();
    return this.#srv(r, r.shape === 'ClusterIP' ? r.ports : undefined, match, name);
  }

  /** SRV records for a ClusterIP Service's ports (→ its name) or each endpoint's ports (→ the endpoint's name). */
  #srv(r: ServiceRecords, servicePorts: NamedPort[] | undefined, match: (p: NamedPort) => boolean, name: string): ZoneAnswer {
    const targets: Array<{ target: string; port: number; ips: string[] }> = servicePorts
      ? servicePorts.filter(match).map((p) => ({ target: r.fqdn, port: p.port, ips: [...r.v4, ...r.v6] }))
      : r.endpoints.flatMap((ep) => ep.ports.filter(match).map((p) => ({ target: `${ep.label}.${r.fqdn}`, port: p.port, ips: [...ep.v4, ...ep.v6] })));
    // As CoreDNS: one priority, the weight split evenly (100 for one target, 50 for two, ...).
    const weight = targets.length ? Math.floor(100 / targets.length) : 0;
    const answers: Answer[] = targets.map((t) => ({ type: 'SRV', name, ttl: DEFAULT_TTL, class: 'IN', data: { priority: 0, weight, port: t.port, target: t.target } }));
    const glue = new Map<string, Answer>();
    for (const t of targets) for (const ip of t.ips) glue.set(`${t.target} ${ip}`, address(t.target, ip));
    return { rcode: 'NOERROR', answers, authorities: [], additionals: [...glue.values()] };
  }

  #ptr(name: string, qtype: QuestionType): ZoneAnswer | undefined {
    const owners = this.#reverse.get(name);
    if (!owners) return undefined;
    if (qtype !== 'PTR' && qtype !== 'ANY') return { rcode: 'NOERROR', answers: [], authorities: [], additionals: [] };
    const names = new Set([...owners.values()].flat());
    return { rcode: 'NOERROR', answers: [...names].map((data) => ({ type: 'PTR', name, ttl: DEFAULT_TTL, class: 'IN', data })), authorities: [], additionals: [] };
  }

  /** The address records of a name that exists, filtered to the question's type (NODATA if none fit). */
  #addresses(qtype: QuestionType, records: Answer[]): ZoneAnswer {
    const fit = records.filter((r) => qtype === 'ANY' || r.type === qtype);
    return fit.length ? { rcode: 'NOERROR', answers: fit, authorities: [], additionals: [] } : this.#nodata();
  }

  #nodata(): ZoneAnswer {
    return { rcode: 'NOERROR', answers: [], authorities: [this.soa()], additionals: [] };
  }

  #nxdomain(): ZoneAnswer {
    return { rcode: 'NXDOMAIN', answers: [], authorities: [this.soa()], additionals: [] };
  }
}

function normalize(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

function address(name: string, ip: string): Answer {
  return isIP(ip) === 6 ? { type: 'AAAA', name, ttl: DEFAULT_TTL, class: 'IN', data: ip } : { type: 'A', name, ttl: DEFAULT_TTL, class: 'IN', data: ip };
}
