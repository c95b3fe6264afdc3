// `npm run bench -- startup`: pod start-up through the whole system. One node (etcd, then
// `skiff apiserver`, `skiff scheduler` and `skiff kubelet` as processes from dist/), the image
// already in the kubelet's store; 100 pods created at once; each pod's time from its create
// call to the watch showing it Running, p50 and p99. The anchor, in the same run: 100 bare
// `<runtime> run -d` of an equivalent bundle (same image, process and resources; crun, or
// runc where crun cannot run on this host's cgroup layout, as the kubelet picks), started
// the same way, all at once. Ratio of the totals (wall time until the last one runs).
// Also the kubelet's RSS with the 100 pods. Targets: p99 <= 1 s, ratio <= 3.
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
import { runCommand } from '../runtime/oci/command.js';
import { unmountAll } from '../runtime/oci/mount.js';
import { SkiffRuntimeService } from '../runtime/runtime-service.js';
import { startApiServer, type ApiServerFixture } from '../test/fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../test/fixtures/etcd.js';
import { buildBusyboxImage, importImage, openStore } from '../test/fixtures/images.js';
import { repoRoot, skiffEntry, startProcess, startSkiff, type Proc } from '../test/fixtures/process.js';
import { removeUnifiedCgroup } from '../test/kubelet/harness.js';
import { cpuBetween, machineCpuMs, machineStealMs, percentile, processCpu, runDetached, writeBareBundle } from './measure.js';

const N = Number(process.env.SKIFF_BENCH_STARTUP_N ?? 100);
const COMMAND = ['sleep', '3600'];
const IMAGE = 'bench/busybox:startup';
const TARGET_P99_MS = 1000;
const TARGET_RATIO = 3;

const say = (s: string) => process.stderr.write(`${s}\n`);
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

const pod = (ns: string, i: number): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `s-${i}`, namespace: ns },
  spec: {
    terminationGracePeriodSeconds: 0,
    containers: [{ name: 'main', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: COMMAND, resources: { requests: { cpu: '1m', memory: '8Mi' }, limits: { memory: '64Mi' } } }],
  },
});

