// `npm run bench -- exec`: exec and port-forward through the API server and the kubelet,
// against the same work done directly on the node, all measured in this run on one node
// cluster (test/kubelet/harness.ts: etcd, the API server over HTTPS, a kubelet with its HTTPS
// server, skiff's runtime with conmon + crun/runc and the CNI bridge) and one pod running
// busybox httpd.
//  1. Exec latency, in alternating rounds (bench/rounds.ts): per round N sequential
//     `kubectl exec web -- true` (the real kubectl: API server, kubelet, the runtime's
//     `<runtime> exec`) against N sequential `<runtime> exec CONTAINER true` of the same
//     container, started from this process as the runtime starts its own. p50 per round, the
//     median ratio and its spread; target <= 3. p99 is reported beside it the same way.
//     Beside it, the same with the in-process WebSocket exec client (test/fixtures/
//     stream-client.ts) instead of kubectl: the server side's share, without kubectl's own
//     start (a Go binary, its kubeconfig, the GET of the pod) in it; and kubectl's floor,
//     `kubectl get pod web` (start, kubeconfig, discovery, one GET), p50, for reference.
//  2. Port-forward throughput: wrk (Debian's, installed by scripts/setup.sh) fetching a 1 MiB
//     file from the pod's httpd with C connections for D seconds, through `kubectl
//     port-forward` against the pod IP directly (MiB/s); target >= 0.5.
//  3. The same through an in-process SPDY port-forward client (test/fixtures/stream-client.ts,
//     on api/httpstream as `skiff port-forward` is built): a local listener whose every
//     connection is a stream pair on one SPDY connection to the API server; target >= 0.8.
//     (`skiff port-forward` had not landed on main when this was written.)
// While wrk runs, the share of a core used by this process (API server and kubelet, as
// `skiff server` runs them under `skiff up`; in 3. the client as well) and by kubectl is
// reported, to show which side limits the rate.
// busybox httpd answers one request per connection, so every wrk request is also a new
// forwarded connection: the figures include the stream setup, as a browser's would.
// Sizes: SKIFF_BENCH_EXECS (per round, default 50), SKIFF_BENCH_WRK_SECONDS (5),
// SKIFF_BENCH_WRK_CONNECTIONS (8), SKIFF_BENCH_ROUNDS (3, at least 3). Nothing here is
// literature; every figure is measured in this run.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildKubeconfig, writeKubeconfig } from '../client/kubeconfig.js';
import { LABEL_POD_UID } from '../kubelet/labels.js';
import { freePort } from '../test/fixtures/ports.js';
import { startProcess, type Proc } from '../test/fixtures/process.js';
import { PortForwardClient, execOnce, type StreamTarget } from '../test/fixtures/stream-client.js';
import { eventually, startNodeCluster, startWebPod, type NodeCluster } from '../test/kubelet/harness.js';
import { cpuMs, median, percentile, selfCpuMs } from './measure.js';
import { compare, spreadOf, summary } from './rounds.js';

const EXECS = Number(process.env.SKIFF_BENCH_EXECS ?? 50);
const WRK_SECONDS = Number(process.env.SKIFF_BENCH_WRK_SECONDS ?? 5);
const WRK_CONNECTIONS = Number(process.env.SKIFF_BENCH_WRK_CONNECTIONS ?? 8);
const ROUNDS = Number(process.env.SKIFF_BENCH_ROUNDS ?? 3);
const KUBECTL = '/usr/bin/kubectl';
const FILE = '/big';

