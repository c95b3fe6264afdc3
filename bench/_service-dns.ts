// `npm run bench -- service --only dns [--services N] [--seconds S] [--clients C]
//  [--outstanding Q] [--rounds R]`: the cluster DNS against dnsmasq serving the same records.
// What runs, all on loopback of this machine:
//  - etcd and a `skiff apiserver` process as the other benchmarks start them
//    (bench/_control-plane.ts), holding N Services (default 1,000) in 10 namespaces: every
//    tenth headless with one EndpointSlice of 3 ready endpoints (two with hostnames, one named
//    by its dashed address: the pods' A records), the others ClusterIP; named ports `http` and
//    `metrics` (headless: `http` on the endpoints) for SRV. No selectors: the benchmark writes
//    the slices, no controller runs.
//  - the cluster DNS as the node agent runs it (dns/cluster-dns.ts: informers with a node's
//    credentials, the node's kube-dns slice kept, `cluster.local`), in this process, on
//    127.0.0.1, with no upstreams;
//  - dnsmasq (Debian's, installed by scripts/setup.sh) as a process of this benchmark's own on
//    another loopback port: no daemon, no system configuration (`--conf-file` of ours,
//    `--no-resolv --no-hosts`), the same names from generated host-record/srv-host lines and an
//    addn-hosts file, `local=/cluster.local/` so other names in the domain are NXDOMAIN.
// Before any round the two are checked to give the same rcode and answer records (order
// aside) for a sample of every kind of question.
// Both are queried by dnsperf (Debian's) with one query file (bench/_service-dns-records.ts:
// 40% Service A by full name, 20% headless pod A, 20% SRV, 20% NXDOMAIN inside the domain;
// nothing is forwarded upstream), in alternating rounds (bench/rounds.ts `compare`: medians,
// spread, median ratio):
//  1. queries/s at saturation: `dnsperf -c C -q Q -l S` (default 4 clients, 32 queries
//     outstanding, 5 s, no rate limit); the figure is dnsperf's "Queries per second";
//     target ratio cluster DNS / dnsmasq >= 0.5.
//  2. p99 latency under the load that goal names: `dnsperf -Q R -v` with R = half of
//     dnsmasq's median queries/s from (1), same clients, S seconds. dnsperf 2.10 prints no
//     percentiles, so p99 is the nearest-rank 99th percentile of the per-query latencies its
//     -v lines report (a query lost counts as the 1 s timeout); goal: the cluster DNS's median
//     p99 <= 5 ms (the ratio to dnsmasq's p99 is printed for context, without a target).
// Beside them, each side's CPU per 1,000 answered queries in (1) (this process's own for the
// cluster DNS, /proc of dnsmasq's), the queries either lost, and how busy the machine was
// over the rounds (busy and steal shares of its cores, load average before and after), and in
// (2) how long each server's thread waited on a run queue for a core per second of load
// (/proc/PID/schedstat): p99 on a shared machine is mostly that wait.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Node } from '../api/types/core.js';
import { RestClient } from '../client/rest.js';
import { ClusterDns } from '../dns/cluster-dns.js';
import { dig } from '../test/dns/dig.js';
import { eventually } from '../test/fixtures/eventually.js';
import { freePort, waitForPort } from '../test/fixtures/ports.js';
import { startProcess } from '../test/fixtures/process.js';
import { startControlPlane } from './_control-plane.js';
import { dnsmasqFiles, dnsperfData, planQueries, planServices, serviceObject, sliceObject, type PlannedService, type Query } from './_service-dns-records.js';
import { cpuMs, intArg, machineCpuMs, machineStealMs, median, percentile, stopAll } from './measure.js';
import { compare, summary } from './rounds.js';

const DOMAIN = 'cluster.local';
const NODE = 'dns-bench-node';
/** D's share of the session's ranges: Services in 10.75.0.0/17, pod addresses above it. */
const SERVICE_RANGE = '10.75.0.0/17';
const QUERIES_IN_FILE = 20_000;
const TIMEOUT_S = 1;
const P99_GOAL_MS = 5;

const say = (line: string) => process.stdout.write(`${line}\n`);
const r2 = (n: number) => Math.round(n * 100) / 100;

