// `npm run bench -- service --only data`: the Services data path, on a 3-node `skiff lab` this
// section starts (its own name and state dir; `lab down` in a finally, also after Ctrl-C).
// A server Deployment of 2 replicas, one on node 2 and one on node 3 (node affinity to those
// two, and a CPU request over half a node's capacity so that no node fits two), a client pod
// on node 1 and another on node 3 (busybox sleepers that only lend their network namespace).
// wrk (Debian's, installed by scripts/setup.sh) runs on the host inside a client pod's
// network namespace, entered with `nsenter --net` at the path the node's runtime records for
// the sandbox: its packets leave through the pod's eth0 and veth, cross the node's CNI bridge
// and iptables, exactly as a process inside the pod would send them (what differs is only
// whose cgroup wrk's CPU time is charged to: the host's, not the pod's).
//
// The server keeps connections alive and is quick: node's own http module (/usr/bin/node and
// the libraries ldd names, on the busybox layer, built with skiff's image writer and pushed
// to the lab's registry). busybox httpd forks per request and closes the connection, which
// would bury the proxy's cost under a fork and a handshake per request.
//
// Fairness: both sides reach the same single server process. The Service `data-one` selects
// only the replica on node 3 (an extra label on that pod), so its one endpoint is the pod IP
// the direct side dials: the only difference between the two is the node proxy's DNAT on
// node 1 (KUBE-SERVICES → SVC → SEP, conntrack for every packet after it). A Service with
// both replicas against one pod IP would compare two servers with one; against both pod IPs
// with half the connections each, the split would be even on one side and a coin toss
// (statistic random, per connection) on the other.
//  1. keep-alive: throughput (req/s) and p99 latency from node 1's client to data-one's
//     ClusterIP vs to the endpoint's pod IP; targets ratio >= 0.95 and p99 ratio <= 1.1.
//  2. one connection per request (`Connection: close`): the same two addresses, where every
//     request is a new connection that walks the nat rules (the proxy's per-connection cost).
//  3. the lab's node-to-node path: node 1's client vs node 3's client, both to the pod IP
//     on node 3 (lab-network.ts: routes via the other node's address over the lab bridge).
// The p99 figures are those of the same wrk runs as the throughput figures (one run gives
// both), compared round by round the same way. Sizes: SKIFF_BENCH_WRK_SECONDS (3),
// SKIFF_BENCH_WRK_CONNECTIONS (16), SKIFF_BENCH_WRK_THREADS (1), SKIFF_BENCH_ROUNDS (9, at
// least 3). Printed beside them: whether the server sees the client pod's own address through
// the Service (no SNAT), and how many times node 1's nat rules were walked per request.
// Every figure is measured in this run.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Deployment } from '../api/types/apps.js';
import type { Pod } from '../api/types/core.js';
import type { Service } from '../api/types/service.js';
import { nodeExec } from '../cluster/lab.js';
import { labNode } from '../cluster/lab-network.js';
import { statePaths } from '../cluster/state.js';
import { readDockerAuths } from '../runtime/images/docker-config.js';
import { readRecord, type SandboxRecord } from '../runtime/runtime-context.js';
import { defaultStateDir, stateDirs } from '../runtime/state-dir.js';
import { startLab, type Lab } from '../test/cluster/lab-fixture.js';
import { eventually } from '../test/fixtures/eventually.js';
import { buildHostBinaryImage } from '../test/fixtures/host-binary-image.js';
import { openStore, pushImage } from '../test/fixtures/images.js';
import { compare, stopIfInterrupted, summary, type Comparison } from './rounds.js';

const exec = promisify(execFile);

const WRK_SECONDS = Number(process.env.SKIFF_BENCH_WRK_SECONDS ?? 3);
const WRK_CONNECTIONS = Number(process.env.SKIFF_BENCH_WRK_CONNECTIONS ?? 16);
const WRK_THREADS = Number(process.env.SKIFF_BENCH_WRK_THREADS ?? 1);
const ROUNDS = Number(process.env.SKIFF_BENCH_ROUNDS ?? 9);
const SERVER_PORT = 8080;
const APP = 'data-server';

/** node's http server: keep-alive, a 3-byte answer; /peer answers the connection's source address. */
const SERVER_JS = [
  "const http = require('node:http');",
  'const s = http.createServer((q, r) => {',
  "  const body = q.url === '/peer' ? q.socket.remoteAddress + '\\n' : 'ok\\n';",
  "  r.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });",
  '  r.end(body);',
  '});',
  's.keepAliveTimeout = 600000;',
  's.headersTimeout = 601000;',
  `s.listen(${SERVER_PORT});`,
  "process.on('SIGTERM', () => process.exit(0));",
].join('\n');

