// The real kubectl against skiff's API server over HTTPS (kubectl sends bearer tokens only
// over TLS): `get --raw` returns the list, and the everyday verbs work end to end.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import type { KubeList } from '../../api/types/meta.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { haveTool } from '../fixtures/tools.js';

const run = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';
const haveKubectl = haveTool(KUBECTL);
if (!haveKubectl) console.warn(`kubectl not found at ${KUBECTL}: skipping the kubectl suite`);

let etcd: EtcdFixture;
let api: ApiServerFixture;

async function kubectl(...args: string[]): Promise<string> {
  const base = ['--server', api.httpsUrl as string, '--certificate-authority', api.caFile as string, '--token', api.adminToken];
  // A private cache dir keeps discovery from leaking between runs and users.
  const { stdout } = await run(KUBECTL, [...base, `--cache-dir=${api.caFile}.kube-cache`, ...args], { encoding: 'utf8', timeout: 30_000 });
  return stdout;
}

describe.skipIf(!haveKubectl)('kubectl', () => {
  beforeAll(async () => {
    etcd = await startEtcd();
    api = await startApiServer({ etcd, inProcess: true, tls: true });
  });

  afterAll(async () => {
    await api?.stop();
    await etcd?.stop();
  });

  it('get --raw /api/v1/namespaces/default/pods returns the list', async () => {
    const created = await fetch(`${api.url}/api/v1/namespaces/default/pods`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'raw-1' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }),
    });
    expect(created.status).toBe(201);
    const list = JSON.parse(await kubectl('get', '--raw', '/api/v1/namespaces/default/pods')) as KubeList<Pod>;
    expect(list.kind).toBe('PodList');
    expect(list.items.map((p) => p.metadata.name)).toContain('raw-1');
  });

  it('run, get, label, get -l, delete', async () => {
    await kubectl('run', 'web', '--image=nginx:1.27', '--labels=app=web');
    const table = await kubectl('get', 'pods');
    // Server-side printing: the columns kube-apiserver gives pods.
    expect(table).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s*$/m);
    expect(table).toMatch(/^web\s+0\/1\s+Pending\s+0\s+\d+s\s*$/m);
    expect(await kubectl('get', 'pods', '-o', 'wide')).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+/m);
    await kubectl('label', 'pod', 'web', 'tier=front');
    expect((await kubectl('get', 'pods', '-l', 'tier=front', '-o', 'name')).trim()).toBe('pod/web');
    const pod = JSON.parse(await kubectl('get', 'pod', 'web', '-o', 'json')) as Pod;
    expect(pod.spec.containers[0].image).toBe('nginx:1.27');
    expect(pod.metadata.labels).toEqual({ app: 'web', tier: 'front' });
    expect(await kubectl('get', 'namespaces', '-o', 'name')).toContain('namespace/kube-system');
    expect(await kubectl('delete', 'pod', 'web', '--wait=false')).toContain('deleted');
    expect(await kubectl('get', 'pods', '-o', 'name')).not.toContain('pod/web');
  });

  it('apply creates, then patches with a strategic merge patch that keeps what it does not mention', async () => {
    const file = `${api.caFile}.pod.yaml`;
    const manifest = (image: string, tier: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: applied\n  labels:\n    tier: ${tier}\nspec:\n  containers:\n  - name: app\n    image: ${image}\n    resources:\n      requests:\n        cpu: 100m\n`;
    await writeFile(file, manifest('busybox:1.36', 'a'));
    expect(await kubectl('apply', '-f', file)).toContain('pod/applied created');
    await writeFile(file, manifest('busybox:1.37', 'b'));
    expect(await kubectl('apply', '-f', file)).toContain('pod/applied configured');
    const pod = JSON.parse(await kubectl('get', 'pod', 'applied', '-o', 'json')) as Pod;
    expect(pod.metadata.labels).toEqual({ tier: 'b' });
    expect(pod.spec.containers).toHaveLength(1);
    expect(pod.spec.containers[0].image).toBe('busybox:1.37');
    expect(pod.spec.containers[0].resources?.requests).toEqual({ cpu: '100m' });
    expect(pod.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain('busybox:1.37');
  });
});