interface PerfResult {
  qps: number;
  sent: number;
  completed: number;
  lost: number;
  /** Per-query latencies in ms, ascending, lost queries as the timeout (with `verbose`). */
  latenciesMs: number[];
}

/** One dnsperf run to its end; its stdout goes to a file (not through this process's event loop, which serves DNS). */
async function dnsperf(dir: string, port: number, o: { seconds: number; clients: number; outstanding: number; qps?: number; verbose?: boolean }): Promise<PerfResult> {
  const outFile = path.join(dir, 'dnsperf.out');
  const out = await open(outFile, 'w');
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', path.join(dir, 'queries.txt'), '-l', String(o.seconds), '-c', String(o.clients), '-q', String(o.outstanding), '-t', String(TIMEOUT_S)];
  if (o.qps) args.push('-Q', String(Math.round(o.qps)));
  if (o.verbose) args.push('-v');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('dnsperf', args, { stdio: ['ignore', out.fd, out.fd] });
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`dnsperf ${args.join(' ')}: exit ${code}`))));
    });
  } finally {
    await out.close();
  }
  const text = await readFile(outFile, 'utf8');
  const num = (re: RegExp) => {
    const m = re.exec(text);
    if (!m) throw new Error(`dnsperf printed no ${re.source}:\n${text.slice(-2000)}`);
    return Number(m[1]);
  };
  const sent = num(/Queries sent:\s+(\d+)/);
  const completed = num(/Queries completed:\s+(\d+)/);
  const latenciesMs: number[] = [];
  if (o.verbose) {
    for (const m of text.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)) latenciesMs.push(Number(m[1]) * 1000);
    for (let i = latenciesMs.length; i < sent; i++) latenciesMs.push(TIMEOUT_S * 1000);
    latenciesMs.sort((a, b) => a - b);
  }
  return { qps: num(/Queries per second:\s+([\d.]+)/), sent, completed, lost: sent - completed, latenciesMs };
}

/** ms a process's main thread has waited on a run queue for a core so far (/proc/PID/schedstat's second field, ns). */
function runQueueWaitMs(pid: number | 'self'): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
}

/** Writes the Services and slices through the API, `concurrency` at a time. */
async function writeRecords(admin: RestClient, services: PlannedService[], concurrency = 32): Promise<void> {
  for (const ns of new Set(services.map((s) => s.namespace))) await admin.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const svcs = admin.resourceByName('services', '');
  const slices = admin.resourceByName('endpointslices', 'discovery.k8s.io');
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < services.length) {
        const s = services[next++] as PlannedService;
        await svcs.create(serviceObject(s), { namespace: s.namespace });
        if (!s.clusterIP) await slices.create(sliceObject(s), { namespace: s.namespace });
      }
    }),
  );
}

/** rcode and answer records of one question, order aside: what both servers must agree on. */
async function answerOf(port: number, q: Query): Promise<string> {
  const a = await dig(port, q.name, q.type);
  return `${a.status}: ${[...a.answer].sort().join(' | ')}`;
}

async function checkSameAnswers(skiffPort: number, dnsmasqPort: number, queries: Query[]): Promise<number> {
  const sample: Query[] = [];
  for (const kind of ['service A', 'headless pod A', 'SRV', 'NXDOMAIN'] as const) sample.push(...queries.filter((q) => q.kind === kind).slice(0, 8));
  for (const q of sample) {
    const [ours, theirs] = await Promise.all([answerOf(skiffPort, q), answerOf(dnsmasqPort, q)]);
    if (ours !== theirs) throw new Error(`${q.name} ${q.type}: the cluster DNS answers ${ours}; dnsmasq answers ${theirs}`);
  }
  return sample.length;
}

