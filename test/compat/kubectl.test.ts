// The installed kubectl (1.32) against a real skiff API server on a real etcd, over HTTPS with
// the admin token, configured only by a kubeconfig file (KUBECONFIG) as a user's would be.
// test/apiserver/kubectl.test.ts covers get --raw, run/label/get -l, and apply's strategic
// merge; this suite covers the rest of the everyday loop: apply's created / unchanged /
// configured, get pods and nodes in every output format, get -w seeing a status change,
// describe pod (with events) and node, delete waiting on a bound pod until its kubelet
// finishes it, and field validation (Strict, Warn, Ignore). Objects a kubelet would write
// (node, pod status, events) are written through the API, and `kubectl explain` reads the
// served OpenAPI v3. (`kubectl logs` and `logs -f` are in test/kubelet/logs.test.ts, against a
// real kubelet; `apply --server-side` and `apply -f` of a List have suites of their own here.)
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Event, Node, Pod } from '../../api/types/core.js';
import type { KubeList } from '../../api/types/meta.js';
import { RestClient } from '../../client/rest.js';
import { eventually as eventuallyWithin } from '../fixtures/eventually.js';
import { startProcess, type Proc } from '../fixtures/process.js';
import { haveKubectl, KUBECTL, startKubectlCluster, type KubectlCluster, type KubectlResult } from './kubectl-harness.js';

if (!haveKubectl) console.warn(`kubectl not found at ${KUBECTL}: skipping the kubectl compatibility suite (test/compat/kubectl.test.ts)`);

const NODE = 'node-1';

let cluster: KubectlCluster;
let dir: string;
let env: NodeJS.ProcessEnv;
let admin: RestClient;
let kubeletClient: RestClient;

type Result = KubectlResult;

/** Runs kubectl to completion with the suite's kubeconfig; never throws on a non-zero exit. */
function kubectl(...args: string[]): Promise<Result> {
  return cluster.kubectl(args);
}

/** kubectl reading `stdin`; never throws on a non-zero exit. */
function kubectlStdin(stdin: string, ...args: string[]): Promise<Result> {
  return cluster.kubectl(args, { stdin });
}