const execFileAsync = promisify(execFile);
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/** Runs a command to its end; fails on a non-zero exit. */
function runToEnd(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${err}`))));
  });
}

/** N sequential runs of a command: their latencies in ms, sorted. */
async function latencies(n: number, cmd: string, args: string[]): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await runToEnd(cmd, args);
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b);
}

/** wrk against a URL: MiB/s transferred. */
async function wrk(url: string): Promise<number> {
  const { stdout } = await execFileAsync('wrk', ['-t', '2', '-c', String(WRK_CONNECTIONS), '-d', `${WRK_SECONDS}s`, url], { timeout: (WRK_SECONDS + 30) * 1000 });
  const m = /Transfer\/sec:\s+([\d.]+)([KMG]?B)/.exec(stdout);
  if (!m) throw new Error(`wrk said: ${stdout}`);
  const scale: Record<string, number> = { B: 1 / (1 << 20), KB: 1 / 1024, MB: 1, GB: 1024 };
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(stdout);
  if (errors) process.stdout.write(`  wrk ${url}: ${errors[0]}\n`);
  return Number(m[1]) * (scale[m[2]!] ?? 1);
}

/** Runs f and adds the share of one core `cpu()` used meanwhile to `into`. */
async function coreShare<T>(into: number[], cpu: () => number, f: () => Promise<T>): Promise<T> {
  const c0 = cpu();
  const t0 = performance.now();
  const v = await f();
  into.push((cpu() - c0) / (performance.now() - t0));
  return v;
}

/** A local port whose every connection is forwarded over one SPDY port-forward connection. */
async function inProcessForward(t: StreamTarget, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const session = await PortForwardClient.connect(t);
  const conns = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    conns.add(socket);
    socket.setNoDelay(true);
    socket.once('close', () => conns.delete(socket));
    session.open(port).then(
      (stream) => {
        socket.pipe(stream).pipe(socket);
        stream.once('error', () => socket.destroy());
        socket.once('error', () => stream.destroy());
      },
      () => socket.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of conns) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      session.close();
    },
  };
}

export async function run(): Promise<Record<string, unknown>> {
  let c: NodeCluster | undefined;
  let dir = '';
  let pf: Proc | undefined;
  try {
    c = await startNodeCluster({ kubeletServer: true });
    const https = c.apiHttps;
    if (!https) throw new Error('no HTTPS API server');
    dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-bench-exec-'));
    const kubeconfig = path.join(dir, 'kubeconfig');
    const ca = await readFile(https.caFile);
    await writeKubeconfig(kubeconfig, buildKubeconfig({ server: https.url, ca, token: c.adminToken, name: 'bench-exec' }));
    const pod = await startWebPod(c, `head -c 1048576 /dev/urandom > /www${FILE}`);
    const podIp = pod.status?.podIP ?? '';
    const uid = pod.metadata.uid;
    const container = (await c.runtime.listContainers()).find((x) => x.labels[LABEL_POD_UID] === uid && x.state === 'CONTAINER_RUNNING');
    if (!container) throw new Error('no container for pod web');
    const oci = c.runtime.ociRuntime;
    const kubectl = ['--kubeconfig', kubeconfig, '-n', c.ns];
    process.stdout.write(`exec bench: ${oci.name} (${oci.path}), ${EXECS} execs per round, wrk ${WRK_CONNECTIONS} connections x ${WRK_SECONDS}s of GET ${FILE} (1 MiB), ${ROUNDS} rounds\n`);

    // Warm up both exec paths and httpd once.
    await latencies(3, KUBECTL, [...kubectl, 'exec', 'web', '--', 'true']);
    await latencies(3, oci.path, [`--root=${oci.stateRoot}`, 'exec', container.id, 'true']);

    // kubectl's own floor: start, kubeconfig, discovery and one GET of the pod, no exec.
    const kubectlGet = percentile(await latencies(EXECS, KUBECTL, [...kubectl, 'get', 'pod', 'web', '-o', 'name']), 50);
    process.stdout.write(`kubectl get pod (kubectl's floor before an exec): p50 ${round(kubectlGet, 1)} ms\n`);

    const p99s = { skiff: [] as number[], anchor: [] as number[] };
    const execLatency = await compare({
      name: 'execP50',
      unit: 'ms',
      rounds: ROUNDS,
      target: 3,
      skiff: {
        label: 'kubectl exec',
        measure: async () => {
          const ms = await latencies(EXECS, KUBECTL, [...kubectl, 'exec', 'web', '--', 'true']);
          p99s.skiff.push(percentile(ms, 99));
          return percentile(ms, 50);
        },
      },
      anchor: {
        label: `${oci.name} exec`,
        measure: async () => {
          const ms = await latencies(EXECS, oci.path, [`--root=${oci.stateRoot}`, 'exec', container.id, 'true']);
          p99s.anchor.push(percentile(ms, 99));
          return percentile(ms, 50);
        },
      },
    });
    const p99Ratios = p99s.skiff.map((s, i) => s / p99s.anchor[i]!);
    const p99 = { skiff: spreadOf(p99s.skiff), anchor: spreadOf(p99s.anchor), ratio: spreadOf(p99Ratios) };
    process.stdout.write(`execP99: kubectl exec median ${round(p99.skiff.median)} ms, ${oci.name} exec median ${round(p99.anchor.median)} ms, ratio median ${round(p99.ratio.median, 3)} (spread ${round(p99.ratio.min, 3)}..${round(p99.ratio.max, 3)})\n`);

    const target: StreamTarget = { server: https.url, ca, token: c.adminToken, namespace: c.ns, pod: 'web' };
    const clientExec = await compare({
      name: 'clientExecP50',
      unit: 'ms',
      rounds: ROUNDS,
      target: 3,
      skiff: {
        label: 'in-process WebSocket exec',
        measure: async () => {
          const ms: number[] = [];
          for (let i = 0; i < EXECS; i++) {
            const t0 = performance.now();
            const r = await execOnce(target, ['true']);
            if (r.exitCode !== 0) throw new Error(`exec true: ${r.message ?? r.exitCode}`);
            ms.push(performance.now() - t0);
          }
          return percentile(ms.sort((a, b) => a - b), 50);
        },
      },
      anchor: { label: `${oci.name} exec`, measure: async () => percentile(await latencies(EXECS, oci.path, [`--root=${oci.stateRoot}`, 'exec', container.id, 'true']), 50) },
    });

    const direct = `http://${podIp}:8080${FILE}`;
    // Where the forwarding's CPU goes: this process holds the API server and the kubelet (as
    // `skiff server` does under `skiff up`), and in the last comparison the client too.
    const cores = { server: [] as number[], kubectl: [] as number[], serverAndClient: [] as number[] };
    const kubectlForward = await compare({
      name: 'kubectlPortForward',
      unit: 'MiB/s',
      rounds: ROUNDS,
      higherIsBetter: true,
      target: 0.5,
      skiff: {
        label: 'wrk via kubectl port-forward',
        // A kubectl port-forward of its own per round: kubectl ends a port-forward when the
        // kubelet reports an error on a connection, and wrk cuts its connections mid-answer
        // when its time is up.
        measure: async () => {
          const local = await freePort();
          pf = startProcess(KUBECTL, [...kubectl, 'port-forward', 'pod/web', `${local}:8080`]);
          try {
            await eventually(async () => pf?.output().includes('Forwarding from'), 'kubectl port-forward ready', 30_000);
            const kubectlPid = pf.pid;
            return await coreShare(cores.kubectl, () => cpuMs(kubectlPid), () => coreShare(cores.server, selfCpuMs, () => wrk(`http://127.0.0.1:${local}${FILE}`)));
          } finally {
            const log = pf.output();
            await pf.stop();
            pf = undefined;
            if (/error|lost/i.test(log)) process.stdout.write(`  kubectl port-forward said: ${log.split('\n').filter((l) => /error|lost/i.test(l)).slice(0, 3).join(' | ')}\n`);
          }
        },
      },
      anchor: { label: 'wrk to the pod IP', measure: () => wrk(direct) },
    });

    const forward = await inProcessForward(target, 8080);
    let clientForward;
    try {
      clientForward = await compare({
        name: 'spdyClientPortForward',
        unit: 'MiB/s',
        rounds: ROUNDS,
        higherIsBetter: true,
        target: 0.8,
        skiff: { label: 'wrk via the in-process SPDY client', measure: () => coreShare(cores.serverAndClient, selfCpuMs, () => wrk(`http://127.0.0.1:${forward.port}${FILE}`)) },
        anchor: { label: 'wrk to the pod IP', measure: () => wrk(direct) },
      });
    } finally {
      await forward.close();
    }
    const share = (xs: number[]) => round(median(xs), 2);
    process.stdout.write(
      `cores used while forwarding (median of rounds): API server + kubelet ${share(cores.server)} and kubectl ${share(cores.kubectl)} under kubectl port-forward; API server + kubelet + in-process client ${share(cores.serverAndClient)}\n`,
    );
    return {
      runtime: oci.name,
      kubectlGetP50: round(kubectlGet, 1),
      forwardingCores: { serverUnderKubectl: share(cores.server), kubectl: share(cores.kubectl), serverAndInProcessClient: share(cores.serverAndClient) },
      execs: EXECS,
      wrk: { connections: WRK_CONNECTIONS, seconds: WRK_SECONDS, file: '1 MiB' },
      execP50: summary(execLatency),
      execP99: { unit: 'ms', skiff: p99.skiff, anchor: p99.anchor, ratio: p99.ratio },
      clientExecP50: summary(clientExec),
      kubectlPortForward: summary(kubectlForward),
      spdyClientPortForward: summary(clientForward),
    };
  } finally {
    await pf?.stop();
    await c?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
