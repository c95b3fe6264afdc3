// `npm run bench -- scheduler [--nodes N] [--pods M] [--large-nodes N] [--no-large]`
// Hollow nodes and pods of mixed requests through the real API server (its own process) on
// a real etcd, scheduled by skiff's scheduler in this process. Figures: pods/s from the first
// create to the last binding, p50/p99 created-to-bound latency, overcommitted nodes (must be
// 0); in the same run, raw etcd transactions/s of bind-sized writes and the ratio. Then the
// same with 5,000 nodes. Anchors (not measured here): kube-scheduler's scheduler_perf floor
// for SchedulingBasic is 680-810 pods/s at 5,000 nodes; HashiCorp's C1M placed 3,750/s.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Etcd3 } from 'etcd3';
import { Quantity } from '../api/quantity.js';
import type { Pod } from '../api/types/core.js';
import { RestClient } from '../client/rest.js';
import { SchedulerCache } from '../scheduler/cache/cache.js';
import { Snapshot } from '../scheduler/cache/snapshot.js';
import { makeNode } from '../scheduler/framework/builders.js';
import { PodInfo } from '../scheduler/framework/node-info.js';
import { Framework } from '../scheduler/framework/runner.js';
import { inTreeRegistry } from '../scheduler/plugins/registry.js';
import { ScheduleAlgorithm } from '../scheduler/schedule-pod.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { startApiServer } from '../test/fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../test/fixtures/etcd.js';
import { startHollowNodes } from '../test/fixtures/hollow-nodes.js';
import { cpuLine, cpuMs, percentile, selfCpuMs } from './measure.js';

const CPUS = ['100m', '250m', '500m', '1'];
const MEMS = ['128Mi', '256Mi', '512Mi', '1Gi'];

function say(o: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

function benchPod(i: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `bench-${i}` },
    spec: {
      containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: CPUS[i % CPUS.length] as string, memory: MEMS[(i >> 2) % MEMS.length] as string } } }],
    },
  };
}

/** Raw etcd: transactions/s of pod-sized compare-and-put writes, as a binding does. */
async function etcdTxnRate(endpoint: string, count: number, concurrency: number): Promise<number> {
  const client = new Etcd3({ hosts: endpoint });
  const value = JSON.stringify({ ...benchPod(0), status: { phase: 'Pending' }, metadata: { name: 'x', namespace: 'bench', uid: randomBytes(16).toString('hex') } }).padEnd(1800, ' ');
  const prefix = `/etcd-bench-${randomBytes(3).toString('hex')}/`;
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const key = `${prefix}${next++}`;
          await client.if(key, 'Mod', '==', 0).then(client.put(key).value(value)).commit();
        }
      }),
    );
    const rate = count / ((performance.now() - started) / 1000);
    await client.delete().prefix(prefix);
    return rate;
  } finally {
    client.close();
  }
}

/**
 * The scheduling cycles alone (snapshot, filter, score, assume; no API server): what the
 * scheduler could do if binding were free. Shows where the end-to-end limit lies.
 */
function algorithmOnly(nodeCount: number, podCount: number): { wall: number; perCpuSecond: number } {
  const cache = new SchedulerCache();
  for (let i = 0; i < nodeCount; i++) cache.addNode(makeNode({ name: `n-${i}`, cpu: '32', memory: '64Gi', pods: 110 }));
  const snapshot = new Snapshot();
  const fwk = new Framework({ schedulerName: 'default-scheduler' }, inTreeRegistry(), { handle: { snapshot: () => snapshot }, binder: { bind: async () => undefined } });
  const alg = new ScheduleAlgorithm();
  const pods = Array.from({ length: podCount }, (_, i) => ({ ...benchPod(i), metadata: { name: `bench-${i}`, namespace: 'default', uid: `u-${i}` } }));
  cache.updateSnapshot(snapshot);
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  for (const p of pods) {
    cache.updateSnapshot(snapshot);
    const r = alg.schedule(fwk, new PodInfo(p), snapshot);
    if (r.ok) cache.assumePod(p, r.nodeName);
  }
  const cpu = process.cpuUsage(cpu0);
  // CPU time as well as wall time: on a shared machine the wall figure mostly measures the neighbours.
  return {
    wall: Math.round(podCount / ((performance.now() - started) / 1000)),
    perCpuSecond: Math.round(podCount / ((cpu.user + cpu.system) / 1e6)),
  };
}

