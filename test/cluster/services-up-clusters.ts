// The `skiff up` clusters of services-up.test.ts: each started with its own state dir, ports,
// pod and service CIDRs, node ports, bridge and node name, its images published to its own
// registry, and the workload every check uses (a Deployment `web` of 2 kuard-style pods behind a
// ClusterIP Service and a NodePort one, a client pod, an echo pod behind Service `echo` on port
// 9000). `mine` tells the iptables lines of the cluster (its chain tag, CIDRs, bridge).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
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
import { buildCurlImage } from '../fixtures/host-binary-image.js';
import { openStore, pushImage } from '../fixtures/images.js';
import { runKubectl, type KubectlOn } from '../fixtures/kubectl-stream-checks.js';
import { freePort, freePortRun } from '../fixtures/ports.js';
import { repoRoot, skiffEntry } from '../fixtures/process.js';

const exec = promisify(execFile);
const skiff = (args: string[]) => exec(process.execPath, [skiffEntry, ...args], { cwd: repoRoot, timeout: 240_000, env: { ...process.env, SKIFF_LOG_JSON: '1' } });
/**
 * What of one cluster is left on the machine: processes naming its state dir, and mounts at or
 * under its state dir or its runtime's state tmpfs (kept outside it). Empty once `down` is done.
 */
export async function leftovers(stateDir: string): Promise<string[]> {
  const dirs = [stateDir, statePaths(stateDir).runtimeStateDir];
  const processes = (await exec('ps', ['-eo', 'pid,args'])).stdout.split('\n').filter((l) => l.includes(stateDir));
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => dirs.some((d) => l.split(' ')[4]?.startsWith(d)));
  return [...processes.map((l) => `process ${l.trim()}`), ...mounts.map((l) => `mount ${l.split(' ')[4]}`)];
}

/** iptables-save of every table, its rules and user chains (no built-in chains' counters, no timestamps). */
export async function iptablesLines(): Promise<string[]> {
  return (await exec('iptables-save')).stdout.split('\n').filter((l) => l.startsWith('-A ') || (l.startsWith(':') && l.includes(' - ')));
}

/** One GET on a new connection (no keep-alive: every request goes through the rules afresh). */
export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export interface UpCluster {
  letter: string;
  stateDir: string;
  serviceCidr: string;
  nodePortRange: string;
  /** What `skiff up` wrote on stderr. */
  upStderr: string;
  node: string;
  bridge: string;
  tag: string;
  registry: string;
  k: KubectlOn;
  client: RestClient;
  ca: string;
  adminToken: string;
  webImage: string;
  curlImage: string;
  hostIP: string;
  webIP: string;
  echoIP: string;
  webNodePort: number;
  replicas: string[];
  down: boolean;
  kubectl(args: string[], timeoutMs?: number): Promise<string>;
  /** `sh -c script` in the client pod: its exit code and its output, both streams. */
  inClient(script: string): Promise<{ code: number | null; out: string }>;
  /** web by ClusterIP, on the NodePort at 127.0.0.1 and at the host's address. */
  hostUrls(): string[];
  /** True for an iptables line of this cluster's: its chain tag, its CIDRs, its bridge. */
  mine(line: string): boolean;
}

/** `skiff up` with ports, state dir, pod CIDR `<octets>.<slot>.0/24`, service CIDR `<octets>.<slot+128>.0/24` and bridge of its own. */
export async function startUpCluster(o: { letter: string; octets: string; slot: number; nodePorts: number; withCurl?: boolean; upArgs?: string[] }): Promise<UpCluster> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), `skiff-svc-up-${o.letter}-`));
  const node = `svc-up-${o.letter}-${process.pid}`;
  const bridge = `skT${o.letter}${process.pid % 100000}`;
  const pod = `${o.octets}.${o.slot}.`;
  const svc = `${o.octets}.${o.slot + 128}.`;
  const registry = `127.0.0.1:${await freePort()}`;
  const serviceCidr = `${svc}0/24`;
  const nodePortRange = `${o.nodePorts}-${o.nodePorts + 9}`;
  const up = skiff([
    'up', '--state-dir', stateDir, '--node-name', node,
    '--api-port', String(await freePort()), '--api-relay-port', String(await freePort()),
    '--etcd-port', String(await freePortRun(2)), '--registry-addr', registry,
    '--pod-cidr', `${pod}0/24`, '--bridge', bridge,
    '--service-cidr', serviceCidr, '--service-node-port-range', nodePortRange,
    ...(o.upArgs ?? []),
  ]);
  // Whatever happens next, the caller can take it down.
  const kubeconfig = statePaths(stateDir).kubeconfig;
  const k: KubectlOn = { kubeconfig, namespace: 'default', version: '1.33' };
  const kubectl = async (args: string[], timeoutMs = 60_000) => {
    const r = await runKubectl(k, args, undefined, timeoutMs);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} (${o.letter}): exit ${r.code}: ${r.stderr}`);
    return r.stdout.toString();
  };
  const c: UpCluster = {
    letter: o.letter, stateDir, serviceCidr, nodePortRange, upStderr: '', node, bridge, tag: clusterTag(stateDir), registry, k, down: false,
    client: undefined as unknown as RestClient, // set once up answers
    ca: '', adminToken: '', webImage: '', curlImage: '', hostIP: '', webIP: '', echoIP: '', webNodePort: 0, replicas: [],
    kubectl,
    inClient: async (script) => {
      // No wget -T: busybox 1.35's wget segfaults with it; kubectl's timeout bounds a hang.
      const r = await runKubectl(k, ['exec', 'client', '--', 'sh', '-c', script], undefined, 60_000);
      return { code: r.code, out: `${r.stdout.toString()}${r.stderr}` };
    },
    hostUrls: () => [`http://${c.webIP}/`, `http://127.0.0.1:${c.webNodePort}/`, `http://${c.hostIP}:${c.webNodePort}/`],
    mine: (l) => l.includes(c.tag) || l.includes(bridge) || l.includes(pod) || l.includes(svc),
  };
  try {
    c.upStderr = (await up).stderr;
  } catch (e) {
    await downCluster(c);
    throw e;
  }
  const connection = connectionFromKubeconfig({ kubeconfig });
  c.client = new RestClient(connection);
  c.ca = connection.ca?.toString() ?? '';
  c.adminToken = connection.token ?? '';
  const auth = (await readDockerAuths([statePaths(stateDir).dockerConfig]))[registry];
  c.webImage = (await publishDemoImage(registry, auth)).ref;
  if (o.withCurl) {
    const storeDir = await mkdtemp(path.join(os.tmpdir(), 'skiff-svc-img-'));
    try {
      const store = await openStore(storeDir);
      await pushImage(registry, 'skiff/curl:1', store, await buildCurlImage(store), auth);
      c.curlImage = `${registry}/skiff/curl:1`;
    } finally {
      await rm(storeDir, { recursive: true, force: true });
    }
  }
  return c;
}