async function pushServerImage(lab: Lab): Promise<string> {
  const host = `127.0.0.1:${lab.state.ports.registry}`;
  const auth = (await readDockerAuths([statePaths(lab.dir).dockerConfig]))[host];
  const storeDir = await mkdtemp(path.join(os.tmpdir(), 'skiff-bench-data-img-'));
  try {
    const store = await openStore(storeDir);
    const img = await buildHostBinaryImage(store, process.execPath, { Cmd: [process.execPath, '-e', SERVER_JS] });
    await pushImage(host, 'skiff/data-server:1', store, img, auth);
    return `${host}/skiff/data-server:1`;
  } finally {
    await rm(storeDir, { recursive: true, force: true });
  }
}

export interface WrkResult {
  requestsPerSecond: number;
  p99Ms: number;
  requests: number;
  socketErrors: number;
}

const TIME_UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** wrk --latency's report: Requests/sec, the 99% line, the request count and the error lines. */
export function parseWrk(out: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(out);
  const total = /(\d+) requests in /.exec(out);
  if (!rps || !p99 || !total) throw new Error(`wrk's report has no Requests/sec, 99% or request count:\n${out}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const [connect, read, write, timeout] = (sock?.slice(1) ?? ['0', '0', '0', '0']).map(Number) as [number, number, number, number];
  if (non2xx || connect || timeout) throw new Error(`wrk: ${non2xx} non-2xx answers, ${connect} connect errors, ${timeout} timeouts:\n${out}`);
  return { requestsPerSecond: Number(rps[1]), p99Ms: Number(p99[1]) * TIME_UNIT_MS[p99[2]!]!, requests: Number(total[1]), socketErrors: read + write };
}

/**
 * How many packets walked the nat rules to `clusterIP` on a node (iptables-save -c: the
 * counter of the SERVICES rule matching it). Only a connection's first packet is looked up in
 * the nat table; conntrack rewrites the rest without a rule, so this counts connections.
 */
async function natWalks(nodeNetns: string, clusterIP: string): Promise<number> {
  const [cmd, ...args] = [...nodeExec(nodeNetns), 'iptables-save', '-c', '-t', 'nat'];
  const { stdout } = await exec(cmd!, args);
  const line = stdout.split('\n').find((l) => l.includes(` -d ${clusterIP}/32 `) && /-SERVICES /.test(l));
  const m = line && /^\[(\d+):\d+\]/.exec(line);
  if (!m) throw new Error(`no counted SERVICES rule for ${clusterIP} in ${nodeNetns}'s nat table`);
  return Number(m[1]);
}

/** The pinned network namespace of a pod's ready sandbox, from node k's runtime records. */
async function podNetns(lab: Lab, nodeIndex: number, uid: string): Promise<string> {
  const dir = stateDirs(defaultStateDir(path.join(lab.dir, 'nodes', String(nodeIndex), 'runtime'))).sandboxes;
  for (const id of await readdir(dir)) {
    const rec = readRecord<SandboxRecord>(path.join(dir, id));
    if (rec?.config.metadata.uid === uid && rec.state === 'SANDBOX_READY' && rec.netnsPath) return rec.netnsPath;
  }
  throw new Error(`no ready sandbox of pod ${uid} in ${dir}`);
}

async function wrk(netns: string, url: string, opts: { seconds?: number; close?: boolean } = {}): Promise<WrkResult> {
  const seconds = opts.seconds ?? WRK_SECONDS;
  const args = [`--net=${netns}`, '--', 'wrk', `-t${WRK_THREADS}`, `-c${WRK_CONNECTIONS}`, `-d${seconds}s`, '--latency', ...(opts.close ? ['-H', 'Connection: close'] : []), url];
  const { stdout } = await exec('nsenter', args, { timeout: (seconds + 60) * 1000 });
  return parseWrk(stdout);
}

const sleeper = (name: string, node: string, image: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'data-client' } },
  spec: {
    nodeName: node,
    terminationGracePeriodSeconds: 0,
    containers: [{ name: 'sleep', image, command: ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'] }],
  },
});

function serverDeployment(image: string, nodes: string[]): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: APP },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: APP } },
      template: {
        metadata: { labels: { app: APP } },
        spec: {
          terminationGracePeriodSeconds: 1,
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: nodes }] }] } } },
          containers: [
            {
              name: 'http',
              image,
              ports: [{ name: 'http', containerPort: SERVER_PORT }],
              // Over half of a node's cpu=2: no node fits two replicas, so one lands on each.
              resources: { requests: { cpu: '1100m' } },
              readinessProbe: { httpGet: { path: '/', port: SERVER_PORT }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}

const service = (name: string, selector: Record<string, string>): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { selector, ports: [{ name: 'http', port: 80, targetPort: SERVER_PORT }] },
});