export async function runSection(args: string[]): Promise<Record<string, unknown>> {
  const servicesN = intArg(args, 'services', 1000);
  const seconds = intArg(args, 'seconds', 5);
  const clients = intArg(args, 'clients', 4);
  const outstanding = intArg(args, 'outstanding', 32);
  const rounds = intArg(args, 'rounds', Number(process.env.SKIFF_BENCH_ROUNDS ?? 3));
  const stops: (() => Promise<void> | void)[] = [];
  try {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-bench-dns-'));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    // dnsmasq reads its hosts file after dropping root for its own user.
    await chmod(dir, 0o755);
    const { api, ca, admin } = await startControlPlane(stops, { nodes: [NODE], serviceClusterIPRange: SERVICE_RANGE });
    const services = planServices({ services: servicesN, namespaces: 10, headlessEvery: 10, podsPerHeadless: 3, clusterIPBase: '10.75.0', podIPBase: '10.75.160', domain: DOMAIN });
    const queries = planQueries(services, QUERIES_IN_FILE, DOMAIN);
    await writeFile(path.join(dir, 'queries.txt'), dnsperfData(queries));

    const t0 = performance.now();
    await writeRecords(admin, services);
    const writeSeconds = r2((performance.now() - t0) / 1000);

    // The cluster DNS, as cmd/kubelet.ts starts it: the node's credentials, its Node, its slice.
    const nodeClient = new RestClient({ server: api.url, token: api.nodeToken(NODE), ca, namespace: 'default' });
    stops.push(() => nodeClient.close());
    await nodeClient.nodes.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } } as Node);
    const dnsErrors: unknown[] = [];
    const dns = new ClusterDns({ client: nodeClient, host: '127.0.0.1', port: 0, domain: DOMAIN, clusterDNS: ['10.75.0.10'], upstreams: [], nodeName: NODE, advertiseAddress: '192.0.2.53', onError: (e) => dnsErrors.push(e) });
    stops.push(() => dns.stop());
    const skiffPort = (await dns.start()).port;
    await eventually(() => services.every((s) => (dns.zone.answer(s.fqdn, 'A')?.answers.length ?? 0) > 0), `the cluster DNS holding all ${services.length} Services`, 60_000);
    const loadSeconds = r2((performance.now() - t0) / 1000);

    // dnsmasq, a process of ours on a loopback port of its own.
    const files = dnsmasqFiles(services, DOMAIN);
    await writeFile(path.join(dir, 'dnsmasq.conf'), files.conf);
    await writeFile(path.join(dir, 'hosts'), files.hosts);
    const dnsmasqPort = await freePort();
    const dnsmasq = startProcess('dnsmasq', ['--keep-in-foreground', `--conf-file=${path.join(dir, 'dnsmasq.conf')}`, `--addn-hosts=${path.join(dir, 'hosts')}`, '--no-resolv', '--no-hosts', '--pid-file', '--listen-address=127.0.0.1', '--bind-interfaces', `--port=${dnsmasqPort}`, '--local-ttl=5', '--log-facility=-']);
    stops.push(() => dnsmasq.stop());
    // It binds before it reads the hosts file, and says when it has read it.
    const ready = eventually(() => dnsmasq.output().includes(`read ${path.join(dir, 'hosts')}`), `dnsmasq reading its hosts file (${dnsmasq.output()})`, 30_000, { intervalMs: 50 });
    await Promise.race([Promise.all([waitForPort(dnsmasqPort), ready]), dnsmasq.exited.then(() => Promise.reject(new Error(`dnsmasq exited: ${dnsmasq.output()}`)))]);

    const checked = await checkSameAnswers(skiffPort, dnsmasqPort, queries);
    say(`dns: ${services.length} Services (${services.filter((s) => !s.clusterIP).length} headless) written in ${writeSeconds} s, all in the cluster DNS after ${loadSeconds} s; ${checked} sample questions answered alike by both`);

    const cpu = { skiff: [] as number[], anchor: [] as number[] };
    const lost = { skiff: 0, anchor: 0 };
    const machineBefore = { busy: machineCpuMs(), steal: machineStealMs(), at: performance.now(), load: os.loadavg()[0] as number };
    const skiffCpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const dnsmasqCpu = () => cpuMs(dnsmasq.pid);
    /** One dnsperf run against one side, with the side's CPU per 1,000 answers. */
    const waited = { skiff: [] as number[], anchor: [] as number[] };
    const pidOf = { skiff: 'self' as const, anchor: dnsmasq.pid };
    const measure = async (side: 'skiff' | 'anchor', port: number, cpuOf: () => number, o: { qps?: number; verbose?: boolean }) => {
      const before = cpuOf();
      const waitBefore = runQueueWaitMs(pidOf[side]);
      const res = await dnsperf(dir, port, { seconds, clients, outstanding, ...o });
      if (!o.qps) cpu[side].push(((cpuOf() - before) / res.completed) * 1000);
      else waited[side].push((runQueueWaitMs(pidOf[side]) - waitBefore) / seconds);
      lost[side] += res.lost;
      return res;
    };
    const throughput = await compare({
      name: 'dns queries',
      unit: '/s',
      rounds,
      higherIsBetter: true,
      target: 0.5,
      skiff: { label: 'cluster DNS', measure: async () => (await measure('skiff', skiffPort, skiffCpu, {})).qps },
      anchor: { label: 'dnsmasq', measure: async () => (await measure('anchor', dnsmasqPort, dnsmasqCpu, {})).qps },
    });
    const load = throughput.anchor.median * 0.5;
    say(`dns: p99 at ${Math.round(load)} queries/s (half of dnsmasq's median), dnsperf -Q ${Math.round(load)} -c ${clients} -q ${outstanding} -l ${seconds} -v`);
    const p99 = (r: PerfResult) => percentile(r.latenciesMs, 99);
    const latency = await compare({
      name: 'dns p99',
      unit: 'ms',
      rounds,
      skiff: { label: 'cluster DNS', measure: async () => p99(await measure('skiff', skiffPort, skiffCpu, { qps: load, verbose: true })) },
      anchor: { label: 'dnsmasq', measure: async () => p99(await measure('anchor', dnsmasqPort, dnsmasqCpu, { qps: load, verbose: true })) },
    });
    const p99Ok = latency.skiff.median <= P99_GOAL_MS;
    const cpuPer1000 = { skiff: r2(median(cpu.skiff)), dnsmasq: r2(median(cpu.anchor)) };
    say(`dns p99: cluster DNS median ${r2(latency.skiff.median)} ms at ${Math.round(load)} queries/s; goal <= ${P99_GOAL_MS} ms: ${p99Ok ? 'met' : 'NOT met'}`);
    const waitedMsPerS = { skiff: r2(median(waited.skiff)), dnsmasq: r2(median(waited.anchor)) };
    const perRound = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
    say(`dns p99 rounds: each server's thread waited for a core a median ${waitedMsPerS.skiff} ms (cluster DNS; by round ${perRound(waited.skiff)}) and ${waitedMsPerS.dnsmasq} ms (dnsmasq; ${perRound(waited.anchor)}) per second of load`);
    say(`dns CPU per 1,000 answers (saturation rounds, median): cluster DNS ${cpuPer1000.skiff} ms, dnsmasq ${cpuPer1000.dnsmasq} ms`);
    const wallMs = performance.now() - machineBefore.at;
    const cores = os.availableParallelism();
    const machine = {
      loadAverage: [r2(machineBefore.load), r2(os.loadavg()[0] as number)],
      busyPercent: Math.round(((machineCpuMs() - machineBefore.busy) / (wallMs * cores)) * 100),
      stealPercent: Math.round(((machineStealMs() - machineBefore.steal) / (wallMs * cores)) * 100),
      cores,
    };
    say(`dns: queries lost (all rounds): cluster DNS ${lost.skiff}, dnsmasq ${lost.anchor}; the machine over the rounds: ${cores} cores ${machine.busyPercent}% busy (steal ${machine.stealPercent}%), load average ${machine.loadAverage.join(' -> ')}`);
    if (dnsErrors.length) say(`dns: the cluster DNS reported ${dnsErrors.length} error(s), the first: ${String(dnsErrors[0])}`);
    return {
      services: services.length,
      headless: services.filter((s) => !s.clusterIP).length,
      load: { clients, outstanding, seconds },
      queries: summary(throughput),
      p99: { ...summary(latency), atQps: Math.round(load), goalMs: P99_GOAL_MS, ok: p99Ok, runQueueWaitMsPerS: waitedMsPerS },
      cpuMsPer1000Answers: cpuPer1000,
      lost: { skiff: lost.skiff, dnsmasq: lost.anchor },
      machine,
      writeSeconds,
      loadSeconds,
    };
  } finally {
    await stopAll(stops);
  }
}
