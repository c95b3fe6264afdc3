// Issue 22's Services end to end on a real `skiff up` cluster, as a user meets them with the real
// kubectl 1.33: a Deployment of 2 kuard-style pods (each answers with its hostname) exposed with
// `kubectl expose`, reached by name from another pod through the cluster DNS and the node proxy
// (both replicas answer); the NodePort on the host's 127.0.0.1 and its address; a pod verifying the
// API server at https://kubernetes.default.svc with the CA of the kube-root-ca.crt ConfigMap; a
// Service scaled to 0 refusing connections (REJECT, not a hang); and `skiff down` leaving no chain
// of the cluster's. Own ports, state dir, pod and service CIDRs, node ports and bridge: CI runs a
// cluster with the defaults on this machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Node } from '../../api/types/core.js';
import { connectionFromKubeconfig } from '../../client/kubeconfig.js';
import { RestClient } from '../../client/rest.js';
import { publishDemoImage } from '../../cluster/demo.js';
import { statePaths } from '../../cluster/state.js';
import { clusterTag } from '../../proxy/chain-names.js';
import { readDockerAuths } from '../../runtime/images/docker-config.js';
import { eventually } from '../fixtures/eventually.js';
import { buildBusyboxImage, openStore, pushImage } from '../fixtures/images.js';
import { kubectlBinary, runKubectl, type KubectlOn } from '../fixtures/kubectl-stream-checks.js';
import { freePort, freePortRun } from '../fixtures/ports.js';
import { haveTool } from '../fixtures/tools.js';
import { repoRoot, skiffEntry } from '../fixtures/process.js';

const exec = promisify(execFile);
const skiff = (args: string[]) => exec(process.execPath, [skiffEntry, ...args], { cwd: repoRoot, timeout: 240_000, env: { ...process.env, SKIFF_LOG_JSON: '1' } });
const LEAKS = '/work/shared/tools/leaks';

/** The host's curl and the libraries it links, as a layer: a real TLS client that verifies. */
async function curlLayer(dir: string): Promise<void> {
  const { stdout } = await exec('ldd', ['/usr/bin/curl']);
  const files = ['/usr/bin/curl', ...stdout.split('\n').flatMap((l) => /(\/\S+)/.exec(l.includes('=>') ? l.split('=>')[1] : l)?.[1] ?? [])];
  for (const f of files) {
    await mkdir(path.join(dir, path.dirname(f)), { recursive: true });
    await copyFile(f, path.join(dir, f)); // follows symlinks: the soname's target's bytes
  }
}

const leaks = async (pattern: string) => (await exec(LEAKS, [pattern]).catch((e: { stdout: string }) => e)).stdout;

