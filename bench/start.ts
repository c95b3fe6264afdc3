// `npm run bench -- start`: start latency of pod sandboxes with one container each, through
// skiff's RuntimeService in this process (pinned netns + CNI bridge/host-local + OCI bundle +
// conmon + runtime create/start), from an image already in the local store, one after the
// other; against the anchor, bare `<runtime> run -d` of an equivalent bundle (same rootfs kind,
// process, cgroup resources, new namespaces; no CNI, no conmon; bundles prepared untimed), one
// after the other. Both sides start their commands the same way: skiff's runtime starts conmon
// from the spawn companion (runtime/oci/spawner.ts), and so does the anchor its `run -d`
// (bench/measure.ts, runDetached); with SKIFF_SPAWN_HELPER=0 both start them directly.
// Measured in rounds (SKIFF_BENCH_START_ROUNDS, at least 3) of a batch of N pods
// (SKIFF_BENCH_START_N, 100) and a batch of N bare containers, alternating, each batch removed
// before the next; the figure per round is the batch's summed start time, reported as the
// median ratio skiff/anchor with its spread (bench/rounds.ts). Targets: median ratio <= 2.0;
// sandbox setup (including CNI) p99 over all rounds <= 300 ms. The p50 of every step of the
// three CRI calls (from the runtime's debug log) is printed too, to show where a pod's start
// time goes, with CPU ms per pod and per bare container by process, and the load, since on a
// shared 2-CPU machine each process launch waits for a CPU. No literature figures.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { ImageService } from '../runtime/image-service.js';
import { deleteBridge } from '../runtime/network/cni.js';
import { removeCgroupTree } from '../runtime/oci/cgroups.js';
import { releaseStateDir } from '../runtime/state-dir.js';
import { SkiffRuntimeService } from '../runtime/runtime-service.js';
import { buildBusyboxImage, importImage, openStore } from '../test/fixtures/images.js';
import { BareContainers, CpuTally, percentile, spawnPath, type BareBundle } from './measure.js';
import { compare, summary } from './rounds.js';

const N = Number(process.env.SKIFF_BENCH_START_N ?? 100);
const ROUNDS = Number(process.env.SKIFF_BENCH_START_ROUNDS ?? 3);
const COMMAND = ['sleep', '3600'];
const TARGET_RATIO = 2.0;
const TARGET_SANDBOX_P99_MS = 300;

const ms = (n: number) => Math.round(n * 10) / 10;

/**
 * A debug logger for the runtime that keeps the per-step timings of each CRI call ("sandbox
 * ready", "container created", "container started"), so the bench can say where the time goes.
 */
function stepCollector(): { logger: pino.Logger; steps: Map<string, Map<string, number[]>> } {
  const steps = new Map<string, Map<string, number[]>>();
  const logger = pino({ level: 'debug' }, {
    write(line: string) {
      const rec = JSON.parse(line) as { msg?: string; ms?: Record<string, number> };
      if (!rec.msg || !rec.ms) return;
      const byStep = steps.get(rec.msg) ?? new Map<string, number[]>();
      steps.set(rec.msg, byStep);
      for (const [k, v] of Object.entries(rec.ms)) byStep.set(k, [...(byStep.get(k) ?? []), v]);
    },
  });
  return { logger, steps };
}

function stepReport(steps: Map<string, Map<string, number[]>>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [call, byStep] of steps) {
    out[call] = {};
    for (const [step, v] of byStep) out[call][step] = latency(v).p50;
  }
  return out;
}

function latency(samples: number[]): { p50: number; p99: number; total: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: ms(percentile(s, 50)), p99: ms(percentile(s, 99)), total: ms(samples.reduce((a, b) => a + b, 0)) };
}

