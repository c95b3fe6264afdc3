// `npm run bench -- up`: how fast `skiff up` gets a node Ready and how much memory the
// cluster holds. `skiff up` runs as a user runs it (the CLI from dist, a child process of this
// one). A first `skiff up` (cold: credentials, etcd data, the kubelet's root) and `down`, once.
// Then the measured phase in rounds (SKIFF_BENCH_UP_ROUNDS, at least 3): a warm `skiff up`
// timed from spawn to the Node's Ready condition carrying a heartbeat from this start (read
// through the API), then, after 5 s, the total RSS of skiff's own processes (supervisor,
// server, registry; PIDs from the cluster's status.json, never by name), etcd apart; `down`
// between rounds. Each figure is reported as its median and spread (bench/rounds.ts,
// spreadOf). After the last round, the RSS with 30 small busybox pods running (once), the
// pods' conmons apart. Everything runs in its own state dir, on free loopback ports, its own
// pod CIDR and bridge, and is purged at the end.
// There is no measured anchor: neither k3s nor minikube is installed on these machines. The
// figures compared against are literature, printed and returned as such (`literature`): k3s
// idles at about 535 MB (k3s-io/k3s#3536); `minikube start` takes 60 s or more (no source
// recorded). Targets (on skiff's own medians): Ready <= 5 s; idle RSS of skiff's own
// processes <= 250 MB.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Node, Pod } from '../api/types/core.js';
import { connectionFromKubeconfig } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest.js';
import { statePaths } from '../cluster/state.js';
import { readDockerAuths } from '../runtime/images/docker-config.js';
import { buildBusyboxImage, openStore, pushImage } from '../test/fixtures/images.js';
import { freePort, freePortRun } from '../test/fixtures/ports.js';
import { repoRoot, skiffEntry } from '../test/fixtures/process.js';
import { allPids, procStat } from './measure.js';
import { MIN_ROUNDS, spreadOf, type Spread } from './rounds.js';

const exec = promisify(execFile);
const PODS = Number(process.env.SKIFF_BENCH_UP_PODS ?? 30);
const ROUNDS = Number(process.env.SKIFF_BENCH_UP_ROUNDS ?? 3);
const SETTLE_MS = 5000;
/** Published figures, not measured here. */
const LITERATURE = {
  k3sIdleMb: { value: 535, source: 'k3s-io/k3s#3536' },
  minikubeStartS: { value: 60, source: 'none recorded' },
};
const TARGET_READY_MS = 5000;
const TARGET_IDLE_MB = 250;
// `server` is the one process hosting the API server, scheduler, controller-manager and kubelet
// (cmd/server.ts); the separate daemons still count when a cluster runs them.
const OWN = ['supervisor', 'server', 'apiserver', 'scheduler', 'controller-manager', 'kubelet', 'registry'];

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

const skiff = (args: string[]) => exec(process.execPath, [skiffEntry, ...args], { cwd: repoRoot, timeout: 300_000, env: { ...process.env, SKIFF_LOG_JSON: '1' } });

/** VmRSS of a process in kB, 0 when it is gone. */
function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Every process in the process groups the supervisor's components lead (an nsenter or a shell wrapper counts with its child). */
function groupMembers(leaders: Set<number>): Map<number, number> {
  const byLeader = new Map<number, number>();
  for (const pid of allPids()) {
    try {
      const pgrp = Number(procStat(pid).fields[2]);
      if (leaders.has(pgrp)) byLeader.set(pid, pgrp);
    } catch {
      // gone
    }
  }
  return byLeader;
}

interface Memory {
  byComponent: Record<string, number>;
  ownMb: number;
  etcdMb: number;
  conmonMb: number;
  conmons: number;
}

/** RSS by component, from the PIDs the cluster's own state names. */
function measureMemory(stateDir: string): Memory {
  const status = JSON.parse(readFileSync(path.join(stateDir, 'status.json'), 'utf8')) as { pid: number; components: { name: string; pid?: number }[] };
  const leaders = new Map<number, string>([[status.pid, 'supervisor']]);
  for (const c of status.components) if (c.pid) leaders.set(c.pid, c.name);
  const kb: Record<string, number> = {};
  for (const [pid, leader] of groupMembers(new Set(leaders.keys()))) {
    const name = leaders.get(leader) ?? '?';
    kb[name] = (kb[name] ?? 0) + rssKb(pid);
  }
  // The supervisor is its own group leader only when started detached; count it by PID.
  if (!kb.supervisor) kb.supervisor = rssKb(status.pid);
  const conmonPids = findFiles(path.join(stateDir, 'kubelet'), 'conmon.pid').map((f) => Number(readFileSync(f, 'utf8').trim())).filter((p) => p > 0);
  const conmonKb = conmonPids.reduce((n, p) => n + rssKb(p), 0);
  const mb = (k: number) => Math.round(k / 102.4) / 10;
  const byComponent = Object.fromEntries(Object.entries(kb).map(([k, v]) => [k, mb(v)]));
  const own = OWN.reduce((n, k) => n + (kb[k] ?? 0), 0);
  const etcd = Object.entries(kb).filter(([k]) => k.includes('etcd')).reduce((n, [, v]) => n + v, 0);
  return { byComponent, ownMb: mb(own), etcdMb: mb(etcd), conmonMb: mb(conmonKb), conmons: conmonPids.filter((p) => rssKb(p) > 0).length };
}

