// The cluster DNS against the real `dig`, on loopback, fed by a real API server on a real etcd
// through the node's credentials: CoreDNS's kubernetes plugin's answers (A, headless, per-pod
// names, SRV, PTR, ExternalName, NXDOMAIN and NODATA with its SOA), truncation over UDP and
// the retry over TCP, names outside the domain forwarded to an upstream on loopback, SERVFAIL
// when there is none or it is silent, and the node's own kube-dns EndpointSlice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isApiError } from '../../api/errors.js';
import type { Node } from '../../api/types/core.js';
import type { EndpointSlice, Service } from '../../api/types/service.js';
import { RestClient } from '../../client/rest.js';
import { ClusterDns } from '../../dns/cluster-dns.js';
import { ensureKubeDnsService } from '../../dns/kube-dns-service.js';
import { startApiCluster, type ApiCluster } from '../fixtures/apiserver.js';
import { eventually } from '../fixtures/eventually.js';
import { dig } from './dig.js';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.js';

const NS = 'dnsns';
const NODE = 'dns-node-1';
const SOA = /^cluster\.local\. 5 SOA ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 5$/;

let cluster: ApiCluster;
let admin: RestClient;
let nodeClient: RestClient;
let upstream: FakeUpstream;
let dns: ClusterDns;
let port: number;
const errors: unknown[] = [];

const services = () => admin.resourceByName<Service>('services', '');
const slices = () => admin.resourceByName<EndpointSlice>('endpointslices', 'discovery.k8s.io');