/** web (2 replicas) behind `web` and NodePort `web-np`, `gone` (the same pods), a client pod, an echo pod behind `echo`; waits for all to be ready. */
export async function deploy(c: UpCluster): Promise<void> {
  // kubectl's own Deployment, with a short grace period: busybox httpd as PID 1 ignores SIGTERM,
  // and scaling to 0 would wait out the default 30 s.
  const deployment = JSON.parse(await c.kubectl(['create', 'deployment', 'web', `--image=${c.webImage}`, '--replicas=2', '--port=8080', '--dry-run=client', '-o', 'json'])) as { spec: { template: { spec: { terminationGracePeriodSeconds?: number } } } };
  deployment.spec.template.spec.terminationGracePeriodSeconds = 2;
  const created = await runKubectl(c.k, ['create', '-f', '-'], JSON.stringify(deployment));
  if (created.code !== 0) throw new Error(created.stderr);
  await c.kubectl(['expose', 'deployment', 'web', '--port', '80', '--target-port', '8080']);
  await c.kubectl(['expose', 'deployment', 'web', '--name', 'web-np', '--type', 'NodePort', '--port', '80', '--target-port', '8080']);
  await c.kubectl(['expose', 'deployment', 'web', '--name', 'gone', '--port', '81', '--target-port', '8080']);
  await c.kubectl(['run', 'client', `--image=${c.webImage}`, '--restart=Never', '--command', '--', 'sleep', '3600']);
  // busybox nc: -ll -e keeps listening and runs `cat` on each connection (an echo server).
  await c.kubectl(['run', 'echo', `--image=${c.webImage}`, '--restart=Never', '--port=9000', '--command', '--', 'nc', '-ll', '-p', '9000', '-e', 'cat']);
  await c.kubectl(['expose', 'pod', 'echo', '--port', '9000']);
  await c.kubectl(['wait', '--for=condition=Available', 'deployment/web', '--timeout=150s'], 160_000);
  await c.kubectl(['wait', '--for=condition=Ready', 'pod/client', 'pod/echo', '--timeout=150s'], 160_000);
  const pods = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])) as { items: { metadata: { name: string } }[] };
  c.replicas = pods.items.map((p) => p.metadata.name).sort();
  const svcs = JSON.parse(await c.kubectl(['get', 'svc', 'web', 'web-np', 'echo', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { clusterIP: string; ports: { nodePort?: number }[] } }[] };
  const svc = (name: string) => svcs.items.find((s) => s.metadata.name === name)!.spec;
  c.webIP = svc('web').clusterIP;
  c.echoIP = svc('echo').clusterIP;
  c.webNodePort = svc('web-np').ports[0]?.nodePort ?? 0;
  const node = (await c.client.nodes.get(c.node)) as Node;
  c.hostIP = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '';
}

/** `skiff down` (purged unless told otherwise; `stateDir`: another spelling of it) once; the state dir goes with a purge. */
export async function downCluster(c: UpCluster, { purge = true, stateDir = c.stateDir } = {}): Promise<void> {
  if (!c.down) {
    c.client?.close();
    await skiff(['down', '--state-dir', stateDir, ...(purge ? ['--purge'] : [])]);
    c.down = true;
  }
  if (purge) await rm(c.stateDir, { recursive: true, force: true });
}
