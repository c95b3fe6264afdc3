import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Service } from '../api/types/service.js';
import { reverseName } from './reverse-name.js';
import { ClusterZone, type QuestionType } from './zone.js';

const svc = (namespace: string, name: string, spec: Service['spec']): Service => ({ metadata: { namespace, name }, spec });
const slice = (namespace: string, service: string, name: string, endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports'] = []): EndpointSlice => ({
  metadata: { namespace, name, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints,
  ports,
});

function zone(): ClusterZone {
  const z = new ClusterZone({ domain: 'cluster.local', nameservers: ['10.96.0.10'], now: () => 1700000000 });
  z.setService(svc('default', 'web', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] }));
  z.setSlice(slice('default', 'web', 'web-abc', [{ addresses: ['10.244.1.5'], conditions: { ready: true } }], [{ name: 'http', port: 8080, protocol: 'TCP' }]));
  z.setService(svc('db', 'pg', { clusterIP: 'None', ports: [{ name: 'sql', port: 5432 }] }));
  z.setSlice(slice('db', 'pg', 'pg-1', [
    { addresses: ['10.244.1.7'], hostname: 'pg-0', conditions: { ready: true } },
    { addresses: ['10.244.2.8'], conditions: {} },
    { addresses: ['10.244.2.9'], hostname: 'pg-2', conditions: { ready: false } },
  ], [{ name: 'sql', port: 5432, protocol: 'TCP' }]));
  // The same address in a second slice (mid-update) counts once.
  z.setSlice(slice('db', 'pg', 'pg-2', [{ addresses: ['10.244.1.7'], hostname: 'pg-0', conditions: { ready: true } }], [{ name: 'sql', port: 5432, protocol: 'TCP' }]));
  z.setService(svc('default', 'ext', { type: 'ExternalName', externalName: 'example.org' }));
  z.setService(svc('default', 'alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' }));
  z.setService(svc('default', 'empty', { clusterIP: 'None' }));
  return z;
}

const SOA = 'SOA ns.dns.cluster.local hostmaster.cluster.local 1700000000 7200 1800 86400 5';

