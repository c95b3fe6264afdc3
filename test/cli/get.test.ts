// skiff get / describe (pods, nodes, ConfigMaps, Secrets) / delete / run / logs errors against a real API server on a real
// etcd. Objects a kubelet would update (pod status, nodes, events) are written here
// through the admin client, so the CLI is seen printing real server answers.
import { describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { isApiError } from '../../api/errors.js';
import type { Node, Pod } from '../../api/types/core.js';
import { cliClusterPerFile, writeManifest, type CliCluster } from './harness.js';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 120_000 });

let c: CliCluster;
const node: Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1' } },
  status: {
    capacity: { cpu: '4', memory: '8Gi', pods: '110' },
    allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
    addresses: [{ type: 'InternalIP', address: '10.0.0.2' }],
    nodeInfo: {
      machineID: 'm', systemUUID: 'u', bootID: 'b', kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12', operatingSystem: 'linux',
      architecture: 'amd64', containerRuntimeVersion: 'skiff://0.1.0', kubeletVersion: 'v1.30.0-skiff', kubeProxyVersion: '',
    },
  },
};

cliClusterPerFile(async (started) => {
  c = started;
  await c.rest.nodes.create(node);
  for (const [name, app] of [['web-1', 'web'], ['web-2', 'web'], ['db-1', 'db']] as const) {
    await c.rest.pods.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app } },
      spec: { containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu: '100m', memory: '64Mi' } } }], nodeName: name === 'db-1' ? undefined : 'node-1' },
    });
  }
  await c.rest.pods.patchStatus('web-1', {
    status: {
      phase: 'Running',
      podIP: '10.88.0.7',
      podIPs: [{ ip: '10.88.0.7' }],
      containerStatuses: [{ name: 'main', ready: true, restartCount: 0, image: 'busybox', imageID: 'sha256:1', state: { running: { startedAt: new Date().toISOString() } } }],
    },
  });
});

describe('skiff get', () => {
  it('prints pods plain, wide, as names and with labels', async () => {
    const plain = await c.skiff(['get', 'pods']);
    expect(plain.code).toBe(0);
    const lines = plain.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4))).toEqual([
      ['db-1', '0/1', 'Pending', '0'],
      ['web-1', '1/1', 'Running', '0'],
      ['web-2', '0/1', 'Pending', '0'],
    ]);

    const wide = await c.skiff(['get', 'po', '-o', 'wide', '-l', 'app=web', '--show-labels']);
    expect(wide.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\s+LABELS$/);
    expect(wide.stdout).toMatch(/\nweb-1\s+1\/1\s+Running\s+0\s+\S+\s+10\.88\.0\.7\s+node-1\s+<none>\s+<none>\s+app=web\n/);
    expect(wide.stdout).not.toContain('db-1');

    const names = await c.skiff(['get', 'pods', '-o', 'name', '--sort-by', '{.metadata.labels.app}']);
    expect(names.stdout).toBe('pod/db-1\npod/web-1\npod/web-2\n');
  });

  it('prints yaml and json documents the server holds', async () => {
    const one = await c.skiff(['get', 'pod', 'web-1', '-o', 'yaml']);
    const doc = parseYaml(one.stdout) as Pod;
    expect(doc.kind).toBe('Pod');
    expect(doc.status?.podIP).toBe('10.88.0.7');
    const all = await c.skiff(['get', 'pods', '-o', 'json', '--field-selector', 'spec.nodeName=node-1']);
    const list = JSON.parse(all.stdout) as { kind: string; items: Pod[] };
    expect(list.kind).toBe('List');
    expect(list.items.map((p) => p.metadata.name).sort()).toEqual(['web-1', 'web-2']);
    const path = await c.skiff(['get', 'pods', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.phase}{"\\n"}{end}']);
    expect(path.stdout).toBe('db-1=Pending\nweb-1=Running\nweb-2=Pending\n');
  });

  it('prints nodes and namespaces with kubectl\'s columns', async () => {
    const nodes = await c.skiff(['get', 'nodes', '-o', 'wide']);
    expect(nodes.stdout).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME\n/);
    expect(nodes.stdout).toMatch(/\nnode-1\s+Ready\s+<none>\s+\S+\s+v1\.30\.0-skiff\s+10\.0\.0\.2\s+<none>\s+Debian GNU\/Linux 12\s+6\.1\.0\s+skiff:\/\/0\.1\.0\n/);
    const ns = await c.skiff(['get', 'ns', 'default']);
    expect(ns.stdout).toMatch(/^NAME\s+STATUS\s+AGE\ndefault\s+Active\s+\S+\n$/);
  });

  it('says what is missing on stderr with exit code 1', async () => {
    expect(await c.skiff(['get', 'pod', 'nope'])).toMatchObject({ code: 1, stdout: '', stderr: 'Error from server (NotFound): pods "nope" not found\n' });
    expect(await c.skiff(['get', 'widgets'])).toMatchObject({ code: 1, stderr: 'error: the server doesn\'t have a resource type "widgets"\n' });
    expect(await c.skiff(['get', 'pods', '-n', 'empty-ns'])).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found in empty-ns namespace.\n' });
  });

  it('-w prints a row when a pod changes', async () => {
    const watcher = c.spawn(['get', 'pods', '-w', '--field-selector', 'metadata.name=web-2']);
    try {
      await vi.waitFor(() => expect(watcher.output()).toMatch(/web-2\s+0\/1\s+Pending/), { timeout: 120_000, interval: 200 });
      await c.rest.pods.patchStatus('web-2', {
        status: { phase: 'Pending', containerStatuses: [{ name: 'main', ready: false, restartCount: 0, image: 'busybox', imageID: '', state: { waiting: { reason: 'ImagePullBackOff' } } }] },
      });
      await vi.waitFor(() => expect(watcher.output()).toMatch(/web-2\s+0\/1\s+ImagePullBackOff/), { timeout: 60_000, interval: 200 });
    } finally {
      await watcher.stop(2000);
    }
  });
});