/** Lab-paced polling that stops at once on Ctrl-C (bench/rounds.ts interrupt) instead of waiting it out. */
const labPoll = { intervalMs: 500, retryOn: (e: unknown) => !(e instanceof Error && e.message.endsWith(': interrupted')) };

const ready = (p: Pod | undefined) => !!p?.status?.podIP && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** Two measures of one wrk run each round: the rate goes to `compare`, the p99 is kept for the second comparison. */
function recorded(measure: () => Promise<WrkResult>, p99s: number[], errors: number[], requests: number[]) {
  return async () => {
    const r = await measure();
    p99s.push(r.p99Ms);
    errors.push(r.socketErrors);
    requests.push(r.requests);
    return r.requestsPerSecond;
  };
}

interface Pair {
  name: string;
  skiff: { label: string; run: () => Promise<WrkResult> };
  anchor: { label: string; run: () => Promise<WrkResult> };
  rateTarget?: number;
  p99Target?: number;
}

interface PairResult {
  rate: Comparison;
  p99: Comparison;
  socketErrors: { skiff: number; anchor: number };
  requests: { skiff: number; anchor: number };
}

async function comparePair(p: Pair): Promise<PairResult> {
  const p99 = { skiff: [] as number[], anchor: [] as number[] };
  const errs = { skiff: [] as number[], anchor: [] as number[] };
  const reqs = { skiff: [] as number[], anchor: [] as number[] };
  const rate = await compare({
    name: `${p.name} throughput`,
    unit: 'req/s',
    rounds: ROUNDS,
    higherIsBetter: true,
    target: p.rateTarget,
    skiff: { label: p.skiff.label, measure: recorded(p.skiff.run, p99.skiff, errs.skiff, reqs.skiff) },
    anchor: { label: p.anchor.label, measure: recorded(p.anchor.run, p99.anchor, errs.anchor, reqs.anchor) },
  });
  // The same runs' p99, read back round by round (order no longer matters: nothing is run).
  const latency = await compare({
    name: `${p.name} p99 latency`,
    unit: 'ms',
    rounds: ROUNDS,
    target: p.p99Target,
    skiff: { label: p.skiff.label, measure: (r) => Promise.resolve(p99.skiff[r]!) },
    anchor: { label: p.anchor.label, measure: (r) => Promise.resolve(p99.anchor[r]!) },
  });
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return { rate, p99: latency, socketErrors: { skiff: sum(errs.skiff), anchor: sum(errs.anchor) }, requests: { skiff: sum(reqs.skiff), anchor: sum(reqs.anchor) } };
}

export interface DataPath {
  node: (k: number) => string;
  clusterIP: string;
  podIP: string;
  clientIPs: { 1: string; 3: string };
  /** The client pods' network namespaces, on node 1 and node 3. */
  netns1: string;
  netns3: string;
  viaService: string;
  direct: string;
}

/** The server Deployment, the client pods and data-one on `lab`, once node 1's proxy serves it. */
export async function prepareDataPath(lab: Lab): Promise<DataPath> {
  const node = (k: number) => labNode(lab.name, k).name;
  const image = await pushServerImage(lab);
  stopIfInterrupted('data path');
  const pods = lab.client.pods;
  await pods.create(sleeper('client-1', node(1), lab.image), { namespace: 'default' });
  await pods.create(sleeper('client-3', node(3), lab.image), { namespace: 'default' });
  await lab.client.resourceByName<Deployment>('deployments', 'apps').create(serverDeployment(image, [node(2), node(3)]), { namespace: 'default' });
  const servers = await eventually(
    async () => {
      stopIfInterrupted('data path');
      const list = (await pods.list({ namespace: 'default', labelSelector: `app=${APP}` })).items.filter(ready);
      const on = (k: number) => list.find((p) => p.spec?.nodeName === node(k));
      const two = on(2);
      const three = on(3);
      return two && three ? { two, three } : undefined;
    },
    'a Ready server replica on node 2 and on node 3',
    300_000,
    labPoll,
  );
  const clients = await eventually(
    async () => {
      stopIfInterrupted('data path');
      const [c1, c3] = await Promise.all([pods.get('client-1', { namespace: 'default' }), pods.get('client-3', { namespace: 'default' })]);
      return ready(c1) && ready(c3) ? { c1, c3 } : undefined;
    },
    'both client pods Ready',
    300_000,
    labPoll,
  );
  // The one endpoint of data-one: the replica on node 3.
  await pods.patch(servers.three.metadata.name!, { metadata: { labels: { 'bench-endpoint': 'one' } } }, { namespace: 'default' });
  const one = await lab.client.resourceByName<Service>('services', '').create(service('data-one', { app: APP, 'bench-endpoint': 'one' }), { namespace: 'default' });
  const clusterIP = one.spec.clusterIP!;
  const podIP = servers.three.status!.podIP!;
  const d: DataPath = {
    node,
    clusterIP,
    podIP,
    clientIPs: { 1: clients.c1.status!.podIP!, 3: clients.c3.status!.podIP! },
    netns1: await podNetns(lab, 1, clients.c1.metadata.uid!),
    netns3: await podNetns(lab, 3, clients.c3.metadata.uid!),
    viaService: `http://${clusterIP}:80/`,
    direct: `http://${podIP}:${SERVER_PORT}/`,
  };
  // Ready once node 1's proxy has the endpoint (a ClusterIP with none is REJECTed).
  await eventually(
    () => {
      stopIfInterrupted('data path');
      return wrk(d.netns1, d.viaService, { seconds: 1 });
    },
    `${d.viaService} answering from node 1`,
    60_000,
    labPoll,
  );
  await wrk(d.netns1, d.direct, { seconds: 1 });
  return d;
}

