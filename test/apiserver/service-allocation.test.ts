// Cluster IP and node port allocation on real etcd with two API servers sharing it: every
// address a Service holds is a key written in the Service's own Txn, so 50 concurrent creates
// split over both servers get 50 distinct addresses, a requested taken address is a 422 on its
// field, what a delete or a type change lets go is free again at once, and a small range
// emptied and filled again never runs out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../api/types/service.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { client, type Client } from './http.js';

let etcd: EtcdFixture;
const servers: ApiServerFixture[] = [];
let a: Client;
let b: Client;
const SVC = '/api/v1/namespaces/default/services';

const service = (name: string, spec: Partial<Service['spec']> = {}): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
});

type Causes = { details?: { causes?: { field?: string; message?: string }[] } };
const fields = (body: Causes) => body.details?.causes?.map((c) => c.field);

async function server(opts: { etcdPrefix?: string; serviceClusterIPRange?: string; serviceNodePortRange?: string } = {}): Promise<Client> {
  const api = await startApiServer({ etcd, inProcess: true, ...opts });
  servers.push(api);
  return client(api.url, api.adminToken);
}

beforeAll(async () => {
  etcd = await startEtcd();
  a = await server();
  b = await server();
}, 60_000);

afterAll(async () => {
  for (const s of servers) await s.stop();
  await etcd?.stop();
});