interface RoundResult {
  nodes: number;
  pods: number;
  podsPerSecond: number;
  p50LatencyMs: number;
  p99LatencyMs: number;
  overcommittedNodes: number;
  unbound: number;
  nodeRegistrationSeconds: number;
  /**
   * CPU ms per pod bound, per process, from the first create to the last binding: the API
   * server, etcd, and this process (scheduler, creators, hollow nodes). On a shared machine
   * the wall figure mostly measures the neighbours; this says where a pod's cost goes.
   */
  cpuMsPerPod: { apiserver: number; etcd: number; schedulerAndClients: number };
  /**
   * The machine during the round, in % of all CPU time: idle, and stolen by the hypervisor
   * (a neighbour's load, which slows every process here without showing in their CPU time).
   */
  machinePercent: { idle: number; steal: number };
}

/** Idle and steal shares between two cpuLine() readings (user .. steal; guest is inside user). */
function machinePercent(before: number[], after: number[]): { idle: number; steal: number } {
  const d = after.slice(0, 8).map((v, i) => v - (before[i] ?? 0));
  const total = d.reduce((a, b) => a + b, 0) || 1;
  const pct = (v: number) => Math.round((1000 * v) / total) / 10;
  return { idle: pct((d[3] ?? 0) + (d[4] ?? 0)), steal: pct(d[7] ?? 0) };
}