export async function runSection(): Promise<Record<string, unknown>> {
  const name = `data-${process.pid % 100000}`;
  process.stdout.write(`data path bench: lab ${name} (3 nodes), wrk -t${WRK_THREADS} -c${WRK_CONNECTIONS} -d${WRK_SECONDS}s --latency from a client pod's network namespace, ${ROUNDS} rounds\n`);
  const lab = await startLab(name, ['--nodes', '3', '--node-capacity', 'cpu=2,memory=8Gi']);
  try {
    const d = await prepareDataPath(lab);
    const { node, netns1, netns3, viaService, direct } = d;
    // Where the server sees the Service's connections come from (node's dual-stack socket writes IPv4 as ::ffff:a.b.c.d).
    const { stdout } = await exec('nsenter', [`--net=${netns1}`, '--', 'curl', '-sS', '--max-time', '10', `${viaService}peer`]);
    const peer = stdout.trim().replace(/^::ffff:/, '');
    const node1 = labNode(lab.name, 1).netns;
    const [cmd, ...args] = [...nodeExec(node1), 'iptables-save', '-t', 'nat'];
    const natRules = (await exec(cmd!, args)).stdout.split('\n').filter((l) => l.startsWith('-A ')).length;
    process.stdout.write(
      `data-one ${d.clusterIP}:80 -> ${d.podIP}:${SERVER_PORT} on ${node(3)}; client pods ${d.clientIPs[1]} on ${node(1)}, ${d.clientIPs[3]} on ${node(3)}; ` +
        `the server sees the Service's connections from ${peer} (${peer === d.clientIPs[1] ? 'the client pod: no SNAT' : 'SNAT'}); ${natRules} nat rules on ${node(1)}\n`,
    );
    const walks = async (c: Promise<PairResult>) => {
      const before = await natWalks(node1, d.clusterIP);
      const r = await c;
      const n = (await natWalks(node1, d.clusterIP)) - before;
      process.stdout.write(`  nat rules walked ${n} times for ${r.requests.skiff} requests to the ClusterIP (${(n / r.requests.skiff).toFixed(4)} per request)\n`);
      return { ...r, natWalks: n };
    };
    const keepAlive = await walks(comparePair({
      name: 'keep-alive',
      skiff: { label: `Service ClusterIP from ${node(1)}`, run: () => wrk(netns1, viaService) },
      anchor: { label: `pod IP from ${node(1)}`, run: () => wrk(netns1, direct) },
      rateTarget: 0.95,
      p99Target: 1.1,
    }));
    const perConnection = await walks(comparePair({
      name: 'connection per request',
      skiff: { label: `Service ClusterIP, Connection: close`, run: () => wrk(netns1, viaService, { close: true }) },
      anchor: { label: `pod IP, Connection: close`, run: () => wrk(netns1, direct, { close: true }) },
    }));
    const labPath = await comparePair({
      name: 'lab node-to-node',
      skiff: { label: `pod IP from ${node(1)}`, run: () => wrk(netns1, direct) },
      anchor: { label: `pod IP from ${node(3)} (same node)`, run: () => wrk(netns3, direct) },
    });
    const sum = (c: PairResult & { natWalks?: number }) => ({ throughput: summary(c.rate), p99: summary(c.p99), socketErrors: c.socketErrors, requests: c.requests, natWalks: c.natWalks });
    return {
      wrk: { threads: WRK_THREADS, connections: WRK_CONNECTIONS, seconds: WRK_SECONDS },
      serviceSnat: peer !== d.clientIPs[1],
      natRulesOnClientNode: natRules,
      keepAlive: sum(keepAlive),
      connectionPerRequest: sum(perConnection),
      labNodeToNode: sum(labPath),
    };
  } finally {
    await lab.down();
  }
}