function findFiles(dir: string, name: string, depth = 8): string[] {
  if (depth < 0 || !existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && !e.isSymbolicLink()) out.push(...findFiles(p, name, depth - 1));
    else if (e.name === name) out.push(p);
  }
  return out;
}

/**
 * Where the warm start went, from the cluster's own logs: ms after `t0` at which the
 * supervisor ran, the server process began starting the API server, the API served, and the
 * kubelet registered its node (JSON lines: the supervisor's `up` marks, pino's `time`).
 */
function startTimeline(stateDir: string, t0: number): Record<string, number> {
  const out: Record<string, number> = {};
  const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => l.startsWith('{')) : []);
  for (const l of lines(path.join(stateDir, 'logs', 'skiff-up.log'))) {
    const j = JSON.parse(l) as { up?: string; at?: string };
    const at = Date.parse(j.at ?? '');
    if (j.up && at >= t0) out[j.up] = at - t0;
  }
  for (const l of lines(path.join(stateDir, 'logs', 'server.log'))) {
    const j = JSON.parse(l) as { msg?: string; time?: number };
    if (j.time && j.time >= t0 && ['starting the API server', 'API server serving', 'kubelet server listening', 'node registered'].includes(j.msg ?? '') && !(j.msg! in out)) out[j.msg!] = j.time - t0;
  }
  return out;
}