export async function run(): Promise<Record<string, unknown>> {
  if (!existsSync(skiffEntry)) throw new Error(`${skiffEntry} is missing: npm run build first`);
  // This process's own commands (the anchor's runc deletes, etcdctl) start directly: through a
  // spawn companion, their CPU would be reaped into this process when the companion exits
  // (idle, in the middle of the measured window) and misread as load of the bench. The kubelet
  // keeps its companion (below).
  const ownHelper = process.env.SKIFF_SPAWN_HELPER;
  process.env.SKIFF_SPAWN_HELPER = '0';
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
  const bareState = path.join(root, 'bare-state');
  const bare: { id: string; bundle: string }[] = [];
  let etcd: EtcdFixture | undefined;
  let api: ApiServerFixture | undefined;
  let scheduler: Proc | undefined;
  let kubelet: Proc | undefined;
  let admin: RestClient | undefined;
  try {
    const store = await openStore(path.join(root, 'build'));
    const img = await buildBusyboxImage(store, { config: { Cmd: COMMAND } });
    const imageId = await importImage(rtRoot, IMAGE, img, store);

    // ------------------------------------------------------------ anchor: bare runtime
    for (let i = 0; i < N; i++) {
      bare.push(await writeBareBundle({ images, imageId, dir: path.join(root, 'bare'), id: `bare-${suffix}-${i}`, cgroupParent, command: COMMAND }));
    }
    say(`startup: ${N} bare \`${oci.name} run -d\` at once (runtime ${oci.name}${oci.name === 'runc' ? ': crun cannot run on this host' : ''})`);
    const b0 = performance.now();
    const bareLat = await Promise.all(
      bare.map(async (b) => {
        await runDetached(oci.path, [`--root=${bareState}`, 'run', '-d', '--bundle', b.bundle, b.id]);
        return performance.now() - b0;
      }),
    );
    const bareTotal = performance.now() - b0;
    // The bare containers go before the cluster starts: they would only add load. Their root
    // filesystems are unmounted too (every runc init of the pods reads the mount table, and
    // 100 extra overlays there cost each of them); the directories stay until the end, so
    // that no mass of freshly deleted inodes slows the filesystem meanwhile.
    for (const b of bare) await runCommand(oci.path, [`--root=${bareState}`, 'delete', '--force', b.id]);
    for (const b of bare) await unmountAll(path.join(b.bundle, 'rootfs'));

    // ------------------------------------------------------------ the cluster
    etcd = await startEtcd();
    api = await startApiServer({ etcd, nodes: [node], logLevel: 'warn' });
    const kc = (name: string, token: string) => {
      const f = path.join(root, `${name}.kubeconfig`);
      return writeKubeconfig(f, buildKubeconfig({ server: api?.url ?? '', token, name })).then(() => f);
    };
    const env = { SKIFF_LOG_LEVEL: 'warn', SKIFF_SPAWN_HELPER: ownHelper ?? '1' };
    // SKIFF_BENCH_PROFILE_DIR: a V8 CPU profile of the kubelet, to see where its time goes.
    const profile = process.env.SKIFF_BENCH_PROFILE_DIR;
    const startKubelet = (args: string[]) =>
      profile
        ? startProcess(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profile}`, skiffEntry, ...args], { cwd: repoRoot, env: { ...process.env, SKIFF_LOG_JSON: '1', ...env } })
        : startSkiff(args, { env });
    scheduler = startSkiff(['scheduler', `--kubeconfig=${await kc('scheduler', api.schedulerToken)}`], { env });
    kubelet = startKubelet(
      [
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
      ],
    );
    admin = new RestClient({ server: api.url, token: api.adminToken, namespace: 'default' });
    await admin.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const client = admin;
    await waitFor(async () => ((await client.nodes.get(node)).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined), 'node Ready', 60_000, kubelet);

    // Watch first, then create all at once; a pod's clock starts when its create is sent.
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
        if (ev.type !== 'ERROR' && p.spec?.nodeName && !boundAt.has(name)) boundAt.set(name, performance.now());
        if (ev.type !== 'ERROR' && p.status?.phase === 'Running' && !runningAt.has(name)) {
          runningAt.set(name, performance.now());
          if (runningAt.size === N) allRunning();
        }
      }
    })().catch(() => undefined);
    say(`startup: ${N} pods created at once through the API (scheduler and kubelet as processes, image in the store)`);
    const etcdRevision = async () => {
      const r = await runCommand('etcdctl', [`--endpoints=${etcd?.endpoint}`, 'endpoint', 'status', '-w', 'json']);
      return Number((JSON.parse(r.stdout) as { Status: { header: { revision: number } } }[])[0]?.Status.header.revision);
    };
    const rev0 = await etcdRevision();
    const procs0 = processCpu();
    const machine0 = machineCpuMs();
    const steal0 = machineStealMs();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: N }, (_, i) => {
        sent.set(`s-${i}`, performance.now());
        return client.pods.create(pod(ns, i), { namespace: ns });
      }),
    );
    const timeout = setTimeout(() => abort.abort(), 600_000);
    await Promise.race([done, watching.then(() => Promise.reject(new Error(`only ${runningAt.size}/${N} pods Running before the watch ended\n${kubelet?.output().slice(-3000)}`)))]);
    clearTimeout(timeout);
    const total = performance.now() - t0;
    // CPU per pod, to see what the wall time is made of on a small machine.
    const perPod = (a: number, b: number) => Math.round(((a - b) / N) * 10) / 10;
    const writesPerPod = perPod(await etcdRevision(), rev0);
    const machine1 = machineCpuMs();
    const steal1 = machineStealMs();
    const procs1 = processCpu();
    const byProcess = cpuBetween(procs0, procs1)
      .slice(0, 8)
      .map(([name, used]) => `${name} ${perPod(used, 0)}`);
    const ownCpu = (pid: number | undefined) => (pid === undefined ? NaN : perPod(procs1.get(pid)?.own ?? NaN, procs0.get(pid)?.own ?? NaN));
    const cpu = { machine: perPod(machine1, machine0), steal: perPod(steal1, steal0), kubelet: ownCpu(kubelet.pid), scheduler: ownCpu(scheduler.pid), apiserver: ownCpu(api.proc?.pid) };
    const lat = [...runningAt].map(([name, at]) => at - (sent.get(name) ?? t0)).sort((a, b) => a - b);
    // Where the time goes: create -> bound (scheduler) and bound -> Running (kubelet and runtime).
    const bound = [...boundAt].map(([name, at]) => at - (sent.get(name) ?? t0)).sort((a, b) => a - b);
    const onNode = [...runningAt].map(([name, at]) => at - (boundAt.get(name) ?? at)).sort((a, b) => a - b);
    const rss = await rssMb(kubelet.pid);
    abort.abort();
    await watching;

    const skiff = { p50: ms(percentile(lat, 50)), p99: ms(percentile(lat, 99)), total: ms(total) };
    const sortedBare = [...bareLat].sort((a, b) => a - b);
    const anchor = { p50: ms(percentile(sortedBare, 50)), p99: ms(percentile(sortedBare, 99)), total: ms(bareTotal) };
    const ratio = Math.round((total / bareTotal) * 100) / 100;
    say(`skiff, create -> Running (watch): ${JSON.stringify(skiff)} ms (target p99 <= ${TARGET_P99_MS} ms)`);
    say(`  of which create -> bound: p50 ${ms(percentile(bound, 50))} p99 ${ms(percentile(bound, 99))} ms; bound -> Running: p50 ${ms(percentile(onNode, 50))} p99 ${ms(percentile(onNode, 99))} ms`);
    say(`  CPU ms per pod: ${JSON.stringify(cpu)} (machine: all processes, ${os.cpus().length} CPUs, with the steal the hypervisor took)`);
    say(`  by process (with the children each reaped): ${byProcess.join(', ')}`);
    say(`  etcd transactions (revisions; group commit batches writes) per pod: ${writesPerPod}`);
    say(`bare ${oci.name} run -d, all at once: ${JSON.stringify(anchor)} ms`);
    say(`ratio of totals skiff/bare: ${ratio} (target <= ${TARGET_RATIO}); kubelet RSS with ${N} pods: ${rss} MB`);
    return { pods: N, runtime: oci.name, skiffMs: skiff, bareMs: anchor, ratio, cpuMsPerPod: cpu, kubeletRssMb: rss, targets: { p99Ms: TARGET_P99_MS, ratio: TARGET_RATIO } };
  } finally {
    admin?.close();
    await scheduler?.stop();
    await kubelet?.stop(10_000);
    // The pods' containers outlive the kubelet: remove them through the runtime.
    const rt = new SkiffRuntimeService({ root: rtRoot, images: new ImageService({ root: rtRoot }), bridgeName: bridge, podCidr, cgroupParent });
    for (const s of await rt.listPodSandbox().catch(() => [])) await rt.removePodSandbox(s.id).catch(() => undefined);
    for (const b of bare) {
      await runCommand(oci.path, [`--root=${bareState}`, 'delete', '--force', b.id]).catch(() => undefined);
      await unmountAll(path.join(b.bundle, 'rootfs')).catch(() => undefined);
      await images.removeRootfs(`bench-bare-${b.id}`).catch(() => undefined);
    }
    await deleteBridge(bridge).catch(() => undefined);
    await removeCgroupTree(cgroupParent).catch(() => undefined);
    await removeUnifiedCgroup(cgroupParent);
    await api?.stop();
    await etcd?.stop();
    await fs.rm(root, { recursive: true, force: true });
    if (ownHelper === undefined) delete process.env.SKIFF_SPAWN_HELPER;
    else process.env.SKIFF_SPAWN_HELPER = ownHelper;
  }
}
