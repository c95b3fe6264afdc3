// skiff expose and skiff describe svc against a real API server on a real etcd, each beside what
// kubectl 1.33 does with the same objects: the Service `kubectl expose` makes, and the page
// `kubectl describe svc` prints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../api/types/service.js';
import { DEMO_SERVICE, readManifest } from '../../cluster/demo.js';
import { haveKubectl, startKubectlCluster, type KubectlCluster } from '../compat/kubectl-harness.js';
import { outputsOf, startSkiff } from '../fixtures/process.js';

let cluster: KubectlCluster;
const ns = 'default';

async function skiff(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return outputsOf(startSkiff(args, { env: { ...process.env, ...cluster.env } }));
}

async function kubectl(...args: string[]): Promise<string> {
  const r = await cluster.kubectl(args, { version: '1.33' });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const services = () => cluster.admin.resourceByName<Service>('services', '');
/** What expose decides, without what the server allocates or stamps. */
const decided = (s: Service) => ({ labels: s.metadata.labels, selector: s.spec.selector, type: s.spec.type, ports: s.spec.ports?.map(({ nodePort: _n, ...p }) => p) });

const template = (labels: Record<string, string>) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'app', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }] }] },
});

describe.skipIf(!haveKubectl)('skiff expose and describe svc', () => {
  beforeAll(async () => {
    cluster = await startKubectlCluster();
    const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { tier: 'front' } }, spec: { replicas: 0, selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) } };
    await cluster.admin.resourceByName('deployments', 'apps').create(deploy as never, { namespace: ns });
    const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'expr' }, spec: { replicas: 0, selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['expr'] }] }, template: template({ app: 'expr' }) } };
    await cluster.admin.resourceByName('replicasets', 'apps').create(rs as never, { namespace: ns });
    await cluster.admin.pods.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'solo', labels: { app: 'solo', run: 'solo' } }, spec: template({}).spec } as never, { namespace: ns });
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it.each([
    ['deployment with --port and --target-port', ['deployment', 'web', '--port', '80', '--target-port', '8080']],
    ['deploy/NAME as NodePort with a named target port', ['deploy/web', '--port', '80', '--target-port', 'http', '--type', 'NodePort']],
    ["a pod's container ports when no --port", ['pod', 'solo']],
    ['UDP', ['pod', 'solo', '--port', '53', '--protocol', 'UDP']],
  ])('%s makes the Service kubectl expose makes', async (_what, args) => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const mine = await skiff('expose', ...args, '--name', `s-${suffix}`);
    expect(mine, mine.err).toMatchObject({ code: 0, out: `service/s-${suffix} exposed\n` });
    expect(await kubectl('expose', ...args, '--name', `k-${suffix}`)).toBe(`service/k-${suffix} exposed\n`);
    const [s, k] = await Promise.all([services().get(`s-${suffix}`, { namespace: ns }), services().get(`k-${suffix}`, { namespace: ns })]);
    expect(decided(s)).toEqual(decided(k));
  });

  it('the name defaults to the object\'s; the Service takes its labels and a single port has no name', async () => {
    expect(await skiff('expose', 'deployment', 'web', '--port', '80')).toMatchObject({ code: 0, out: 'service/web exposed\n' });
    const web = await services().get('web', { namespace: ns });
    expect(decided(web)).toEqual({ labels: { tier: 'front' }, selector: { app: 'web' }, type: 'ClusterIP', ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] });
  });

  it("the demo's Service (manifests/kuard-service.yaml) is accepted and gets a node port", async () => {
    const demo = await readManifest<Service>(DEMO_SERVICE);
    const created = await services().create({ ...demo, metadata: { ...demo.metadata, name: 'kuard-demo' } }, { namespace: ns });
    expect(created.spec.type).toBe('NodePort');
    expect(created.spec.ports?.[0]?.nodePort).toBeGreaterThanOrEqual(30000);
    expect(created.spec.ports?.[0]?.nodePort).toBeLessThanOrEqual(32767);
  });

  it('refuses what kubectl refuses', async () => {
    const expr = await skiff('expose', 'rs', 'expr', '--port', '80');
    expect(expr.code).toBe(1);
    expect(expr.err).toContain("couldn't convert expressions");
    const missing = await skiff('expose', 'deployment', 'nope', '--port', '80');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('deployments.apps "nope" not found');
    const node = await skiff('expose', 'node', 'n1', '--port', '80');
    expect(node.code).toBe(1);
    expect(node.err).toContain('cannot expose a Node');
    const taken = await skiff('expose', 'deployment', 'web', '--port', '80');
    expect(taken.code).toBe(1);
    expect(taken.err).toContain('services "web" already exists');
  });
});

describe.skipIf(!haveKubectl)('skiff describe svc', () => {
  beforeAll(async () => {
    cluster = await startKubectlCluster();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  const slice = (name: string, service: string, ports: { name: string; port: number }[], endpoints: [string, boolean][]) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ ...p, protocol: 'TCP' })),
    endpoints: endpoints.map(([ip, ready]) => ({ addresses: [ip], conditions: { ready } })),
  });

  it.each([
    ['a ClusterIP Service with one port and its ready endpoints', { metadata: { name: 'one', labels: { app: 'one', tier: 'x' }, annotations: { note: 'hi' } }, spec: { selector: { app: 'one' }, ports: [{ port: 80, targetPort: 8080 }] } },
      [slice('one-a', 'one', [{ name: '', port: 8080 }], [['10.244.0.5', true], ['10.244.0.6', false], ['10.244.1.7', true]]), slice('one-b', 'one', [{ name: '', port: 8080 }], [['10.244.2.1', true], ['10.244.2.2', true], ['10.244.2.3', true]])]],
    ['a NodePort Service with two named ports, one by name', { metadata: { name: 'two' }, spec: { type: 'NodePort', selector: { app: 'two' }, sessionAffinity: 'ClientIP', ports: [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'dns', port: 53, protocol: 'UDP' }] } },
      [slice('two-a', 'two', [{ name: 'http', port: 8080 }, { name: 'dns', port: 5353 }], [['10.244.0.9', true]])]],
    ['a headless Service without endpoints', { metadata: { name: 'none' }, spec: { clusterIP: 'None', selector: { app: 'none' }, ports: [{ name: 'x', port: 9 }] } }, []],
    ['an ExternalName Service', { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } }, []],
  ])('%s: the page kubectl 1.33 prints', async (_what, service, slices) => {
    await cluster.admin.resourceByName('services').create({ apiVersion: 'v1', kind: 'Service', ...service } as never, { namespace: ns });
    for (const s of slices) await cluster.admin.resourceByName('endpointslices', 'discovery.k8s.io').create(s as never, { namespace: ns });
    const name = service.metadata.name;
    const mine = await skiff('describe', 'svc', name);
    expect(mine.code, mine.err).toBe(0);
    expect(mine.out).toBe(await kubectl('describe', 'svc', name));
  });
});