async function round(etcd: EtcdFixture, nodeCount: number, podCount: number): Promise<RoundResult> {
  const api = await startApiServer({ etcd, etcdPrefix: `/bench-${randomBytes(3).toString('hex')}`, logLevel: 'warn' });
  const client = new RestClient({ server: api.url, token: api.adminToken, namespace: 'default' }, { maxSockets: 128 });
  const ac = new AbortController();
  try {
    const regStart = performance.now();
    const nodes = await startHollowNodes({ client, count: nodeCount, cpu: '32', memory: '64Gi', pods: 110, markRunning: false, leaseRenewMs: 60_000, concurrency: 64 });
    const nodeRegistrationSeconds = (performance.now() - regStart) / 1000;
    say({ phase: 'nodes registered', nodes: nodeCount, seconds: +nodeRegistrationSeconds.toFixed(1) });

    const scheduler = new Scheduler({ client, explainScheduled: false });
    const running = scheduler.run(ac.signal);
    while (!(scheduler.pods.hasSynced && scheduler.nodes.hasSynced) || scheduler.cache.nodeCount < nodeCount) await new Promise((r) => setTimeout(r, 20));

    const createdAt = new Map<string, number>();
    const latencies: number[] = [];
    let lastBound = 0;
    let bound = 0;
    const allBound = new Promise<void>((resolve) => {
      scheduler.onBound((e) => {
        const t = performance.now();
        const c = createdAt.get(e.pod.metadata.name ?? '');
        if (c !== undefined) latencies.push(t - c);
        lastBound = t;
        if (++bound === podCount) resolve();
      });
    });
    const cpu0 = { api: cpuMs(api.proc?.pid), etcd: cpuMs(etcd.proc.pid), self: selfCpuMs(), machine: cpuLine() };
    const firstCreate = performance.now();
    let next = 0;
    const ticker = setInterval(() => say({ phase: 'progress', created: next, bound, queue: scheduler.queue.lengths() }), 2000);
    await Promise.all(
      Array.from({ length: 48 }, async () => {
        while (next < podCount) {
          const i = next++;
          createdAt.set(`bench-${i}`, performance.now());
          // A load generator: the created pod comes back through the scheduler's watch, so the answer is not decoded here.
          await client.pods.createOnly(benchPod(i), { namespace: 'default' });
        }
      }),
    );
    const timeout = setTimeout(() => ac.abort(), Math.max(120_000, podCount * 20));
    await Promise.race([allBound, running]);
    clearTimeout(timeout);
    clearInterval(ticker);
    const perPod = (ms: number) => Math.round((ms / Math.max(1, bound)) * 1000) / 1000;
    const cpuMsPerPod = {
      apiserver: perPod(cpuMs(api.proc?.pid) - cpu0.api),
      etcd: perPod(cpuMs(etcd.proc.pid) - cpu0.etcd),
      schedulerAndClients: perPod(selfCpuMs() - cpu0.self),
    };
    const machine = machinePercent(cpu0.machine, cpuLine());
    const seconds = (lastBound - firstCreate) / 1000;
    latencies.sort((a, b) => a - b);

    // Overcommit: the API server's view, not the scheduler's.
    const pods = await client.pods.listAll({ namespace: 'default', limit: 2000 });
    const used = new Map<string, { cpu: number; mem: number; n: number }>();
    for (const p of pods.items) {
      if (!p.spec.nodeName) continue;
      const u = used.get(p.spec.nodeName) ?? { cpu: 0, mem: 0, n: 0 };
      for (const c of p.spec.containers) {
        u.cpu += Quantity.parse(c.resources?.requests?.cpu ?? 0).milliValue();
        u.mem += Quantity.parse(c.resources?.requests?.memory ?? 0).value();
      }
      u.n++;
      used.set(p.spec.nodeName, u);
    }
    const cap = { cpu: 32_000, mem: Quantity.parse('64Gi').value(), n: 110 };
    const overcommittedNodes = [...used.values()].filter((u) => u.cpu > cap.cpu || u.mem > cap.mem || u.n > cap.n).length;
    const unbound = pods.items.filter((p) => !p.spec.nodeName).length;
    ac.abort();
    await running;
    await nodes.stop();
    return {
      nodes: nodeCount,
      pods: podCount,
      podsPerSecond: Math.round(bound / seconds),
      p50LatencyMs: Math.round(percentile(latencies, 50)),
      p99LatencyMs: Math.round(percentile(latencies, 99)),
      overcommittedNodes,
      unbound,
      nodeRegistrationSeconds: +nodeRegistrationSeconds.toFixed(1),
      cpuMsPerPod,
      machinePercent: machine,
    };
  } finally {
    ac.abort();
    client.close();
    await api.stop();
  }
}

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} needs a positive integer`);
  return v;
}

export async function run(args: string[] = []): Promise<Record<string, unknown>> {
  const nodes = arg(args, 'nodes', 1000);
  const pods = arg(args, 'pods', 10_000);
  const largeNodes = arg(args, 'large-nodes', 5000);
  const etcd = await startEtcd();
  try {
    const etcdTxnPerSecond = Math.round(await etcdTxnRate(etcd.endpoint, 5000, 64));
    say({ phase: 'etcd anchor', etcdTxnPerSecond });
    const algorithmPodsPerSecond = algorithmOnly(nodes, pods);
    const algorithmPodsPerSecondLarge = algorithmOnly(largeNodes, Math.min(pods, 5000));
    say({ phase: 'scheduling cycles alone (no API)', nodes, podsPerSecond: algorithmPodsPerSecond, largeNodes, podsPerSecondLarge: algorithmPodsPerSecondLarge });
    const loadAverage = os.loadavg()[0];
    say({ phase: 'machine', cpus: os.cpus().length, loadAverage });
    const main = await round(etcd, nodes, pods);
    say({ phase: 'round', ...main, ratioToEtcd: +(main.podsPerSecond / etcdTxnPerSecond).toFixed(3) });
    const result: Record<string, unknown> = {
      nodes,
      pods,
      podsPerSecond: main.podsPerSecond,
      p50LatencyMs: main.p50LatencyMs,
      p99LatencyMs: main.p99LatencyMs,
      cpuMsPerPod: main.cpuMsPerPod,
      machinePercent: main.machinePercent,
      overcommittedNodes: main.overcommittedNodes,
      unbound: main.unbound,
      etcdTxnPerSecond,
      algorithmPodsPerSecond,
      algorithmPodsPerSecondLarge,
      loadAverage,
      ratioToEtcd: +(main.podsPerSecond / etcdTxnPerSecond).toFixed(3),
      targetPodsPerSecond: 1000,
      anchors: { kubeSchedulerPerf5kNodes: '680-810 pods/s', hashicorpC1M: '3750 containers/s' },
    };
    if (!args.includes('--no-large')) {
      const large = await round(etcd, largeNodes, pods);
      say({ phase: 'round', ...large });
      result.large = large;
    }
    return result;
  } finally {
    await etcd.stop();
  }
}