describe.runIf(haveTool(kubectlBinary('1.33')))('Services on skiff up', () => {
  let stateDir = '';
  let client: RestClient | undefined;
  let k: KubectlOn;
  let webImage = '';
  let curlImage = '';
  let leaksBefore = '';
  const slot = (process.pid % 200) + 20;
  const node = `svc-up-${process.pid}`;
  const bridge = `sksv${process.pid % 100000}`;
  const nodePorts = 31000 + (process.pid % 170) * 10;
  const kubectl = async (args: string[], timeoutMs = 60_000) => {
    const r = await runKubectl(k, args, undefined, timeoutMs);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
    return r.stdout.toString();
  };
  /** `sh -c script` in the client pod: its exit code and its output, both streams. (No wget -T: busybox 1.35's wget segfaults with it; kubectl's timeout bounds a hang.) */
  const inClient = async (script: string) => {
    const r = await runKubectl(k, ['exec', 'client', '--', 'sh', '-c', script], undefined, 60_000);
    return { code: r.code, out: `${r.stdout.toString()}${r.stderr}` };
  };

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'skiff-svc-up-'));
    leaksBefore = await leaks(stateDir);
    const registry = `127.0.0.1:${await freePort()}`;
    await skiff([
      'up', '--state-dir', stateDir, '--node-name', node,
      '--api-port', String(await freePort()), '--api-relay-port', String(await freePort()),
      '--etcd-port', String(await freePortRun(2)), '--registry-addr', registry,
      '--pod-cidr', `10.77.${slot}.0/24`, '--bridge', bridge,
      '--service-cidr', `10.78.${slot}.0/24`, '--service-node-port-range', `${nodePorts}-${nodePorts + 9}`,
    ]);
    const kubeconfig = path.join(stateDir, 'kubeconfig');
    k = { kubeconfig, namespace: 'default', version: '1.33' };
    client = new RestClient(connectionFromKubeconfig({ kubeconfig }));
    const auth = (await readDockerAuths([statePaths(stateDir).dockerConfig]))[registry];
    webImage = (await publishDemoImage(registry, auth)).ref;
    const storeDir = await mkdtemp(path.join(os.tmpdir(), 'skiff-svc-img-'));
    const layer = await mkdtemp(path.join(os.tmpdir(), 'skiff-svc-curl-'));
    try {
      await curlLayer(layer);
      const store = await openStore(storeDir);
      await pushImage(registry, 'skiff/curl:1', store, await buildBusyboxImage(store, { extraLayers: [{ dir: layer, createdBy: 'COPY curl /' }] }), auth);
      curlImage = `${registry}/skiff/curl:1`;
    } finally {
      await rm(storeDir, { recursive: true, force: true });
      await rm(layer, { recursive: true, force: true });
    }
  }, 300_000);

  afterAll(async () => {
    client?.close();
    await skiff(['down', '--state-dir', stateDir, '--purge']).catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
  }, 120_000);

  it('serves a Deployment behind its Service by name from another pod, on the NodePort, the API server by its Service, REJECT at 0 endpoints; down leaves nothing', async () => {
    // kubectl's own Deployment, with a short grace period: busybox httpd as PID 1 ignores SIGTERM,
    // and scaling to 0 would wait out the default 30 s.
    const deployment = JSON.parse(await kubectl(['create', 'deployment', 'web', `--image=${webImage}`, '--replicas=2', '--port=8080', '--dry-run=client', '-o', 'json'])) as { spec: { template: { spec: { terminationGracePeriodSeconds?: number } } } };
    deployment.spec.template.spec.terminationGracePeriodSeconds = 2;
    const created = await runKubectl(k, ['create', '-f', '-'], JSON.stringify(deployment));
    expect(created.code, created.stderr).toBe(0);
    await kubectl(['expose', 'deployment', 'web', '--port', '80', '--target-port', '8080']);
    await kubectl(['expose', 'deployment', 'web', '--name', 'web-np', '--type', 'NodePort', '--port', '80', '--target-port', '8080']);
    await kubectl(['run', 'client', `--image=${webImage}`, '--restart=Never', '--command', '--', 'sleep', '3600']);
    await kubectl(['wait', '--for=condition=Available', 'deployment/web', '--timeout=120s'], 130_000);
    await kubectl(['wait', '--for=condition=Ready', 'pod/client', '--timeout=120s'], 130_000);
    const pods = JSON.parse(await kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])) as { items: { metadata: { name: string } }[] };
    const replicas = pods.items.map((p) => p.metadata.name).sort();
    expect(replicas).toHaveLength(2);

    // 1. By the Service's short name and its full name, through the cluster DNS; both replicas answer.
    for (const url of ['http://web/', 'http://web.default.svc.cluster.local/']) {
      const r = await eventually(async () => {
        const r = await inClient(`wget -qO- ${url}`);
        return r.code === 0 ? r : undefined;
      }, `${url} to answer from the client pod`, 30_000, { intervalMs: 500 });
      expect(r.out).toMatch(/Hello from web-/);
    }
    const loop = await inClient(`for i in $(seq 40); do wget -qO- http://web/ | grep -o 'Hello from [a-z0-9-]*' || echo FAILED; done`);
    const answered = loop.out.split('\n').filter(Boolean);
    expect(answered.filter((l) => l === 'FAILED'), loop.out).toEqual([]);
    expect([...new Set(answered.map((l) => l.replace('Hello from ', '')))].sort()).toEqual(replicas);

    // 2. The NodePort on the host: 127.0.0.1 and the node's address.
    const svc = JSON.parse(await kubectl(['get', 'svc', 'web-np', '-o', 'json'])) as { spec: { ports: { nodePort: number }[] } };
    const nodePort = svc.spec.ports[0]?.nodePort ?? 0;
    expect(nodePort).toBeGreaterThanOrEqual(nodePorts);
    const nodeObj = await client!.nodes.get(node) as Node;
    const hostIP = nodeObj.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '';
    expect(hostIP).not.toBe('');
    for (const host of ['127.0.0.1', hostIP]) {
      const body = await eventually(async () => {
        const r = await fetch(`http://${host}:${nodePort}/`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
        return r?.status === 200 ? r.text() : undefined;
      }, `the NodePort on ${host}:${nodePort}`, 30_000, { intervalMs: 500 });
      expect(body).toMatch(/Hello from web-/);
    }

    // 3. The API server through the kubernetes Service, verified with the kube-root-ca.crt ConfigMap's CA.
    const podYaml = JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tls' },
      spec: {
        restartPolicy: 'Never', automountServiceAccountToken: false,
        containers: [{ name: 'c', image: curlImage, command: ['curl', '-sS', '--max-time', '10', '--cacert', '/ca/ca.crt', '-o', '/dev/null', '-w', 'status %{http_code} verify %{ssl_verify_result}\n', 'https://kubernetes.default.svc/version'], volumeMounts: [{ name: 'ca', mountPath: '/ca' }] }],
        volumes: [{ name: 'ca', configMap: { name: 'kube-root-ca.crt' } }],
      },
    });
    const applied = await runKubectl(k, ['apply', '-f', '-'], podYaml);
    expect(applied.code, applied.stderr).toBe(0);
    const phase = await eventually(async () => {
      const p = JSON.parse(await kubectl(['get', 'pod', 'tls', '-o', 'json'])) as { status?: { phase?: string } };
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p.status.phase : undefined;
    }, 'the tls pod to finish', 90_000, { intervalMs: 500 });
    const tlsLog = await kubectl(['logs', 'tls']);
    expect({ phase, tlsLog }).toEqual({ phase: 'Succeeded', tlsLog: expect.stringMatching(/^status (200|401|403) verify 0$/m) });

    // 4. Scaled to 0: the Service refuses connections at once (REJECT), it does not drop them.
    await kubectl(['scale', 'deployment', 'web', '--replicas=0']);
    await eventually(async () => {
      const ep = JSON.parse(await kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json'])) as { items: { endpoints?: unknown[] }[] };
      return ep.items.every((s) => !s.endpoints?.length);
    }, "web's slices to have no endpoints", 60_000, { intervalMs: 500 });
    // The proxy's sync follows the slice: until its REJECT is in, a connection may still be sent
    // to a pod that is gone (and hang, as on Kubernetes).
    const tag = clusterTag(stateDir);
    await eventually(async () => (await exec('iptables-save', ['-t', 'filter'])).stdout.split('\n').some((l) => l.startsWith(`-A ${tag}-`) && l.includes('"default/web has no endpoints"') && l.includes('-j REJECT')), "the proxy's REJECT for web", 30_000, { intervalMs: 250 });
    const refused = await inClient('wget -qO- http://web/');
    expect(refused.out).toMatch(/can't connect to remote host \([\d.]+\): Connection refused/);
    expect(refused.code).not.toBe(0);

    // 5. Down: no chain or rule of this cluster's is left, and nothing else either.
    await skiff(['down', '--state-dir', stateDir]);
    const rules = (await exec('iptables-save')).stdout.split('\n').filter((l) => l.includes(tag) || l.includes(bridge) || l.includes(`10.77.${slot}.`) || l.includes(`10.78.${slot}.`));
    expect(rules).toEqual([]);
    expect((await exec('ip', ['link', 'show'])).stdout).not.toContain(bridge);
    // The leaks tool's lines for this state dir (its mounts and processes) are as before; its
    // other lines count the whole machine, where other clusters come and go.
    const scoped = (report: string) => report.split('\n').filter((l) => /^(overlay mounts|processes)\b/.test(l));
    expect(scoped(await leaks(stateDir))).toEqual(scoped(leaksBefore));
  }, 300_000);
});