describe('skiff describe', () => {
  it('describes a pod with its events, and a node with its pods', async () => {
    await c.rest.events.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web-1.scheduled', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: (await c.rest.pods.get('web-1')).metadata.uid },
      reason: 'Scheduled',
      message: 'Successfully assigned default/web-1 to node-1',
      type: 'Normal',
      source: { component: 'default-scheduler' },
      firstTimestamp: new Date().toISOString(),
      lastTimestamp: new Date().toISOString(),
      count: 1,
    });
    const pod = await c.skiff(['describe', 'pod', 'web-1']);
    expect(pod.code).toBe(0);
    expect(pod.stdout).toMatch(/^Name:\s+web-1\nNamespace:\s+default\n/);
    expect(pod.stdout).toMatch(/\nNode:\s+node-1\/\n/);
    expect(pod.stdout).toMatch(/\n {4}Requests:\n {6}cpu:\s+100m\n {6}memory:\s+64Mi\n/);
    expect(pod.stdout).toMatch(/\nEvents:\n {2}Type\s+Reason\s+Age\s+From\s+Message\n {2}----.*\n {2}Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/web-1 to node-1\n$/);

    const nodeOut = await c.skiff(['describe', 'node', 'node-1']);
    expect(nodeOut.stdout).toMatch(/\nNon-terminated Pods:\s+\(2 in total\)\n/);
    expect(nodeOut.stdout).toMatch(/\n {2}default\s+web-1\s+100m \(2%\)\s+0 \(0%\)\s+64Mi \(0%\)\s+0 \(0%\)\s+\S+\n/);
    expect(nodeOut.stdout).toMatch(/\n {2}cpu\s+200m \(5%\)\s+0 \(0%\)\n/);
  });

  it('gets ConfigMaps and Secrets with their columns, and describes a Secret by sizes, never values', async () => {
    const f = await writeManifest(c, 'cm-secret.yaml', [
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels:\n    app: web\ndata:\n  color: blue\n  mode: fast\n',
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ntype: kubernetes.io/basic-auth\nstringData:\n  username: admin\n  password: cli-hunter2\n',
    ].join('---\n'));
    expect((await c.skiff(['apply', '-f', f])).code).toBe(0);
    const cms = (await c.skiff(['get', 'cm'])).stdout.split('\n');
    expect(cms[0]).toMatch(/^NAME\s+DATA\s+AGE$/);
    expect(cms.find((l) => l.startsWith('settings '))).toMatch(/^settings\s+2\s+\d+s$/);
    const secrets = (await c.skiff(['get', 'secrets'])).stdout.split('\n');
    expect(secrets[0]).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE$/);
    expect(secrets.find((l) => l.startsWith('creds '))).toMatch(/^creds\s+kubernetes\.io\/basic-auth\s+2\s+\d+s$/);

    const cm = await c.skiff(['describe', 'cm', 'settings']);
    expect(cm.code, cm.stderr).toBe(0);
    expect(cm.stdout).toMatch(/^Name:\s+settings\nNamespace:\s+default\nLabels:\s+app=web\nAnnotations:\s+<none>\n\nData\n====\ncolor:\n----\nblue\n\nmode:\n----\nfast\n/);
    const secret = await c.skiff(['describe', 'secret', 'creds']);
    expect(secret.code, secret.stderr).toBe(0);
    expect(secret.stdout).toMatch(/^Name:\s+creds\nNamespace:\s+default\n/);
    expect(secret.stdout).toContain('\nType:  kubernetes.io/basic-auth\n\nData\n====\npassword:  11 bytes\nusername:  5 bytes\n');
    expect(secret.stdout).not.toContain('cli-hunter2');
    expect(secret.stdout).not.toContain(Buffer.from('cli-hunter2').toString('base64'));
  });
});