function slice(service: string, name: string, endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports']): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: NS, labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'test.skiff.dev' } },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}

describe('cluster DNS with dig', () => {
  beforeAll(async () => {
    cluster = await startApiCluster({ namespace: NS, nodes: [NODE] });
    admin = new RestClient({ server: cluster.api.url, token: cluster.api.adminToken, namespace: NS });
    nodeClient = new RestClient({ server: cluster.api.url, token: cluster.api.nodeToken(NODE), namespace: NS });
    await nodeClient.nodes.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } } as Node);
    await services().create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS }, spec: { clusterIP: '10.96.0.50', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
    await slices().create(slice('web', 'web-1', [{ addresses: ['10.244.1.5'], conditions: { ready: true } }], [{ name: 'http', port: 8080, protocol: 'TCP' }]));
    await services().create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'pg', namespace: NS }, spec: { clusterIP: 'None', ports: [{ name: 'sql', port: 5432 }] } });
    await slices().create(slice('pg', 'pg-1', [
      { addresses: ['10.244.1.7'], hostname: 'pg-0', conditions: { ready: true } },
      { addresses: ['10.244.2.8'], hostname: 'pg-1', conditions: { ready: true } },
      { addresses: ['10.244.2.9'], hostname: 'pg-2', conditions: { ready: false } },
    ], [{ name: 'sql', port: 5432, protocol: 'TCP' }]));
    await services().create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: NS }, spec: { type: 'ExternalName', externalName: 'www.example.test' } });
    // Sixty endpoints: more than 512 bytes of A records.
    await services().create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'many', namespace: NS }, spec: { clusterIP: 'None' } });
    await slices().create(slice('many', 'many-1', Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.244.9.${i + 1}`], conditions: { ready: true } })), []));
    upstream = await startFakeUpstream({ 'www.example.test': '192.0.2.7', 'other.example.test': '192.0.2.8' });
    dns = new ClusterDns({
      client: nodeClient,
      host: '127.0.0.1',
      port: 0,
      domain: 'cluster.local',
      clusterDNS: ['10.96.0.10'],
      upstreams: [{ host: '127.0.0.1', port: upstream.port }],
      nodeName: NODE,
      // Served on loopback; the slice names an address (a slice may not name loopback).
      advertiseAddress: '192.0.2.53',
      onError: (e) => errors.push(e),
    });
    port = (await dns.start()).port;
  }, 90_000);

  afterAll(async () => {
    await dns?.stop();
    await upstream?.stop();
    nodeClient?.close();
    admin?.close();
    await cluster?.stop();
  });

  it('answers a ClusterIP Service with its address, TTL 5, authoritatively; AAAA is NODATA', async () => {
    const a = await dig(port, `web.${NS}.svc.cluster.local`);
    expect(a.status).toBe('NOERROR');
    expect(a.flags).toContain('aa');
    expect(a.answer).toEqual([`web.${NS}.svc.cluster.local. 5 A 10.96.0.50`]);
    const aaaa = await dig(port, `web.${NS}.svc.cluster.local`, 'AAAA');
    expect([aaaa.status, aaaa.answer]).toEqual(['NOERROR', []]);
    expect(aaaa.authority).toEqual([expect.stringMatching(SOA)]);
    // Over TCP too.
    expect((await dig(port, `web.${NS}.svc.cluster.local`, 'A', ['+tcp'])).answer).toEqual([`web.${NS}.svc.cluster.local. 5 A 10.96.0.50`]);
  });

  it('answers a headless Service with its ready endpoints, and each endpoint by hostname', async () => {
    const a = await dig(port, `pg.${NS}.svc.cluster.local`);
    expect(a.answer.sort()).toEqual([`pg.${NS}.svc.cluster.local. 5 A 10.244.1.7`, `pg.${NS}.svc.cluster.local. 5 A 10.244.2.8`]);
    expect((await dig(port, `pg-1.pg.${NS}.svc.cluster.local`)).answer).toEqual([`pg-1.pg.${NS}.svc.cluster.local. 5 A 10.244.2.8`]);
    expect((await dig(port, `pg-2.pg.${NS}.svc.cluster.local`)).status).toBe('NXDOMAIN');
  });

  it('answers SRV for named ports, with the targets addresses as glue', async () => {
    const clusterIP = await dig(port, `_http._tcp.web.${NS}.svc.cluster.local`, 'SRV');
    expect(clusterIP.answer).toEqual([`_http._tcp.web.${NS}.svc.cluster.local. 5 SRV 0 100 80 web.${NS}.svc.cluster.local.`]);
    expect(clusterIP.additional).toEqual([`web.${NS}.svc.cluster.local. 5 A 10.96.0.50`]);
    const headless = await dig(port, `_sql._tcp.pg.${NS}.svc.cluster.local`, 'SRV');
    expect(headless.answer.sort()).toEqual([
      `_sql._tcp.pg.${NS}.svc.cluster.local. 5 SRV 0 50 5432 pg-0.pg.${NS}.svc.cluster.local.`,
      `_sql._tcp.pg.${NS}.svc.cluster.local. 5 SRV 0 50 5432 pg-1.pg.${NS}.svc.cluster.local.`,
    ]);
    expect(headless.additional.sort()).toEqual([`pg-0.pg.${NS}.svc.cluster.local. 5 A 10.244.1.7`, `pg-1.pg.${NS}.svc.cluster.local. 5 A 10.244.2.8`]);
  });

  it('answers PTR for ClusterIPs and endpoint addresses', async () => {
    expect((await dig(port, '10.96.0.50', 'PTR')).answer).toEqual([`50.0.96.10.in-addr.arpa. 5 PTR web.${NS}.svc.cluster.local.`]);
    expect((await dig(port, '10.244.1.7', 'PTR')).answer).toEqual([`7.1.244.10.in-addr.arpa. 5 PTR pg-0.pg.${NS}.svc.cluster.local.`]);
  });

  it('answers an ExternalName Service with a CNAME and its target resolved upstream', async () => {
    const a = await dig(port, `ext.${NS}.svc.cluster.local`);
    expect(a.answer).toEqual([`ext.${NS}.svc.cluster.local. 5 CNAME www.example.test.`, 'www.example.test. 60 A 192.0.2.7']);
  });

  it('answers NXDOMAIN with the SOA for unknown names in the domain, NODATA for names that exist', async () => {
    const nx = await dig(port, `nope.${NS}.svc.cluster.local`);
    expect(nx.status).toBe('NXDOMAIN');
    expect(nx.authority).toEqual([expect.stringMatching(SOA)]);
    expect((await dig(port, 'nope.svc.cluster.local')).status).toBe('NXDOMAIN');
    const ns = await dig(port, `${NS}.svc.cluster.local`);
    expect([ns.status, ns.answer, ns.authority.length]).toEqual(['NOERROR', [], 1]);
  });

  it('cuts a big answer over UDP with TC set, and dig gets all of it over TCP', async () => {
    const cut = await dig(port, `many.${NS}.svc.cluster.local`, 'A', ['+ignore', '+noedns']);
    expect(cut.flags).toContain('tc');
    expect(cut.answer.length).toBeGreaterThan(0);
    expect(cut.answer.length).toBeLessThan(60);
    const whole = await dig(port, `many.${NS}.svc.cluster.local`, 'A', ['+noedns']);
    expect(whole.flags).not.toContain('tc');
    expect(whole.answer).toHaveLength(60);
  });

  it('forwards names outside the domain upstream, over UDP and TCP', async () => {
    const a = await dig(port, 'other.example.test');
    expect([a.status, a.answer]).toEqual(['NOERROR', ['other.example.test. 60 A 192.0.2.8']]);
    expect(a.flags).not.toContain('aa');
    expect((await dig(port, 'missing.example.test')).status).toBe('NXDOMAIN');
    expect((await dig(port, 'other.example.test', 'A', ['+tcp'])).answer).toEqual(['other.example.test. 60 A 192.0.2.8']);
    expect(upstream.asked).toEqual(expect.arrayContaining(['other.example.test A udp', 'other.example.test A tcp']));
  });

  it('follows Services and slices as they change, however often a name was asked before', async () => {
    // Asked twice before the change: the second answer came from the server's answer cache.
    for (let i = 0; i < 2; i++) {
      expect((await dig(port, `pg-3.pg.${NS}.svc.cluster.local`)).status).toBe('NXDOMAIN');
      expect((await dig(port, `pg.${NS}.svc.cluster.local`)).answer).toHaveLength(2);
    }
    await slices().create(slice('pg', 'pg-2', [{ addresses: ['10.244.3.3'], hostname: 'pg-3', conditions: { ready: true } }], [{ name: 'sql', port: 5432, protocol: 'TCP' }]));
    await eventually(async () => (await dig(port, `pg-3.pg.${NS}.svc.cluster.local`)).answer.length === 1, 'the new endpoint in DNS');
    expect((await dig(port, `pg.${NS}.svc.cluster.local`)).answer).toHaveLength(3);
    await services().delete('web', { namespace: NS });
    await eventually(async () => (await dig(port, `web.${NS}.svc.cluster.local`)).status === 'NXDOMAIN', 'the deleted Service gone from DNS');
  });

  it('makes the kube-dns Service as kubeadm does, once', async () => {
    await ensureKubeDnsService(admin, '10.96.0.10');
    await ensureKubeDnsService(admin, '10.96.0.10');
    const svc = await services().get('kube-dns', { namespace: 'kube-system' });
    expect(svc.spec).toMatchObject({ clusterIP: '10.96.0.10', internalTrafficPolicy: 'Local' });
    expect(svc.spec.selector).toBeUndefined();
    expect(svc.spec.ports?.map((p) => [p.name, p.protocol, p.port])).toEqual([['dns', 'UDP', 53], ['dns-tcp', 'TCP', 53]]);
    // The node's own slice makes the Service answer in DNS too.
    await eventually(async () => (await dig(port, 'kube-dns.kube-system.svc.cluster.local')).answer[0] === 'kube-dns.kube-system.svc.cluster.local. 5 A 10.96.0.10', 'kube-dns in DNS');
  });

  it("keeps the node's own kube-dns EndpointSlice, owned by its Node, and the node may write no other", async () => {
    const kubeDns = admin.resourceByName<EndpointSlice>('endpointslices', 'discovery.k8s.io');
    const mine = await eventually(() => kubeDns.get(`kube-dns-${NODE}`, { namespace: 'kube-system' }), 'the kube-dns slice of the node').catch((e: unknown) => {
      throw new Error(`${String(e)}; the DNS reported: ${errors.map(String).join('; ')}`);
    });
    const node = await admin.nodes.get(NODE);
    expect(mine.metadata.labels).toMatchObject({ 'kubernetes.io/service-name': 'kube-dns' });
    expect(mine.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: NODE, uid: node.metadata.uid }]);
    expect(mine.endpoints).toEqual([{ addresses: ['192.0.2.53'], conditions: { ready: true, serving: true, terminating: false }, nodeName: NODE }]);
    expect(mine.ports).toEqual([{ name: 'dns', protocol: 'UDP', port }, { name: 'dns-tcp', protocol: 'TCP', port }]);
    const nodeSlices = nodeClient.resourceByName<EndpointSlice>('endpointslices', 'discovery.k8s.io');
    const other = { ...mine, metadata: { name: 'kube-dns-other-node', namespace: 'kube-system', labels: mine.metadata.labels } };
    const err = await nodeSlices.create(other, { namespace: 'kube-system' }).then(() => undefined, (e: unknown) => e);
    expect(isApiError(err, 'Forbidden')).toBe(true);
    const web = await nodeSlices.get('pg-1', { namespace: NS });
    const err2 = await nodeSlices.update({ ...web, endpoints: [] }, { namespace: NS }).then(() => undefined, (e: unknown) => e);
    expect(isApiError(err2, 'Forbidden')).toBe(true);
  });
});

describe('cluster DNS without a working upstream', () => {
  let api: ApiCluster;
  let client: RestClient;
  const stops: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    api = await startApiCluster({});
    client = new RestClient({ server: api.api.url, token: api.api.adminToken, namespace: 'default' });
  }, 60_000);

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    client?.close();
    await api?.stop();
  });

  async function serve(upstreams: Array<{ host: string; port: number }>): Promise<number> {
    const d = new ClusterDns({ client, host: '127.0.0.1', port: 0, domain: 'cluster.local', upstreams, forwardTimeoutMs: 1500 });
    stops.push(() => d.stop());
    return (await d.start()).port;
  }

  it('answers SERVFAIL when there is no upstream, one refuses, or one stays silent', async () => {
    const silent = await startFakeUpstream({}, { silent: true });
    stops.push(() => silent.stop());
    // Nothing listens here once the fake is gone: a refusing upstream (a loopback stub seen
    // from another network namespace).
    const gone = await startFakeUpstream({});
    await gone.stop();
    for (const upstreams of [[], [{ host: '127.0.0.1', port: gone.port }], [{ host: '127.0.0.1', port: silent.port }]]) {
      const p = await serve(upstreams);
      const a = await dig(p, 'www.example.test');
      expect(a.status).toBe('SERVFAIL');
      // The cluster's own names still answer.
      expect((await dig(p, 'nope.default.svc.cluster.local')).status).toBe('NXDOMAIN');
    }
    expect(silent.asked).toContain('www.example.test A udp');
  });

  it('passes over a refusing upstream for the next one', async () => {
    const good = await startFakeUpstream({ 'www.example.test': '192.0.2.7' });
    stops.push(() => good.stop());
    const gone = await startFakeUpstream({});
    await gone.stop();
    const p = await serve([{ host: '127.0.0.1', port: gone.port }, { host: '127.0.0.1', port: good.port }]);
    expect((await dig(p, 'www.example.test')).answer).toEqual(['www.example.test. 60 A 192.0.2.7']);
  });

  it('rejects a request that is no query', async () => {
    const p = await serve([]);
    const { default: dgram } = await import('node:dgram');
    const sock = dgram.createSocket('udp4');
    const reply = await new Promise<Buffer>((resolve) => {
      sock.on('message', resolve);
      // A header with opcode 2 (STATUS) and one garbled question.
      sock.send(Buffer.from([0x12, 0x34, 0x10, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xff]), p, '127.0.0.1');
    });
    sock.close();
    expect(reply.readUInt16BE(0)).toBe(0x1234);
    expect(reply.readUInt16BE(2) & 0xf).toBe(4);
  });
});
