// The `kubernetes` Service and its endpoints, kept by the API server on a real etcd: the first
// address of the service range, port 443 `https` to the node agents' relay port, and as
// endpoints every Ready node's InternalIP (a node that stops being Ready leaves them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node } from '../../api/types/core.js';
import type { Endpoints, EndpointSlice, Service } from '../../api/types/service.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { eventually } from '../fixtures/eventually.js';
import { client, type Client } from './http.js';

let etcd: EtcdFixture;
let api: ApiServerFixture;
let admin: Client;
const RELAY_PORT = 16443;

const node = (name: string, ip: string, ready: boolean): Node =>
  ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: { addresses: [{ type: 'InternalIP', address: ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  }) as Node;

async function setReady(name: string, ready: boolean): Promise<void> {
  const cur = (await admin.get<Node>(`/api/v1/nodes/${name}`)).body;
  const conditions = [{ type: 'Ready', status: ready ? 'True' : 'False' }];
  expect((await admin.put(`/api/v1/nodes/${name}/status`, { ...cur, status: { ...cur.status, conditions } })).status).toBe(200);
}

beforeAll(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcd, inProcess: true, serviceClusterIPRange: '10.43.0.0/16', kubernetesServiceTargetPort: RELAY_PORT });
  admin = client(api.url, api.adminToken);
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await etcd?.stop();
});

describe('the kubernetes Service', () => {
  it('holds the first address of the range, port 443 https to the relay port', async () => {
    const svc = (await admin.get<Service>('/api/v1/namespaces/default/services/kubernetes')).body;
    expect(svc.spec.clusterIP).toBe('10.43.0.1');
    expect(svc.spec.ports).toEqual([{ name: 'https', protocol: 'TCP', port: 443, targetPort: RELAY_PORT }]);
    expect(svc.spec.selector).toBeUndefined();
    expect(svc.metadata.labels).toEqual({ component: 'apiserver', provider: 'kubernetes' });
    // Its address is held: no one else gets it.
    const other = await admin.post('/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'wants-first' }, spec: { clusterIP: '10.43.0.1', ports: [{ port: 80 }] } });
    expect(other.status).toBe(422);
  });

  it("has every Ready node's InternalIP at the relay port as endpoints", async () => {
    for (const [name, ip, ready] of [['kn-1', '192.168.50.2', true], ['kn-2', '192.168.50.3', true], ['kn-3', '192.168.50.4', false]] as const) {
      expect((await admin.post('/api/v1/nodes', node(name, ip, ready))).status).toBe(201);
      await setReady(name, ready);
    }
    const both = ['192.168.50.2', '192.168.50.3'];
    await eventually(async () => {
      const ep = (await admin.get<Endpoints>('/api/v1/namespaces/default/endpoints/kubernetes')).body;
      return JSON.stringify(ep.subsets) === JSON.stringify([{ addresses: both.map((ip) => ({ ip })), ports: [{ name: 'https', port: RELAY_PORT, protocol: 'TCP' }] }]);
    }, 'kubernetes Endpoints with both Ready nodes');
    // The slice is its own write after the Endpoints (as Kubernetes' reconciler writes them).
    const slice = await eventually(async () => {
      const s = (await admin.get<EndpointSlice>('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes')).body;
      return JSON.stringify(s.endpoints.map((e) => e.addresses[0])) === JSON.stringify(both) ? s : undefined;
    }, 'kubernetes EndpointSlice with both Ready nodes');
    expect(slice.metadata.labels?.['kubernetes.io/service-name']).toBe('kubernetes');
    expect(slice.ports).toEqual([{ name: 'https', port: RELAY_PORT, protocol: 'TCP' }]);
    await setReady('kn-1', false);
    await setReady('kn-3', true);
    await eventually(async () => {
      const s = (await admin.get<EndpointSlice>('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes')).body;
      return JSON.stringify(s.endpoints.map((e) => e.addresses[0])) === JSON.stringify(['192.168.50.3', '192.168.50.4']);
    }, 'kubernetes EndpointSlice follows readiness');
  });
});