/** Polls the Node through the API until Ready with a heartbeat from `since` on; returns when it saw it. */
async function waitReady(kubeconfig: string, node: string, since: number, timeoutMs = 120_000): Promise<number> {
  const fresh = Math.floor(since / 1000) * 1000;
  const deadline = Date.now() + timeoutMs;
  let client: RestClient | undefined;
  try {
    while (Date.now() < deadline) {
      if (!client && existsSync(kubeconfig)) client = new RestClient(connectionFromKubeconfig({ kubeconfig }), { timeoutMs: 2000 });
      const n: Node | undefined = await client?.nodes.get(node).catch(() => undefined);
      const ready = n?.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True' && Date.parse(ready.lastHeartbeatTime ?? '') >= fresh) return Date.now();
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    client?.close();
  }
  throw new Error(`node ${node} not Ready after ${timeoutMs} ms`);
}

/** PODS small pods started in the running cluster; the memory once they all run and settle. */
async function withPods(kubeconfig: string, registry: string, stateDir: string): Promise<Memory> {
  const client = new RestClient(connectionFromKubeconfig({ kubeconfig }));
  try {
    const t1 = Date.now();
    for (let i = 0; i < PODS; i++) {
      const pod: Pod = {
        metadata: { name: `idle-${i}`, namespace: 'default' },
        spec: { containers: [{ name: 'c', image: `${registry}/bench/busybox:latest`, command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      };
      await client.pods.create(pod, { namespace: 'default' });
    }
    const deadline = Date.now() + 300_000;
    for (;;) {
      const pods = (await client.pods.list({ namespace: 'default' })).items;
      const running = pods.filter((p) => p.status?.phase === 'Running').length;
      if (running === PODS) break;
      if (Date.now() > deadline) throw new Error(`only ${running}/${PODS} pods Running after 300 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
    say(`${PODS} pods Running after ${Date.now() - t1} ms`);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return measureMemory(stateDir);
  } finally {
    client.close();
  }
}

export async function run(): Promise<Record<string, unknown>> {
  if (!existsSync(skiffEntry)) throw new Error(`${skiffEntry} is missing: npm run build first`);
  if (!Number.isInteger(ROUNDS) || ROUNDS < MIN_ROUNDS) throw new Error(`up: ${ROUNDS} rounds; at least ${MIN_ROUNDS}`);
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'skiff-bench-up-'));
  const node = `bench-up-${process.pid}`;
  const registry = `127.0.0.1:${await freePort()}`;
  const flags = [
    '--state-dir', stateDir,
    '--api-port', String(await freePort()),
    '--etcd-port', String(await freePortRun(2)),
    '--registry-addr', registry,
    '--node-name', node,
    '--pod-cidr', `10.90.${(process.pid % 200) + 20}.0/24`,
    '--bridge', `skb${process.pid % 100000}`,
  ];
  const kubeconfig = path.join(stateDir, 'kubeconfig');
  try {
    const t = Date.now();
    await skiff(['up', ...flags]);
    const coldMs = Date.now() - t;
    say(`cold skiff up (credentials, etcd data, kubelet root): ${coldMs} ms`);
    await skiff(['down', '--state-dir', stateDir]);

    const ready: number[] = [];
    const command: number[] = [];
    const ownMb: number[] = [];
    const etcdMb: number[] = [];
    let idle: Memory | undefined;
    let timeline: Record<string, number> = {};
    for (let r = 0; r < ROUNDS; r++) {
      if (r > 0) await skiff(['down', '--state-dir', stateDir]);
      const t0 = Date.now();
      const up = skiff(['up', ...flags]);
      const readyAt = await waitReady(kubeconfig, node, t0);
      await up;
      ready.push(readyAt - t0);
      command.push(Date.now() - t0);
      timeline = startTimeline(stateDir, t0);
      await new Promise((res) => setTimeout(res, SETTLE_MS));
      idle = measureMemory(stateDir);
      ownMb.push(idle.ownMb);
      etcdMb.push(idle.etcdMb);
      say(`round ${r + 1}/${ROUNDS}: warm skiff up to node Ready (through the API) ${ready[r]} ms, command returned after ${command[r]} ms; idle RSS skiff ${idle.ownMb} MB, etcd ${idle.etcdMb} MB`);
    }
    const readyMs = spreadOf(ready);
    const idleMb = spreadOf(ownMb);
    const show = (s: Spread, unit: string) => `median ${s.median} ${unit} (${s.min}..${s.max} over ${ROUNDS} rounds)`;
    say(`warm skiff up to node Ready: ${show(readyMs, 'ms')} (target <= ${TARGET_READY_MS} ms); command returned: ${show(spreadOf(command), 'ms')}`);
    say(`idle RSS of skiff's own processes: ${show(idleMb, 'MB')} (target <= ${TARGET_IDLE_MB} MB); etcd ${show(spreadOf(etcdMb), 'MB')}`);
    say(`last round: start timeline (ms after spawn) ${JSON.stringify(timeline)}; idle RSS by component ${JSON.stringify(idle?.byComponent)}`);

    const storeDir = await mkdtemp(path.join(os.tmpdir(), 'skiff-bench-up-img-'));
    try {
      const img = await buildBusyboxImage(await openStore(storeDir), { config: { Cmd: ['sh'] } });
      const auth = (await readDockerAuths([statePaths(stateDir).dockerConfig]))[registry];
      await pushImage(registry, 'bench/busybox:latest', await openStore(storeDir), img, auth);
    } finally {
      await rm(storeDir, { recursive: true, force: true });
    }
    const loaded = await withPods(kubeconfig, registry, stateDir);
    say(`RSS with ${PODS} pods: skiff ${loaded.ownMb} MB, etcd ${loaded.etcdMb} MB, ${loaded.conmons} conmons ${loaded.conmonMb} MB; ${JSON.stringify(loaded.byComponent)}`);

    // Start times are mostly Node loading code on 2 cores: what else runs says how to read them.
    const load = os.loadavg().map((l) => Number(l.toFixed(1)));
    say(`load average during the run: ${load.join(' ')} (${os.cpus().length} CPUs)`);
    const ratioRss = idleMb.median / LITERATURE.k3sIdleMb.value;
    const ratioReady = readyMs.median / 1000 / LITERATURE.minikubeStartS.value;
    say(`against literature figures (not measured here): idle RSS skiff/k3s ${ratioRss.toFixed(3)} (k3s ~${LITERATURE.k3sIdleMb.value} MB, ${LITERATURE.k3sIdleMb.source}); Ready skiff/minikube ${ratioReady.toFixed(3)} (minikube start ${LITERATURE.minikubeStartS.value} s or more, source: ${LITERATURE.minikubeStartS.source})`);
    return {
      benchmark: 'up',
      rounds: ROUNDS,
      coldUpMs: coldMs,
      readyMs,
      upCommandMs: spreadOf(command),
      warmTimelineMs: timeline,
      readyTargetMs: TARGET_READY_MS,
      readyOk: readyMs.median <= TARGET_READY_MS,
      idleOwnRssMb: idleMb,
      idleEtcdRssMb: spreadOf(etcdMb),
      idleByComponentMb: idle?.byComponent,
      idleTargetMb: TARGET_IDLE_MB,
      idleOk: idleMb.median <= TARGET_IDLE_MB,
      pods: PODS,
      loadedOwnRssMb: loaded.ownMb,
      loadedEtcdRssMb: loaded.etcdMb,
      loadedConmonRssMb: loaded.conmonMb,
      loadedByComponentMb: loaded.byComponent,
      literature: {
        ...LITERATURE,
        ratioIdleRssVsK3s: Number(ratioRss.toFixed(3)),
        ratioReadyVsMinikube: Number(ratioReady.toFixed(3)),
      },
      loadAverage: load,
    };
  } finally {
    await skiff(['down', '--state-dir', stateDir, '--purge']).catch((e: unknown) => say(`down failed: ${(e as Error).message}`));
    await rm(stateDir, { recursive: true, force: true });
  }
}