export async function run(): Promise<Record<string, unknown>> {
  const suffix = crypto.randomBytes(3).toString('hex');
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-bench-start-'));
  const bridge = `skb${suffix}`;
  const cgroupParent = `/skiff-bench-${process.pid}-${suffix}`;
  const images = new ImageService({ root });
  const store = await openStore(path.join(root, 'build-store'));
  const img = await buildBusyboxImage(store, { config: { Cmd: COMMAND } });
  const imageId = await importImage(root, 'busybox:bench', img, store);
  const collected = stepCollector();
  const rt = new SkiffRuntimeService({ root, images, bridgeName: bridge, podCidr: `10.88.${100 + (crypto.randomBytes(1)[0] % 100)}.0/24`, cgroupParent, logger: collected.logger });
  const oci = rt.ociRuntime;
  const bare = new BareContainers({ images, imageId, dir: path.join(root, 'bare'), cgroupParent, command: COMMAND, runtimePath: oci.path });
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const loadAtStart = Math.round(os.loadavg()[0] * 100) / 100;
  log(`start: ${ROUNDS} rounds of ${N} sandboxes + containers through the RuntimeService and ${N} bare \`${oci.name} run -d\`, alternating; commands started through ${spawnPath()} (load ${loadAtStart} on ${os.cpus().length} CPUs)`);

  const total: number[] = [];
  const sandbox: number[] = [];
  const container: number[] = [];
  const bareLatency: number[] = [];
  const skiffCpu = new CpuTally();
  const bareCpu = new CpuTally();
  let batch: BareBundle[] = [];
  let comparison;
  try {
    comparison = await compare({
      name: 'start',
      unit: 'ms',
      rounds: ROUNDS,
      target: TARGET_RATIO,
      skiff: {
        label: `skiff sandbox+container x${N}`,
        async measure(round) {
          let sum = 0;
          skiffCpu.begin();
          for (let i = 0; i < N; i++) {
            const sc = { metadata: { name: `bench-${round}-${i}`, namespace: 'bench', uid: `${suffix}-${round}-${i}`, attempt: 0 } };
            const t0 = performance.now();
            const sb = await rt.runPodSandbox(sc);
            const t1 = performance.now();
            const id = await rt.createContainer(sb, { metadata: { name: 'main', attempt: 0 }, image: { image: 'busybox:bench' }, linux: { resources: { cpuShares: 2, memoryLimitInBytes: 64 * 2 ** 20 } } }, sc);
            await rt.startContainer(id);
            const t2 = performance.now();
            sandbox.push(t1 - t0);
            container.push(t2 - t1);
            total.push(t2 - t0);
            sum += t2 - t0;
          }
          skiffCpu.end();
          const running = await rt.listContainers({ state: 'CONTAINER_RUNNING' });
          if (running.length !== N) throw new Error(`only ${running.length} of ${N} containers running`);
          for (const s of await rt.listPodSandbox()) await rt.removePodSandbox(s.id);
          return sum;
        },
      },
      anchor: {
        label: `bare ${oci.name} run -d x${N}`,
        async measure(round) {
          for (let i = 0; i < N; i++) batch.push(await bare.prepare(`bare-${suffix}-${round}-${i}`));
          let sum = 0;
          bareCpu.begin();
          for (const b of batch) {
            const t0 = performance.now();
            await bare.start(b);
            bareLatency.push(performance.now() - t0);
            sum += performance.now() - t0;
          }
          bareCpu.end();
          for (const b of batch) await bare.remove(b);
          batch = [];
          return sum;
        },
      },
    });
    log(`skiff per pod over ${ROUNDS} rounds: ${JSON.stringify(latency(total))} ms (sandbox ${JSON.stringify(latency(sandbox))}, container ${JSON.stringify(latency(container))})`);
    log(`bare ${oci.name} run -d over ${ROUNDS} rounds: ${JSON.stringify(latency(bareLatency))} ms`);
    for (const [call, p50s] of Object.entries(stepReport(collected.steps))) log(`p50 per step, ${call}: ${JSON.stringify(p50s)} ms`);
    log(`CPU ms per pod, by process (with the children each reaped): ${skiffCpu.top(8, N * ROUNDS)}`);
    log(`CPU ms per bare container, by process: ${bareCpu.top(8, N * ROUNDS)}`);
  } finally {
    for (const s of await rt.listPodSandbox().catch(() => [])) await rt.removePodSandbox(s.id).catch(() => undefined);
    for (const b of batch) await bare.remove(b).catch(() => undefined);
    await releaseStateDir(rt.stateDir);
    await deleteBridge(bridge);
    await removeCgroupTree(cgroupParent);
    await images.destroy().catch(() => undefined);
    await fs.rm(root, { recursive: true, force: true });
  }

  const sb = latency(sandbox);
  const sandboxOk = sb.p99 <= TARGET_SANDBOX_P99_MS;
  log(`median ratio ${ms(comparison.ratio.median)} (target <= ${TARGET_RATIO}); sandbox p99 ${sb.p99} ms (target <= ${TARGET_SANDBOX_P99_MS})`);
  return {
    runtime: oci.name,
    spawn: spawnPath(),
    n: N,
    start: summary(comparison),
    skiffPerPodMs: latency(total),
    sandboxMs: sb,
    containerMs: latency(container),
    bareMs: latency(bareLatency),
    targetSandboxP99Ms: TARGET_SANDBOX_P99_MS,
    pass: comparison.ok === true && sandboxOk,
    loadAverage1mAtStart: loadAtStart,
    loadAverage1m: Math.round(os.loadavg()[0] * 100) / 100,
    stepsP50Ms: stepReport(collected.steps),
  };
}
