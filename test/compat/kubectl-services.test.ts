// Services with kubectl 1.33 against a real skiff API server on a real etcd: `kubectl create
// service` (protobuf bodies) of each type, `kubectl expose deployment`, `get svc,ep,endpointslices`
// with kubectl's columns, and `describe svc` with kubectl's layout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Endpoints, EndpointSlice, Service } from '../../api/types/service.js';
import { haveKubectl, KUBECTL, startKubectlCluster, type KubectlCluster } from './kubectl-harness.js';

if (!haveKubectl) console.warn(`kubectl not found at ${KUBECTL}: skipping the kubectl Services suite (test/compat/kubectl-services.test.ts)`);

let cluster: KubectlCluster;

async function ok(...args: string[]): Promise<string> {
  const r = await cluster.kubectl(args, { version: '1.33' });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const header = (out: string): string[] => (out.split('\n')[0] ?? '').trim().split(/\s{2,}/);
const rowOf = (out: string, name: string): string[] => (out.split('\n').find((l) => l.startsWith(`${name} `)) ?? '').trim().split(/\s{2,}/);
const services = () => cluster.admin.resourceByName<Service>('services', '');

describe.skipIf(!haveKubectl)('kubectl and Services', () => {
  beforeAll(async () => {
    cluster = await startKubectlCluster();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('create service clusterip, nodeport, loadbalancer, externalname and headless', async () => {
    await ok('create', 'service', 'clusterip', 'svc-a', '--tcp', '80:8080', '--tcp', '443:8443');
    await ok('create', 'service', 'nodeport', 'svc-n', '--tcp', '80:8080');
    await ok('create', 'service', 'loadbalancer', 'svc-lb', '--tcp', '80');
    await ok('create', 'service', 'externalname', 'svc-x', '--external-name', 'example.com');
    await ok('create', 'service', 'clusterip', 'svc-h', '--clusterip', 'None');
    const a = await services().get('svc-a', { namespace: 'default' });
    expect(a.spec.ports?.map((p) => [p.name, p.port, p.targetPort, p.protocol])).toEqual([['80-8080', 80, 8080, 'TCP'], ['443-8443', 443, 8443, 'TCP']]);
    expect(a.spec.selector).toEqual({ app: 'svc-a' });
    expect(a.spec.sessionAffinity).toBe('None');
    const x = await services().get('svc-x', { namespace: 'default' });
    expect([x.spec.type, x.spec.externalName, x.spec.clusterIP]).toEqual(['ExternalName', 'example.com', undefined]);
    const h = await services().get('svc-h', { namespace: 'default' });
    expect(h.spec.clusterIP).toBe('None');
    const out = await ok('get', 'svc', '-o', 'wide');
    expect(header(out)).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']);
    expect(rowOf(out, 'svc-x').slice(0, 5)).toEqual(['svc-x', 'ExternalName', '<none>', 'example.com', '<none>']);
    expect(rowOf(out, 'svc-h').slice(0, 5)).toEqual(['svc-h', 'ClusterIP', 'None', '<none>', '<none>']);
    expect(rowOf(out, 'svc-lb')[3]).toBe('<pending>');
    expect(rowOf(out, 'svc-a').at(-1)).toBe('app=svc-a');
  });

  it('a bad Service is a 422 with the field path', async () => {
    const bad = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad' }, spec: { ports: [{ port: 80, nodePort: 30080 }, { name: 'b', port: 81 }] } };
    const r = await cluster.kubectl(['create', '-f', '-'], { version: '1.33', stdin: JSON.stringify(bad) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("spec.ports[0].name: Required value");
    expect(r.stderr).toContain("spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");
  });

  it('expose deployment, then get svc,ep,endpointslices and describe svc', async () => {
    await ok('create', 'deployment', 'web', '--image', 'busybox', '--port', '8080');
    await ok('expose', 'deployment', 'web', '--port', '80', '--target-port', '8080');
    const web = await services().get('web', { namespace: 'default' });
    expect(web.spec.selector).toEqual({ app: 'web' });
    expect(web.spec.ports?.[0]).toMatchObject({ port: 80, targetPort: 8080, protocol: 'TCP' });
    await cluster.admin.resourceByName<Endpoints>('endpoints', '').create(
      { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' }, subsets: [{ addresses: [{ ip: '10.244.0.5' }, { ip: '10.244.1.7' }], ports: [{ port: 8080 }] }] },
      { namespace: 'default' },
    );
    await cluster.admin.resourceByName<EndpointSlice>('endpointslices', 'discovery.k8s.io').create(
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'web-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.244.0.5'], conditions: { ready: true } }, { addresses: ['10.244.1.7'], conditions: { ready: true } }],
        ports: [{ name: '', port: 8080, protocol: 'TCP' }],
      },
      { namespace: 'default' },
    );
    const out = await ok('get', 'svc,ep,endpointslices', '-l', 'kubernetes.io/service-name!=x');
    expect(out).toMatch(/^service\/web\s+ClusterIP\s+\S+\s+<none>\s+80\/TCP\s+/m);
    expect(out).toMatch(/^endpoints\/web\s+10\.244\.0\.5:8080,10\.244\.1\.7:8080\s+/m);
    expect(out).toMatch(/^endpointslice\.discovery\.k8s\.io\/web-abc\s+IPv4\s+8080\s+10\.244\.0\.5,10\.244\.1\.7\s+/m);
    const described = await ok('describe', 'svc', 'web');
    expect(described).toMatch(/^Name:\s+web$/m);
    expect(described).toMatch(/^Selector:\s+app=web$/m);
    expect(described).toMatch(/^Type:\s+ClusterIP$/m);
    expect(described).toMatch(/^TargetPort:\s+8080\/TCP$/m);
    expect(described).toMatch(/^Endpoints:\s+10\.244\.0\.5:8080,10\.244\.1\.7:8080$/m);
  });
});
