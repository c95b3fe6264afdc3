// `npm run bench -- start`: start latency of pod sandboxes with one container each, through
// skiff's RuntimeService (pinned netns + CNI bridge/host-local + OCI bundle + conmon + runtime
// create/start), from an image already in the local store; and, as the anchor in the same
// run, bare `<runtime> run -d` of an equivalent bundle (same rootfs kind, process, cgroup
// resources, new namespaces; no CNI, no conmon). Targets: ratio of totals <= 2.0; sandbox
// setup (including CNI) p99 <= 300 ms. The p50 of every step of the three CRI calls (from the
// runtime's debug log) is printed too, to show where a pod's start time goes; so is the load,
// since on a shared 2-CPU machine each process launch waits for a CPU.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { ImageService } from '../runtime/image-service.js';
import { deleteBridge } from '../runtime/network/cni.js';
import { removeCgroupTree } from '../runtime/oci/cgroups.js';
import { runCommand } from '../runtime/oci/command.js';
import { unmountAll } from '../runtime/oci/mount.js';
import { SkiffRuntimeService } from '../runtime/runtime-service.js';
import { buildBusyboxImage, importImage, openStore } from '../test/fixtures/images.js';
import { cpuBetween, percentile, processCpu, runDetached, writeBareBundle } from './measure.js';

const N = Number(process.env.SKIFF_BENCH_START_N ?? 100);
const COMMAND = ['sleep', '3600'];

/** `<runtime> run -d` as from a shell with stdio on /dev/null: the container inherits it, so pipes would never close. */
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
    for (const [step, v] of byStep) out[call][step] = summary(v).p50;
  }
  return out;
}

function summary(samples: number[]): { p50: number; p99: number; total: number } {
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
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const loadAtStart = Math.round(os.loadavg()[0] * 100) / 100;
  log(`start: ${N} sandboxes + containers through the RuntimeService, alternating with ${N} bare \`${oci.name} run -d\` (runtime ${oci.name}; load ${loadAtStart} on ${os.cpus().length} CPUs)`);

  const total: number[] = [];
  const sandbox: number[] = [];
  const container: number[] = [];
  const bareLatency: number[] = [];
  const bare: { id: string; bundle: string }[] = [];
  const bareState = path.join(root, 'bare-state');
  try {
    // The anchor's bundles are prepared ahead (overlay rootfs from the same image, same process
    // and resources, fresh namespaces); only `run -d` is timed. The two kinds of start alternate,
    // so both see the same machine load.
    for (let i = 0; i < N; i++) {
      bare.push(await writeBareBundle({ images, imageId, dir: path.join(root, 'bare'), id: `bare-${suffix}-${i}`, cgroupParent, command: COMMAND }));
    }
    const procs0 = processCpu();
    for (let i = 0; i < N; i++) {
      const sc = { metadata: { name: `bench-${i}`, namespace: 'bench', uid: `${suffix}-${i}`, attempt: 0 } };
      const t0 = performance.now();
      const sb = await rt.runPodSandbox(sc);
      const t1 = performance.now();
      const id = await rt.createContainer(sb, { metadata: { name: 'main', attempt: 0 }, image: { image: 'busybox:bench' }, linux: { resources: { cpuShares: 2, memoryLimitInBytes: 64 * 2 ** 20 } } }, sc);
      await rt.startContainer(id);
      const t2 = performance.now();
      sandbox.push(t1 - t0);
      container.push(t2 - t1);
      total.push(t2 - t0);

      const b = bare[i];
      const t3 = performance.now();
      await runDetached(oci.path, [`--root=${bareState}`, 'run', '-d', '--bundle', b.bundle, b.id]);
      bareLatency.push(performance.now() - t3);
    }
    const byProcess = cpuBetween(procs0, processCpu())
      .slice(0, 8)
      .map(([name, used]) => `${name} ${Math.round((used / N) * 10) / 10}`);
    const running = await rt.listContainers({ state: 'CONTAINER_RUNNING' });
    if (running.length !== N) throw new Error(`only ${running.length} of ${N} containers running`);
    log(`skiff: ${JSON.stringify(summary(total))} ms (sandbox ${JSON.stringify(summary(sandbox))})`);
    log(`bare ${oci.name} run -d: ${JSON.stringify(summary(bareLatency))} ms`);
    for (const [call, p50s] of Object.entries(stepReport(collected.steps))) log(`p50 per step, ${call}: ${JSON.stringify(p50s)} ms`);
    log(`CPU ms per pod and bare container, by process (with the children each reaped): ${byProcess.join(', ')}`);
  } finally {
    for (const s of await rt.listPodSandbox()) await rt.removePodSandbox(s.id);
    for (const b of bare) {
      await runCommand(oci.path, [`--root=${bareState}`, 'delete', '--force', b.id]);
      await unmountAll(path.join(b.bundle, 'rootfs'));
      await images.removeRootfs(`bench-bare-${b.id}`);
    }
    await deleteBridge(bridge);
    await removeCgroupTree(cgroupParent);
    await images.destroy().catch(() => undefined);
    await fs.rm(root, { recursive: true, force: true });
  }

  const s = summary(total);
  const sb = summary(sandbox);
  const b = summary(bareLatency);
  const ratio = Math.round((s.total / b.total) * 100) / 100;
  const result = {
    runtime: oci.name,
    n: N,
    skiff_p50_ms: s.p50,
    skiff_p99_ms: s.p99,
    skiff_total_ms: s.total,
    sandbox_p50_ms: sb.p50,
    sandbox_p99_ms: sb.p99,
    container_p50_ms: summary(container).p50,
    bare_p50_ms: b.p50,
    bare_p99_ms: b.p99,
    bare_total_ms: b.total,
    ratio,
    target_ratio: 2.0,
    target_sandbox_p99_ms: 300,
    pass: ratio <= 2.0 && sb.p99 <= 300,
    load_average_1m_at_start: loadAtStart,
    load_average_1m: Math.round(os.loadavg()[0] * 100) / 100,
    steps_p50_ms: stepReport(collected.steps),
  };
  log(`ratio of totals ${ratio} (target <= 2.0); sandbox p99 ${sb.p99} ms (target <= 300)`);
  return result;
}
