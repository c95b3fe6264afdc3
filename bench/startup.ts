// `npm run bench -- startup`: pod start-up through the whole system. One node (etcd, then
// `skiff apiserver`, `skiff scheduler` and `skiff kubelet` as processes from dist/), kept up
// across rounds, the image already in the kubelet's store. A skiff batch: N pods
// (SKIFF_BENCH_STARTUP_N, 100) created at once through the API; each pod's time from its
// create call to the watch showing it Running (p50, p99 over all rounds), and the batch's wall
// time until the last one runs; then the pods are deleted and the batch is over when the
// kubelet has removed them from the runtime and the API. The anchor batch: N bare
// `<runtime> run -d` of an equivalent bundle (same image, process and resources; crun, or runc
// where crun cannot run on this host's cgroup layout, as the kubelet picks; bundles prepared
// untimed), all at once, wall time until the last one runs; then they are deleted. Both sides
// start the runtime the same way: the kubelet's runtime starts conmon from its spawn companion
// (runtime/oci/spawner.ts), and this process starts each `run -d` from its own companion
// (bench/measure.ts, runDetached); with SKIFF_SPAWN_HELPER=0 both start them directly.
// The batches alternate in rounds (SKIFF_BENCH_STARTUP_ROUNDS, at least 3), reported as the
// median ratio of wall times skiff/anchor with its spread (bench/rounds.ts). Also CPU per pod
// by process, and the kubelet's RSS with the N pods (highest over the rounds).
// Targets: p99 <= 1 s, median ratio <= 3. No literature figures.
import crypto from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Pod } from '../api/types/core.js';
import { buildKubeconfig, writeKubeconfig } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest.js';
import { ImageService } from '../runtime/image-service.js';
import { deleteBridge } from '../runtime/network/cni.js';
import { removeCgroupTree } from '../runtime/oci/cgroups.js';
import { releaseStateDir } from '../runtime/state-dir.js';
import { runCommand } from '../runtime/oci/command.js';
import { SkiffRuntimeService } from '../runtime/runtime-service.js';
import { startApiServer, type ApiServerFixture } from '../test/fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../test/fixtures/etcd.js';
import { buildBusyboxImage, importImage, openStore } from '../test/fixtures/images.js';
import { repoRoot, skiffEntry, startProcess, startSkiff, type Proc } from '../test/fixtures/process.js';
import { removeUnifiedCgroup } from '../test/kubelet/harness.js';
import { BareContainers, CpuTally, machineCpuMs, machineStealMs, percentile, processCpu, spawnPath, type BareBundle } from './measure.js';
import { compare, summary, type Comparison } from './rounds.js';

const N = Number(process.env.SKIFF_BENCH_STARTUP_N ?? 100);
const ROUNDS = Number(process.env.SKIFF_BENCH_STARTUP_ROUNDS ?? 3);
const COMMAND = ['sleep', '3600'];
const IMAGE = 'bench/busybox:startup';
const TARGET_P99_MS = 1000;
const TARGET_RATIO = 3;

const say = (s: string) => process.stdout.write(`${s}\n`);
const ms = (n: number) => Math.round(n * 10) / 10;