/** kubectl that must succeed: answers its stdout. */
async function ok(...args: string[]): Promise<string> {
  const r = await kubectl(...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** A long-running kubectl (get -w, delete waiting), stopped by its PID. */
function spawnKubectl(...args: string[]): Proc {
  return startProcess(KUBECTL, args, { env });
}

const eventually = (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) => eventuallyWithin(check, what, timeoutMs, { intervalMs: 50 });

function podManifest(name: string, labels: Record<string, string>, image: string): string {
  const lines = Object.entries(labels).map(([k, v]) => `    ${k}: ${v}`);
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  labels:\n${lines.join('\n')}\nspec:\n  containers:\n  - name: app\n    image: ${image}\n    ports:\n    - containerPort: 8080\n`;
}

const node: Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE, 'kubernetes.io/os': 'linux' } },
  status: {
    capacity: { cpu: '2', memory: '4Gi', pods: '110' },
    allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
    addresses: [
      { type: 'InternalIP', address: '10.0.0.2' },
      { type: 'Hostname', address: NODE },
    ],
    nodeInfo: {
      machineID: 'm', systemUUID: 'u', bootID: 'b', kernelVersion: '6.1.0-compat', osImage: 'Debian GNU/Linux 12 (bookworm)', operatingSystem: 'linux',
      architecture: 'amd64', containerRuntimeVersion: 'skiff://0.1.0', kubeletVersion: 'v1.30.0-skiff', kubeProxyVersion: '',
    },
  },
};

function boundPod(name: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name } },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 30, containers: [{ name: 'main', image: 'busybox:1.36' }] },
  };
}

describe.skipIf(!haveKubectl)('the installed kubectl against skiff', () => {
  beforeAll(async () => {
    cluster = await startKubectlCluster({ nodes: [NODE] });
    ({ dir, env, admin } = cluster);
    kubeletClient = new RestClient({ server: cluster.api.url, token: cluster.api.nodeToken(NODE), namespace: 'default' });
    await admin.nodes.create(node);
  });

  afterAll(async () => {
    kubeletClient?.close();
    await cluster?.stop();
  });

  it('explain pod.spec.containers describes the field from the served OpenAPI', async () => {
    const out = await ok('explain', 'pod.spec.containers');
    expect(out).toMatch(/^KIND:\s+Pod$/m);
    expect(out).toMatch(/^VERSION:\s+v1$/m);
    expect(out).toMatch(/^FIELD:\s+containers <\[\]Container>$/m);
    expect(out).toMatch(/^DESCRIPTION:/m);
    expect(out).toMatch(/^FIELDS:/m);
    expect(out).toMatch(/^\s+image\s+<string>/m);
    expect(out).toMatch(/^\s+name\s+<string> -required-/m);
    const nested = await ok('explain', 'pod.spec.containers.resources.limits');
    expect(nested).toMatch(/^FIELD:\s+limits <map\[string\]Quantity>$/m);
  });

  it('discovery: api-resources with short names, version, and several kinds in one get', async () => {
    const resources = await ok('api-resources');
    expect(resources).toMatch(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND\s*$/m);
    expect(resources).toMatch(/^pods\s+po\s+v1\s+true\s+Pod\s*$/m);
    expect(resources).toMatch(/^nodes\s+no\s+v1\s+false\s+Node\s*$/m);
    expect(resources).toMatch(/^namespaces\s+ns\s+v1\s+false\s+Namespace\s*$/m);
    expect(resources).toMatch(/^events\s+ev\s+v1\s+true\s+Event\s*$/m);
    expect(resources).toMatch(/^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease\s*$/m);
    const version = JSON.parse(await ok('version', '-o', 'json')) as { serverVersion?: { major?: string; gitVersion?: string } };
    expect(version.serverVersion?.major).toBe('1');
    expect(version.serverVersion?.gitVersion).toMatch(/^v1\.\d+\.\d+/);
    expect(await ok('get', 'no,ns', '-o', 'name')).toMatch(/^node\/node-1\n(namespace\/\S+\n)*namespace\/default\n/);
  });

  it('apply -f: created, unchanged, configured after a label change, configured after an image change', async () => {
    const file = path.join(dir, 'applied.yaml');
    await writeFile(file, podManifest('applied', { app: 'shop' }, 'busybox:1.36'));
    expect(await ok('apply', '-f', file)).toBe('pod/applied created\n');
    expect(await ok('apply', '-f', file)).toBe('pod/applied unchanged\n');
    const rv = (await admin.pods.get('applied')).metadata.resourceVersion;

    await writeFile(file, podManifest('applied', { app: 'shop', tier: 'front' }, 'busybox:1.36'));
    expect(await ok('apply', '-f', file)).toBe('pod/applied configured\n');
    let pod = await admin.pods.get('applied');
    expect(pod.metadata.resourceVersion).not.toBe(rv);
    expect(pod.metadata.labels).toEqual({ app: 'shop', tier: 'front' });

    await writeFile(file, podManifest('applied', { app: 'shop', tier: 'front' }, 'busybox:1.37'));
    expect(await ok('apply', '-f', file)).toBe('pod/applied configured\n');
    pod = await admin.pods.get('applied');
    expect(pod.spec.containers.map((c) => [c.name, c.image])).toEqual([['app', 'busybox:1.37']]);
    expect(pod.spec.containers[0].ports).toEqual([expect.objectContaining({ containerPort: 8080 })]);
    const last = JSON.parse(pod.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '{}') as Pod;
    expect(last.spec.containers[0].image).toBe('busybox:1.37');
    expect(last.metadata.labels).toEqual({ app: 'shop', tier: 'front' });
    // And once more: nothing left to change.
    expect(await ok('apply', '-f', file)).toBe('pod/applied unchanged\n');
    await admin.pods.delete('applied', { gracePeriodSeconds: 0 });
  });

  it('apply -f - with several documents (YAML and JSON), then delete -f of the same', async () => {
    const docs = [
      podManifest('multi-1', { app: 'multi' }, 'busybox:1.36'),
      podManifest('multi-2', { app: 'multi' }, 'busybox:1.36'),
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'multi-ns' } }),
    ].join('---\n');
    const applied = await kubectlStdin(docs, 'apply', '-f', '-');
    expect(applied).toMatchObject({ code: 0, stderr: '' });
    expect(applied.stdout.split('\n').filter(Boolean).sort()).toEqual(['namespace/multi-ns created', 'pod/multi-1 created', 'pod/multi-2 created']);
    expect((await ok('get', 'pods', '-l', 'app=multi', '-o', 'name')).split('\n').filter(Boolean)).toEqual(['pod/multi-1', 'pod/multi-2']);
    // Unbound pods go at once; delete -f waits for them and reports each.
    const file = path.join(dir, 'multi.yaml');
    await writeFile(file, docs.split('---\n').slice(0, 2).join('---\n'));
    expect(await ok('delete', '-f', file)).toBe('pod "multi-1" deleted\npod "multi-2" deleted\n');
    expect(await ok('get', 'pods', '-l', 'app=multi', '-o', 'name')).toBe('');
  });

  it('apply refuses a typo\'d field (fieldValidation=Strict), warns with --validate=warn, is silent with --validate=false', async () => {
    const file = path.join(dir, 'typo.yaml');
    await writeFile(file, podManifest('typo', { app: 'typo' }, 'busybox:1.36').replace('    image:', '    imagee: busybox:1.36\n    image:'));
    const strict = await kubectl('apply', '-f', file);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/unknown field "spec\.containers\[0\]\.imagee"/);
    expect(strict.stdout).toBe('');
    expect((await admin.pods.list()).items.map((p) => p.metadata.name)).not.toContain('typo');

    const warn = await kubectl('apply', '--validate=warn', '-f', file);
    expect(warn.code).toBe(0);
    expect(warn.stdout).toBe('pod/typo created\n');
    expect(warn.stderr).toMatch(/Warning: unknown field "spec\.containers\[0\]\.imagee"/);
    // As Kubernetes' decoder does, the unknown field is dropped before the pod is stored.
    expect((await admin.pods.get('typo')).spec.containers[0]).not.toHaveProperty('imagee');
    await admin.pods.delete('typo', { gracePeriodSeconds: 0 });

    const ignore = await kubectl('apply', '--validate=false', '-f', file);
    expect(ignore).toMatchObject({ code: 0, stdout: 'pod/typo created\n', stderr: '' });
    await admin.pods.delete('typo', { gracePeriodSeconds: 0 });
  });

  it('get pods: plain, -o wide, -o yaml, -o json', async () => {
    await admin.pods.create(boundPod('getter'));
    await kubeletClient.pods.patchStatus('getter', {
      status: {
        phase: 'Running',
        podIP: '10.88.0.9',
        podIPs: [{ ip: '10.88.0.9' }],
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: 'main', ready: true, restartCount: 2, image: 'busybox:1.36', imageID: 'sha256:1', state: { running: { startedAt: new Date().toISOString() } } }],
      },
    });
    const plain = await ok('get', 'pods');
    expect(plain).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s*$/m);
    expect(plain).toMatch(/^getter\s+1\/1\s+Running\s+2\s+\d+s\s*$/m);

    const wide = await ok('get', 'pods', '-o', 'wide');
    expect(wide).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\s*$/m);
    expect(wide).toMatch(/^getter\s+1\/1\s+Running\s+2\s+\d+s\s+10\.88\.0\.9\s+node-1\s+<none>\s+<none>\s*$/m);

    const yaml = parseYaml(await ok('get', 'pod', 'getter', '-o', 'yaml')) as Pod;
    expect(yaml).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'getter', namespace: 'default' }, spec: { nodeName: NODE }, status: { phase: 'Running', podIP: '10.88.0.9' } });

    const list = JSON.parse(await ok('get', 'pods', '-o', 'json')) as KubeList<Pod>;
    expect(list.kind).toBe('List');
    expect(list.items.map((p) => [p.kind, p.metadata.name, p.status?.phase])).toContainEqual(['Pod', 'getter', 'Running']);
    const one = JSON.parse(await ok('get', 'pod', 'getter', '-o', 'json')) as Pod;
    expect(one.metadata.uid).toBe((await admin.pods.get('getter')).metadata.uid);
    await admin.pods.delete('getter', { gracePeriodSeconds: 0 });
  });

  it('get nodes: plain, -o wide, -o yaml, -o json; cordon and uncordon', async () => {
    const plain = await ok('get', 'nodes');
    expect(plain).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s*$/m);
    expect(plain).toMatch(/^node-1\s+Ready\s+<none>\s+\d+s\s+v1\.30\.0-skiff\s*$/m);

    const wide = await ok('get', 'nodes', '-o', 'wide');
    expect(wide).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME\s*$/m);
    expect(wide).toMatch(/^node-1\s+Ready\s+<none>\s+\d+s\s+v1\.30\.0-skiff\s+10\.0\.0\.2\s+<none>\s+Debian GNU\/Linux 12 \(bookworm\)\s+6\.1\.0-compat\s+skiff:\/\/0\.1\.0\s*$/m);

    const yaml = parseYaml(await ok('get', 'node', NODE, '-o', 'yaml')) as Node;
    expect(yaml).toMatchObject({ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE }, status: { capacity: { cpu: '2', memory: '4Gi' } } });

    const list = JSON.parse(await ok('get', 'nodes', '-o', 'json')) as KubeList<Node>;
    expect(list.items.map((n) => [n.kind, n.metadata.name])).toEqual([['Node', NODE]]);
    expect(list.items[0].status?.nodeInfo?.kubeletVersion).toBe('v1.30.0-skiff');

    // cordon / uncordon: a strategic merge patch of spec.unschedulable, shown in STATUS.
    expect(await ok('cordon', NODE)).toBe('node/node-1 cordoned\n');
    expect((await admin.nodes.get(NODE)).spec?.unschedulable).toBe(true);
    expect(await ok('get', 'nodes')).toMatch(/^node-1\s+Ready,SchedulingDisabled\s+/m);
    expect(await ok('uncordon', NODE)).toBe('node/node-1 uncordoned\n');
    expect((await admin.nodes.get(NODE)).spec?.unschedulable).toBeFalsy();
  });

  it('describe node shows its conditions, addresses and the pods bound to it', async () => {
    await admin.pods.create({ ...boundPod('resident'), spec: { ...boundPod('resident').spec, containers: [{ name: 'main', image: 'busybox:1.36', resources: { requests: { cpu: '250m', memory: '64Mi' } } }] } });
    const out = await ok('describe', 'node', NODE);
    expect(out).toMatch(/^Name:\s+node-1$/m);
    expect(out).toMatch(/^\s+Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status$/m);
    expect(out).toMatch(/^\s+InternalIP:\s+10\.0\.0\.2$/m);
    expect(out).toMatch(/^\s+Kernel Version:\s+6\.1\.0-compat$/m);
    // kubectl finds the node's pods with a field selector on spec.nodeName and status.phase.
    expect(out).toMatch(/^Non-terminated Pods:\s+\(1 in total\)$/m);
    expect(out).toMatch(/^\s+default\s+resident\s+250m \(12%\)\s+0 \(0%\)\s+64Mi \(1%\)\s+0 \(0%\)\s+\S+$/m);
    await admin.pods.delete('resident', { gracePeriodSeconds: 0 });
  });

  it('get pods -w prints the new status when the pod changes', async () => {
    await admin.pods.create(boundPod('watched'));
    const watch = spawnKubectl('get', 'pods', 'watched', '-w');
    try {
      let out = '';
      watch.child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
      await eventually(() => /^watched\s+0\/1\s+Pending\s+/m.test(out), `the first row (${watch.output()})`);
      await kubeletClient.pods.patchStatus('watched', {
        status: {
          phase: 'Running',
          podIP: '10.88.0.10',
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: [{ name: 'main', ready: true, restartCount: 0, image: 'busybox:1.36', imageID: 'sha256:1', state: { running: { startedAt: new Date().toISOString() } } }],
        },
      });
      await eventually(() => /^watched\s+1\/1\s+Running\s+0\s+/m.test(out), `the Running row (${watch.output()})`);
      // A graceful delete of the bound pod: the watch shows it Terminating.
      await admin.pods.delete('watched');
      await eventually(() => /^watched\s+1\/1\s+Terminating\s+0\s+/m.test(out), `the Terminating row (${watch.output()})`);
      // The header once, then one row per state.
      expect(out.match(/^NAME\s+READY/gm)).toHaveLength(1);
      expect(watch.child.exitCode).toBeNull();
    } finally {
      await watch.stop(2000);
    }
    await kubeletClient.pods.delete('watched', { gracePeriodSeconds: 0 });
  });

  it('describe pod shows the pod and its events', async () => {
    const pod = await admin.pods.create(boundPod('described'));
    const now = new Date().toISOString();
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `described.${Date.now().toString(16)}`, namespace: 'default' },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'described', namespace: 'default', uid: pod.metadata.uid, fieldPath: 'spec.containers{main}' },
      reason: 'Pulled',
      message: 'Successfully pulled image "busybox:1.36" in 1.2s',
      type: 'Normal',
      source: { component: 'kubelet', host: NODE },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    await admin.events.create(event);
    // Another pod's event must not show.
    await admin.events.create({
      ...event,
      metadata: { name: `other.${Date.now().toString(16)}`, namespace: 'default' },
      involvedObject: { ...event.involvedObject, name: 'other', uid: 'other-uid' },
      reason: 'Killing',
      message: 'Stopping container main',
    });
    const out = await ok('describe', 'pod', 'described');
    expect(out).toMatch(/^Name:\s+described$/m);
    expect(out).toMatch(/^Namespace:\s+default$/m);
    expect(out).toMatch(/^Node:\s+node-1/m);
    expect(out).toMatch(/^Containers:\n\s+main:/m);
    expect(out).toMatch(/^\s+Image:\s+busybox:1\.36$/m);
    expect(out).toMatch(/^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n\s+----/m);
    expect(out).toMatch(/^\s+Normal\s+Pulled\s+\S+\s+kubelet\s+Successfully pulled image "busybox:1\.36" in 1\.2s$/m);
    expect(out).not.toContain('Stopping container main');

    const events = await ok('get', 'events', '--field-selector', 'involvedObject.name=described');
    expect(events).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\s*$/m);
    expect(events).toMatch(/^\S+\s+Normal\s+Pulled\s+pod\/described\s+Successfully pulled image "busybox:1\.36" in 1\.2s\s*$/m);
    expect(events).not.toContain('pod/other');
    await admin.pods.delete('described', { gracePeriodSeconds: 0 });
  });

  it('wait --for=condition=Ready returns when the kubelet reports the pod ready; patch in three dialects', async () => {
    await admin.pods.create(boundPod('waiter'));
    const wait = spawnKubectl('wait', '--for=condition=Ready', 'pod/waiter', '--timeout=30s');
    try {
      await new Promise((r) => setTimeout(r, 500));
      expect(wait.child.exitCode).toBeNull();
      await kubeletClient.pods.patchStatus('waiter', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
      const { code } = await Promise.race([
        wait.exited,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`kubectl wait still waiting: ${wait.output()}`)), 15_000)),
      ]);
      expect(code).toBe(0);
      expect(wait.output()).toBe('pod/waiter condition met\n');
    } finally {
      await wait.stop(2000);
    }

    expect(await ok('patch', 'pod', 'waiter', '-p', '{"metadata":{"labels":{"tier":"a"}}}')).toBe('pod/waiter patched\n');
    expect(await ok('patch', 'pod', 'waiter', '--type=merge', '-p', '{"metadata":{"labels":{"app":null}}}')).toBe('pod/waiter patched\n');
    expect(await ok('patch', 'pod', 'waiter', '--type=json', '-p', '[{"op":"replace","path":"/spec/containers/0/image","value":"busybox:1.37"}]')).toBe('pod/waiter patched\n');
    const pod = await admin.pods.get('waiter');
    expect(pod.metadata.labels).toEqual({ tier: 'a' });
    expect(pod.spec.containers[0].image).toBe('busybox:1.37');
    await admin.pods.delete('waiter', { gracePeriodSeconds: 0 });
  });

  it('delete pod waits while the bound pod terminates, and returns once its kubelet finishes it', async () => {
    await admin.pods.create(boundPod('doomed'));
    const del = spawnKubectl('delete', 'pod', 'doomed', '--timeout=40s');
    try {
      let out = '';
      del.child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
      // The server marks it terminating (a kubelet still has to stop its containers) ...
      await eventually(async () => Boolean((await admin.pods.get('doomed')).metadata.deletionTimestamp), 'deletionTimestamp on the pod');
      const marked = await admin.pods.get('doomed');
      expect(marked.metadata.deletionGracePeriodSeconds).toBe(30);
      expect((await ok('get', 'pod', 'doomed')).split('\n')[1]).toMatch(/^doomed\s+0\/1\s+Terminating\s+/);
      // ... and kubectl keeps waiting for it to go.
      await new Promise((r) => setTimeout(r, 700));
      expect(del.child.exitCode).toBeNull();
      // The kubelet has stopped the containers: it deletes the pod for good, grace 0.
      await kubeletClient.pods.delete('doomed', { gracePeriodSeconds: 0, preconditions: { uid: marked.metadata.uid } });
      const { code } = await Promise.race([
        del.exited,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`kubectl delete still waiting: ${del.output()}`)), 15_000)),
      ]);
      expect(code).toBe(0);
      expect(out).toBe('pod "doomed" deleted\n');
    } finally {
      await del.stop(2000);
    }
    expect((await kubectl('get', 'pod', 'doomed')).stderr).toMatch(/pods "doomed" not found/);
  });
});