describe('skiff run and delete', () => {
  it('runs a pod from docker\'s flags', async () => {
    const r = await c.skiff(['run', 'web', '--image', 'nginx', '-p', '8080:80', '--memory', '64m', '--memory-swap', '128m', '--cpu-shares', '512', '-e', 'A=1', '--', 'nginx', '-g', 'daemon off;']);
    expect(r).toMatchObject({ code: 0, stdout: 'pod/web created\n' });
    const pod = await c.rest.pods.get('web');
    const ctr = pod.spec.containers[0];
    expect(ctr?.ports).toEqual([expect.objectContaining({ containerPort: 80, hostPort: 8080 })]);
    expect(ctr?.resources?.limits).toEqual({ memory: '64Mi', 'skiff.dev/memory-swap': '128Mi' });
    expect(ctr?.resources?.requests).toMatchObject({ cpu: '500m' });
    expect(ctr?.args).toEqual(['nginx', '-g', 'daemon off;']);
    expect(pod.metadata.labels).toEqual({ run: 'web' });
  });

  it('deletes and waits until a bound pod is really gone', async () => {
    const del = c.spawn(['delete', 'pod', 'web-2']);
    try {
      // The pod is bound, so the server only marks it; the CLI must keep waiting.
      await vi.waitFor(async () => expect((await c.rest.pods.get('web-2')).metadata.deletionTimestamp).toBeTruthy(), { timeout: 120_000, interval: 200 });
      await vi.waitFor(() => expect(del.output()).toContain('pod "web-2" deleted'), { timeout: 60_000, interval: 200 });
      expect(del.child.exitCode).toBeNull();
      // What the kubelet does once the containers are stopped.
      await c.rest.pods.delete('web-2', { gracePeriodSeconds: 0 });
      const { code } = await del.exited;
      expect(code).toBe(0);
    } finally {
      await del.stop(2000);
    }
    await expect(c.rest.pods.get('web-2')).rejects.toSatisfy((e: unknown) => isApiError(e, 'NotFound'));
  });

  it('deletes by label and by file', async () => {
    const r = await c.skiff(['delete', 'pods', '-l', 'app=db']);
    expect(r).toMatchObject({ code: 0, stdout: 'pod "db-1" deleted\n' });
    const file = await writeManifest(c, 'gone.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: gone\nspec:\n  containers:\n  - name: c\n    image: busybox\n');
    expect((await c.skiff(['apply', '-f', file])).code).toBe(0);
    expect(await c.skiff(['delete', '-f', file])).toMatchObject({ code: 0, stdout: 'pod "gone" deleted\n' });
    expect(await c.skiff(['delete', 'pod', 'gone'])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): pods "gone" not found\n' });
  });
});