/** One line per record, dig-like: `TYPE data`. */
function lines(z: ClusterZone, name: string, type: QuestionType): { rcode: string; answers: string[]; authorities: string[]; additionals: string[]; chase?: string } | undefined {
  const a = z.answer(name, type);
  if (!a) return undefined;
  const show = (answer: (typeof a.answers)[number]): string => {
    const r = answer as { type: string; name: string; ttl?: number; data: unknown };
    const d = r.data;
    if (r.type === 'SOA') {
      const s = d as { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };
      return `SOA ${s.mname} ${s.rname} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
    }
    if (r.type === 'SRV') {
      const s = d as { priority: number; weight: number; port: number; target: string };
      return `${r.name} SRV ${s.priority} ${s.weight} ${s.port} ${s.target}`;
    }
    expect(r.ttl).toBe(5);
    return `${r.name} ${r.type} ${String(d)}`;
  };
  return { rcode: a.rcode, answers: a.answers.map(show), authorities: a.authorities.map(show), additionals: a.additionals.map(show), ...(a.chase ? { chase: a.chase } : {}) };
}

const ok = (answers: string[], additionals: string[] = []) => ({ rcode: 'NOERROR', answers, authorities: [], additionals });
const nodata = { rcode: 'NOERROR', answers: [], authorities: [SOA], additionals: [] };
const nx = { rcode: 'NXDOMAIN', answers: [], authorities: [SOA], additionals: [] };

describe('ClusterZone', () => {
  it.each<[string, QuestionType, unknown]>([
    ['web.default.svc.cluster.local', 'A', ok(['web.default.svc.cluster.local A 10.96.0.20'])],
    ['WEB.Default.svc.cluster.local.', 'A', ok(['web.default.svc.cluster.local A 10.96.0.20'])],
    ['web.default.svc.cluster.local', 'AAAA', nodata],
    ['web.default.svc.cluster.local', 'TXT', nodata],
    ['_http._tcp.web.default.svc.cluster.local', 'SRV', ok(['_http._tcp.web.default.svc.cluster.local SRV 0 100 80 web.default.svc.cluster.local'], ['web.default.svc.cluster.local A 10.96.0.20'])],
    ['_dns._udp.web.default.svc.cluster.local', 'SRV', ok(['_dns._udp.web.default.svc.cluster.local SRV 0 100 53 web.default.svc.cluster.local'], ['web.default.svc.cluster.local A 10.96.0.20'])],
    ['_http._udp.web.default.svc.cluster.local', 'SRV', nx],
    ['_nope._tcp.web.default.svc.cluster.local', 'SRV', nx],
    ['web.default.svc.cluster.local', 'SRV', ok([
      'web.default.svc.cluster.local SRV 0 50 80 web.default.svc.cluster.local',
      'web.default.svc.cluster.local SRV 0 50 53 web.default.svc.cluster.local',
    ], ['web.default.svc.cluster.local A 10.96.0.20'])],
    // Endpoint names of a ClusterIP Service: the dashed address when there is no hostname.
    ['10-244-1-5.web.default.svc.cluster.local', 'A', ok(['10-244-1-5.web.default.svc.cluster.local A 10.244.1.5'])],
    // Headless: every ready endpoint's address; not-ready ones left out; nil ready is ready.
    ['pg.db.svc.cluster.local', 'A', ok(['pg.db.svc.cluster.local A 10.244.1.7', 'pg.db.svc.cluster.local A 10.244.2.8'])],
    ['pg-0.pg.db.svc.cluster.local', 'A', ok(['pg-0.pg.db.svc.cluster.local A 10.244.1.7'])],
    ['10-244-2-8.pg.db.svc.cluster.local', 'A', ok(['10-244-2-8.pg.db.svc.cluster.local A 10.244.2.8'])],
    ['pg-2.pg.db.svc.cluster.local', 'A', nx],
    ['pg-0.pg.db.svc.cluster.local', 'AAAA', nodata],
    ['_sql._tcp.pg.db.svc.cluster.local', 'SRV', ok([
      '_sql._tcp.pg.db.svc.cluster.local SRV 0 50 5432 pg-0.pg.db.svc.cluster.local',
      '_sql._tcp.pg.db.svc.cluster.local SRV 0 50 5432 10-244-2-8.pg.db.svc.cluster.local',
    ], ['pg-0.pg.db.svc.cluster.local A 10.244.1.7', '10-244-2-8.pg.db.svc.cluster.local A 10.244.2.8'])],
    ['_sql._tcp.pg.db.svc.cluster.local', 'A', nodata],
    // A headless Service with no endpoints exists: NODATA, not NXDOMAIN.
    ['empty.default.svc.cluster.local', 'A', nodata],
    // ExternalName: a CNAME, chased in the zone when the target is in it, else upstream.
    ['ext.default.svc.cluster.local', 'A', { ...ok(['ext.default.svc.cluster.local CNAME example.org']), chase: 'example.org' }],
    ['ext.default.svc.cluster.local', 'CNAME', ok(['ext.default.svc.cluster.local CNAME example.org'])],
    ['alias.default.svc.cluster.local', 'A', ok(['alias.default.svc.cluster.local CNAME web.default.svc.cluster.local', 'web.default.svc.cluster.local A 10.96.0.20'])],
    // Unknown names in the domain: NXDOMAIN with the SOA; names that exist: NODATA.
    ['nope.default.svc.cluster.local', 'A', nx],
    ['web.nons.svc.cluster.local', 'A', nx],
    ['a.b.c.d.web.default.svc.cluster.local', 'A', nx],
    ['default.svc.cluster.local', 'A', nodata],
    ['nons.svc.cluster.local', 'A', nx],
    ['svc.cluster.local', 'A', nodata],
    ['cluster.local', 'A', nodata],
    ['whatever.cluster.local', 'A', nx],
    ['cluster.local', 'SOA', ok([SOA])],
    ['cluster.local', 'NS', ok(['cluster.local NS ns.dns.cluster.local'], ['ns.dns.cluster.local A 10.96.0.10'])],
    // `pods insecure`.
    ['10-244-3-4.default.pod.cluster.local', 'A', ok(['10-244-3-4.default.pod.cluster.local A 10.244.3.4'])],
    ['not-an-ip.default.pod.cluster.local', 'A', nx],
    // PTR for ClusterIPs and endpoint addresses; unknown reverse names fall through (undefined).
    ['20.0.96.10.in-addr.arpa', 'PTR', ok(['20.0.96.10.in-addr.arpa PTR web.default.svc.cluster.local'])],
    ['7.1.244.10.in-addr.arpa', 'PTR', ok(['7.1.244.10.in-addr.arpa PTR pg-0.pg.db.svc.cluster.local'])],
    ['8.2.244.10.in-addr.arpa', 'PTR', ok(['8.2.244.10.in-addr.arpa PTR 10-244-2-8.pg.db.svc.cluster.local'])],
    ['9.2.244.10.in-addr.arpa', 'PTR', undefined],
    // Outside the domain: not the zone's.
    ['example.org', 'A', undefined],
    ['cluster.localhost', 'A', undefined],
  ])('%s %s', (name, type, want) => {
    expect(lines(zone(), name, type)).toEqual(want);
  });

  it('follows Services and slices as they change and forget', () => {
    const z = zone();
    z.setSlice(slice('db', 'pg', 'pg-1', [{ addresses: ['10.244.2.9'], hostname: 'pg-2', conditions: { ready: true } }], [{ name: 'sql', port: 5432 }]));
    expect(lines(z, 'pg.db.svc.cluster.local', 'A')?.answers).toEqual(['pg.db.svc.cluster.local A 10.244.2.9', 'pg.db.svc.cluster.local A 10.244.1.7']);
    expect(z.answer('8.2.244.10.in-addr.arpa', 'PTR')).toBeUndefined();
    z.deleteSlice(slice('db', 'pg', 'pg-2', []));
    expect(lines(z, 'pg.db.svc.cluster.local', 'A')?.answers).toEqual(['pg.db.svc.cluster.local A 10.244.2.9']);
    z.deleteService(svc('db', 'pg', {}));
    expect(lines(z, 'pg.db.svc.cluster.local', 'A')).toEqual(nx);
    expect(lines(z, 'db.svc.cluster.local', 'A')).toEqual(nx);
    expect(z.answer('9.2.244.10.in-addr.arpa', 'PTR')).toBeUndefined();
    // A Service made after its slices picks them up.
    z.setService(svc('db', 'pg', { clusterIP: 'None' }));
    expect(lines(z, 'pg.db.svc.cluster.local', 'A')?.answers).toEqual(['pg.db.svc.cluster.local A 10.244.2.9']);
  });

  it('moves the SOA serial to the time of the last change', () => {
    let now = 100;
    const z = new ClusterZone({ domain: 'cluster.local', now: () => now });
    now = 200;
    z.setService(svc('default', 'a', { clusterIP: '10.96.0.1' }));
    expect(((z.soa() as { data: unknown }).data as { serial: number }).serial).toBe(200);
  });

  it('names IPv6 addresses under ip6.arpa', () => {
    expect(reverseName('fd00::1')).toBe(`1.${'0.'.repeat(27)}0.0.d.f.ip6.arpa`);
    expect(reverseName('10.1.2.3')).toBe('3.2.1.10.in-addr.arpa');
  });
});