async function rssMb(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

async function waitFor<T>(f: () => Promise<T | undefined>, what: string, timeoutMs: number, proc?: Proc): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${proc ? `\n${proc.output().slice(-3000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const pod = (ns: string, name: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: {
    terminationGracePeriodSeconds: 0,
    containers: [{ name: 'main', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: COMMAND, resources: { requests: { cpu: '1m', memory: '8Mi' }, limits: { memory: '64Mi' } } }],
  },
});


/** What the skiff batches gather over the rounds. */
interface PodFigures {
  /** create -> Running, create -> bound, bound -> Running, per pod */
  lat: number[];
  bound: number[];
  onNode: number[];
  cpu: CpuTally;
  /** CPU ms over the batches: the machine's, the hypervisor's steal, and each component's own */
  machine: number;
  steal: number;
  own: { kubelet: number; scheduler: number; apiserver: number };
  etcdWrites: number;
  kubeletRssMb: number;
}

interface Cluster {
  client: RestClient;
  ns: string;
  etcdEndpoint: string;
  kubelet: Proc;
  pids: { kubelet: number; scheduler: number; apiserver: number | undefined };
}

async function etcdRevision(endpoint: string): Promise<number> {
  const r = await runCommand('etcdctl', [`--endpoints=${endpoint}`, 'endpoint', 'status', '-w', 'json']);
  return Number((JSON.parse(r.stdout) as { Status: { header: { revision: number } } }[])[0]?.Status.header.revision);
}

/**
 * One skiff batch: N pods created at once (a pod's clock starts when its create is sent), the
 * wall time until the watch shows the last one Running; then the batch is deleted and waited
 * out (the kubelet stops and removes each pod from the runtime before it deletes the object).
 */
async function podBatch(c: Cluster, round: number, f: PodFigures): Promise<number> {
  const { client, ns } = c;
  const names = Array.from({ length: N }, (_, i) => `r${round}-${i}`);
  const list = await client.pods.list({ namespace: ns });
  const abort = new AbortController();
  const sent = new Map<string, number>();
  const runningAt = new Map<string, number>();
  const boundAt = new Map<string, number>();
  let allRunning: () => void = () => {};
  const done = new Promise<void>((r) => (allRunning = r));
  const stream = await client.pods.watch({ namespace: ns, resourceVersion: list.metadata?.resourceVersion, signal: abort.signal });
  const watching = (async () => {
    for await (const ev of stream) {
      const p = ev.object as Pod;
      const name = p.metadata?.name ?? '';
      if (ev.type === 'ERROR' || !sent.has(name)) continue;
      if (p.spec?.nodeName && !boundAt.has(name)) boundAt.set(name, performance.now());
      if (p.status?.phase === 'Running' && !runningAt.has(name)) {
        runningAt.set(name, performance.now());
        if (runningAt.size === N) allRunning();
      }
    }
  })().catch(() => undefined);
  const rev0 = await etcdRevision(c.etcdEndpoint);
  const machine0 = machineCpuMs();
  const steal0 = machineStealMs();
  const procs0 = processCpu();
  f.cpu.begin();
  const t0 = performance.now();
  await Promise.all(
    names.map((name) => {
      sent.set(name, performance.now());
      return client.pods.create(pod(ns, name), { namespace: ns });
    }),
  );
  const timeout = setTimeout(() => abort.abort(), 600_000);
  await Promise.race([done, watching.then(() => Promise.reject(new Error(`only ${runningAt.size}/${N} pods Running before the watch ended\n${c.kubelet.output().slice(-3000)}`)))]);
  clearTimeout(timeout);
  const total = performance.now() - t0;
  f.cpu.end();
  const procs1 = processCpu();
  f.machine += machineCpuMs() - machine0;
  f.steal += machineStealMs() - steal0;
  for (const k of ['kubelet', 'scheduler', 'apiserver'] as const) {
    const pid = c.pids[k];
    if (pid !== undefined) f.own[k] += (procs1.get(pid)?.own ?? NaN) - (procs0.get(pid)?.own ?? NaN);
  }
  f.etcdWrites += (await etcdRevision(c.etcdEndpoint)) - rev0;
  for (const [name, at] of runningAt) {
    const s = sent.get(name) ?? t0;
    f.lat.push(at - s);
    f.bound.push((boundAt.get(name) ?? at) - s);
    f.onNode.push(at - (boundAt.get(name) ?? at));
  }
  f.kubeletRssMb = Math.max(f.kubeletRssMb, await rssMb(c.pids.kubelet));
  abort.abort();
  await watching;
  // A grace period of 1 s, so the deletion is graceful (0 would remove the objects at once).
  await Promise.all(names.map((name) => client.pods.delete(name, { namespace: ns, gracePeriodSeconds: 1 })));
  await waitFor(async () => ((await client.pods.list({ namespace: ns })).items.length === 0 ? true : undefined), `round ${round + 1}'s pods gone`, 300_000, c.kubelet);
  return total;
}

/** One anchor batch: N prepared bundles, `run -d` all at once; the wall time until the last has run. Then they are removed. */
async function bareBatch(bare: BareContainers, suffix: string, round: number, lat: number[]): Promise<number> {
  const batch: BareBundle[] = [];
  try {
    for (let i = 0; i < N; i++) batch.push(await bare.prepare(`bare-${suffix}-${round}-${i}`));
    const b0 = performance.now();
    await Promise.all(
      batch.map(async (b) => {
        await bare.start(b);
        lat.push(performance.now() - b0);
      }),
    );
    return performance.now() - b0;
  } finally {
    for (const b of batch) await bare.remove(b).catch(() => undefined);
  }
}

const pct = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: ms(percentile(s, 50)), p99: ms(percentile(s, 99)) };
};