describe('Service allocation', () => {
  it('50 concurrent NodePort creates over two API servers get 50 distinct cluster IPs and node ports', async () => {
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).post<Service>(SVC, service(`many-${i}`, { type: 'NodePort' }))));
    expect(replies.map((r) => r.status)).toEqual(Array(50).fill(201));
    const ips = replies.map((r) => r.body.spec.clusterIP as string);
    const ports = replies.map((r) => r.body.spec.ports?.[0].nodePort as number);
    expect(new Set(ips).size).toBe(50);
    expect(new Set(ports).size).toBe(50);
    for (const ip of ips) expect(ip).toMatch(/^10\.96\.\d+\.\d+$/);
    for (const p of ports) expect(p >= 30000 && p <= 32767).toBe(true);
    for (const r of replies) expect(r.body.spec.clusterIPs).toEqual([r.body.spec.clusterIP]);
  });

  it('a requested address that is taken, or out of range, is a 422 with its field path', async () => {
    const first = await a.post<Service>(SVC, service('holder', { type: 'NodePort', clusterIP: '10.96.200.7', ports: [{ port: 80, nodePort: 31007 }] }));
    expect(first.status).toBe(201);
    expect(first.body.spec.clusterIP).toBe('10.96.200.7');
    const ip = await b.post<Causes>(SVC, service('wants-ip', { clusterIP: '10.96.200.7' }));
    expect(ip.status).toBe(422);
    expect(fields(ip.body)).toEqual(['spec.clusterIPs']);
    expect(JSON.stringify(ip.body)).toContain('provided IP is already allocated');
    const port = await b.post<Causes>(SVC, service('wants-port', { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81, nodePort: 31007 }] }));
    expect(port.status).toBe(422);
    expect(fields(port.body)).toEqual(['spec.ports[1].nodePort']);
    const outside = await b.post<Causes>(SVC, service('outside', { type: 'NodePort', clusterIP: '10.97.0.1', ports: [{ port: 80, nodePort: 80 }] }));
    expect(outside.status).toBe(422);
    expect(fields(outside.body)).toEqual(['spec.clusterIPs', 'spec.ports[0].nodePort']);
    // A server started later on the same etcd knows the address is held.
    const later = await server();
    expect((await later.post(SVC, service('later', { clusterIP: '10.96.200.7' }))).status).toBe(422);
  });

  it('headless and ExternalName Services get no address; LoadBalancer gets node ports and a pending status', async () => {
    const headless = await a.post<Service>(SVC, service('headless', { clusterIP: 'None' }));
    expect([headless.status, headless.body.spec.clusterIPs]).toEqual([201, ['None']]);
    const external = await a.post<Service>(SVC, { ...service('external', { type: 'ExternalName', externalName: 'example.com' }), spec: { type: 'ExternalName', externalName: 'example.com' } });
    expect([external.status, external.body.spec.clusterIP]).toEqual([201, undefined]);
    const lb = await a.post<Service>(SVC, service('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' }));
    expect(lb.status).toBe(201);
    expect(lb.body.spec.ports?.[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(lb.body.spec.healthCheckNodePort).toBeGreaterThanOrEqual(30000);
    expect(lb.body.status).toEqual({});
  });

  it('a delete, a type change and a removed port free what they held, and an update keeps the rest', async () => {
    const np = await a.post<Service>(SVC, service('changes', { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }] }));
    expect(np.status).toBe(201);
    const [pa, pb] = (np.body.spec.ports ?? []).map((p) => p.nodePort as number);
    // kubectl apply of the original manifest (no clusterIP, no nodePorts) keeps what was allocated.
    const applied = await a.put<Service>(`${SVC}/changes`, { ...service('changes', { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }] }), metadata: { name: 'changes' } });
    expect(applied.status).toBe(200);
    expect([applied.body.spec.clusterIP, ...(applied.body.spec.ports ?? []).map((p) => p.nodePort)]).toEqual([np.body.spec.clusterIP, pa, pb]);
    // Port b goes: its node port is free again.
    const fewer = await a.patch<Service>(`${SVC}/changes`, [{ op: 'remove', path: '/spec/ports/1' }], 'application/json-patch+json');
    expect(fewer.status).toBe(200);
    expect((await b.post(SVC, service('takes-b', { type: 'NodePort', ports: [{ port: 80, nodePort: pb }] }))).status).toBe(201);
    // NodePort to ClusterIP: port a is free again; the cluster IP may not change.
    const toClusterIP = await a.patch<Service>(`${SVC}/changes`, { spec: { type: 'ClusterIP' } });
    expect(toClusterIP.status).toBe(200);
    expect(toClusterIP.body.spec.ports?.[0].nodePort).toBeUndefined();
    expect((await b.post(SVC, service('takes-a', { type: 'NodePort', ports: [{ port: 80, nodePort: pa }] }))).status).toBe(201);
    const moved = await a.patch<Causes>(`${SVC}/changes`, { spec: { clusterIP: '10.96.200.8', clusterIPs: ['10.96.200.8'] } });
    expect([moved.status, fields(moved.body)]).toEqual([422, ['spec.clusterIPs[0]']]);
    // To ExternalName: the cluster IP goes; a delete frees it for whoever asks.
    const ip = np.body.spec.clusterIP as string;
    expect((await a.patch(`${SVC}/changes`, { spec: { type: 'ExternalName', externalName: 'example.com' } })).status).toBe(200);
    expect((await b.post(SVC, service('takes-ip', { clusterIP: ip }))).status).toBe(201);
    expect((await b.del(`${SVC}/takes-ip`)).status).toBe(200);
    expect((await a.post(SVC, service('takes-ip-again', { clusterIP: ip }))).status).toBe(201);
  });

  it('dryRun allocates nothing', async () => {
    const dry = await a.post<Service>(`${SVC}?dryRun=All`, service('dry', { clusterIP: '10.96.200.9' }));
    expect([dry.status, dry.body.spec.clusterIP]).toEqual([201, '10.96.200.9']);
    expect((await b.post(SVC, service('not-dry', { clusterIP: '10.96.200.9' }))).status).toBe(201);
  });

  it('a /28 range emptied and filled three times never runs out', async () => {
    const opts = { etcdPrefix: `/small-${process.pid}`, serviceClusterIPRange: '10.100.0.0/28', serviceNodePortRange: '30000-30015' };
    const [c, d] = [await server(opts), await server(opts)];
    const counts: number[] = [];
    for (let round = 0; round < 3; round++) {
      const names: string[] = [];
      for (;;) {
        const name = `small-${round}-${names.length}`;
        const r = await (names.length % 2 ? c : d).post<Service>(SVC, service(name, { type: 'NodePort' }));
        if (r.status !== 201) {
          expect(r.status, JSON.stringify(r.body)).toBe(500);
          expect(JSON.stringify(r.body)).toContain('range is full');
          break;
        }
        expect(r.body.spec.clusterIP).toMatch(/^10\.100\.0\.([1-9]|1[0-4])$/);
        names.push(name);
      }
      counts.push(names.length);
      await Promise.all(names.map((n, i) => (i % 2 ? d : c).del(`${SVC}/${n}`)));
    }
    // 14 addresses in a /28, less the kubernetes Service's when it holds one.
    expect(counts[0]).toBeGreaterThanOrEqual(13);
    expect(counts).toEqual([counts[0], counts[0], counts[0]]);
  });
});