export async function run(): Promise<Record<string, unknown>> {
  if (!existsSync(skiffEntry)) throw new Error(`${skiffEntry} is missing: npm run build first`);
  const suffix = crypto.randomBytes(3).toString('hex');
  const node = `bench-startup-${suffix}`;
  const ns = `startup-${suffix}`;
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-bench-startup-'));
  const kubeletRoot = path.join(root, 'kubelet');
  const rtRoot = path.join(kubeletRoot, 'runtime');
  const bridge = `sku${suffix}`;
  const podCidr = `10.92.${16 + (crypto.randomBytes(1)[0] % 200)}.0/24`;
  const cgroupParent = `/skiff-bench-startup-${process.pid}-${suffix}`;
  const images = new ImageService({ root: rtRoot });
  // The same pick the kubelet makes (crun unless it cannot run here), for the anchor and the kubelet.
  const probe = new SkiffRuntimeService({ root: rtRoot, images, bridgeName: bridge, podCidr, cgroupParent });
  const oci = probe.ociRuntime;
  // This process's companion starts the anchor's `run -d`; kept alive over the whole run, so
  // that the CPU of the runtimes it reaped does not land in this process (when it exits and is
  // reaped) in the middle of a skiff batch.
  const ownIdle = process.env.SKIFF_SPAWN_HELPER_IDLE_MS;
  let etcd: EtcdFixture | undefined;
  let api: ApiServerFixture | undefined;
  let scheduler: Proc | undefined;
  let kubelet: Proc | undefined;
  let admin: RestClient | undefined;
  try {
    const store = await openStore(path.join(root, 'build'));
    const img = await buildBusyboxImage(store, { config: { Cmd: COMMAND } });
    const imageId = await importImage(rtRoot, IMAGE, img, store);
    const bare = new BareContainers({ images, imageId, dir: path.join(root, 'bare'), cgroupParent, command: COMMAND, runtimePath: oci.path });

    etcd = await startEtcd();
    api = await startApiServer({ etcd, nodes: [node], logLevel: 'warn' });
    const kc = (name: string, token: string) => {
      const f = path.join(root, `${name}.kubeconfig`);
      return writeKubeconfig(f, buildKubeconfig({ server: api?.url ?? '', token, name })).then(() => f);
    };
    const env = { SKIFF_LOG_LEVEL: 'warn', SKIFF_SPAWN_HELPER_IDLE_MS: ownIdle };
    // SKIFF_BENCH_PROFILE_DIR: a V8 CPU profile of the kubelet, to see where its time goes.
    const profile = process.env.SKIFF_BENCH_PROFILE_DIR;
    const startKubelet = (args: string[]) =>
      profile
        ? startProcess(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profile}`, skiffEntry, ...args], { cwd: repoRoot, env: { ...process.env, SKIFF_LOG_JSON: '1', ...env } })
        : startSkiff(args, { env });
    scheduler = startSkiff(['scheduler', `--kubeconfig=${await kc('scheduler', api.schedulerToken)}`], { env });
    kubelet = startKubelet([
      'kubelet',
      `--kubeconfig=${await kc('kubelet', api.nodeToken(node))}`,
      `--node-name=${node}`,
      `--root=${kubeletRoot}`,
      `--pod-cidr=${podCidr}`,
      '--node-ip=127.0.0.1',
      '--capacity=cpu=4,memory=16Gi',
      `--bridge=${bridge}`,
      `--cgroup-parent=${cgroupParent}`,
      `--runtime=${oci.name}`,
    ]);
    process.env.SKIFF_SPAWN_HELPER_IDLE_MS = String(24 * 3600_000);
    admin = new RestClient({ server: api.url, token: api.adminToken, namespace: 'default' });
    await admin.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const client = admin;
    await waitFor(async () => ((await client.nodes.get(node)).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined), 'node Ready', 60_000, kubelet);

    const cluster: Cluster = { client, ns, etcdEndpoint: etcd.endpoint, kubelet, pids: { kubelet: kubelet.pid, scheduler: scheduler.pid, apiserver: api.proc?.pid } };
    const f: PodFigures = { lat: [], bound: [], onNode: [], cpu: new CpuTally(), machine: 0, steal: 0, own: { kubelet: 0, scheduler: 0, apiserver: 0 }, etcdWrites: 0, kubeletRssMb: 0 };
    const bareLat: number[] = [];
    say(`startup: ${ROUNDS} rounds of ${N} pods created at once through the API (scheduler and kubelet as processes, image in the store) and ${N} bare \`${oci.name} run -d\` at once (${oci.name === 'runc' ? 'crun cannot run on this host' : 'as the kubelet picks'}), alternating; runtime commands started through ${spawnPath()}`);
    const comparison: Comparison = await compare({
      name: 'startup',
      unit: 'ms',
      rounds: ROUNDS,
      target: TARGET_RATIO,
      skiff: { label: `skiff ${N} pods create -> Running`, measure: (round) => podBatch(cluster, round, f) },
      anchor: { label: `bare ${oci.name} run -d x${N}`, measure: (round) => bareBatch(bare, suffix, round, bareLat) },
    });

    const pods = N * ROUNDS;
    const perPod = (x: number) => Math.round((x / pods) * 10) / 10;
    const cpu = { machine: perPod(f.machine), steal: perPod(f.steal), kubelet: perPod(f.own.kubelet), scheduler: perPod(f.own.scheduler), apiserver: perPod(f.own.apiserver) };
    const skiff = pct(f.lat);
    const anchor = pct(bareLat);
    say(`skiff, create -> Running (watch), over ${ROUNDS} rounds: ${JSON.stringify(skiff)} ms (target p99 <= ${TARGET_P99_MS} ms)`);
    say(`  of which create -> bound: ${JSON.stringify(pct(f.bound))} ms; bound -> Running: ${JSON.stringify(pct(f.onNode))} ms`);
    say(`  CPU ms per pod: ${JSON.stringify(cpu)} (machine: all processes, ${os.cpus().length} CPUs, with the steal the hypervisor took)`);
    say(`  by process (with the children each reaped): ${f.cpu.top(8, pods)}`);
    say(`  etcd transactions (revisions; group commit batches writes) per pod: ${perPod(f.etcdWrites)}`);
    say(`bare ${oci.name} run -d, all at once, over ${ROUNDS} rounds: ${JSON.stringify(anchor)} ms`);
    say(`median ratio of wall times skiff/bare: ${ms(comparison.ratio.median)} (target <= ${TARGET_RATIO}); kubelet RSS with ${N} pods: ${f.kubeletRssMb} MB`);
    return {
      pods: N,
      runtime: oci.name,
      spawn: spawnPath(),
      startup: summary(comparison),
      skiffMs: skiff,
      bareMs: anchor,
      cpuMsPerPod: cpu,
      kubeletRssMb: f.kubeletRssMb,
      targets: { p99Ms: TARGET_P99_MS, ratio: TARGET_RATIO },
      p99Ok: skiff.p99 <= TARGET_P99_MS,
    };
  } finally {
    admin?.close();
    await scheduler?.stop();
    await kubelet?.stop(10_000);
    // The pods' containers outlive the kubelet: remove them through the runtime.
    const rt = new SkiffRuntimeService({ root: rtRoot, images: new ImageService({ root: rtRoot }), bridgeName: bridge, podCidr, cgroupParent });
    for (const s of await rt.listPodSandbox().catch(() => [])) await rt.removePodSandbox(s.id).catch(() => undefined);
    await releaseStateDir(rt.stateDir);
    await deleteBridge(bridge).catch(() => undefined);
    await removeCgroupTree(cgroupParent).catch(() => undefined);
    await removeUnifiedCgroup(cgroupParent);
    await api?.stop();
    await etcd?.stop();
    await fs.rm(root, { recursive: true, force: true });
    if (ownIdle === undefined) delete process.env.SKIFF_SPAWN_HELPER_IDLE_MS;
    else process.env.SKIFF_SPAWN_HELPER_IDLE_MS = ownIdle;
  }
}
