// `npm run bench -- workloads [--nodes N] [--replicas R] [--rounds K]`
// A Deployment's controllers against the scheduler benchmark's path, measured in this run.
// Started as the scheduler benchmark starts the parts (bench/scheduler.ts): etcd with mutual
// TLS, a `skiff apiserver` process serving HTTPS only with bearer tokens, in this process the
// scheduler with its own token and the default profile, and N hollow nodes
// (test/fixtures/hollow-nodes.ts) that mark their pods Running and Ready and finish graceful
// deletions as a kubelet would. The controllers run as in production: a `skiff
// controller-manager` process of its own (every controller of cmd/controller-manager.ts, its
// own token, default flags) against the same API server.
// Measured, in K >= 3 alternating rounds (bench/rounds.ts):
//  - skiff: a Deployment made at 0 replicas, then scaled to R: pods/s from the scale request to
//    the last of its R pods bound; then a rolling update of all R (a template change, maxSurge
//    25 %, maxUnavailable 25 %): seconds until the Deployment reports the rollout complete (as
//    `kubectl rollout status` reads it), and its ratio to the scale-up's seconds;
//  - anchor: R pods of the same spec created directly through the API by 48 clients (the
//    scheduler benchmark's path), pods/s from the first create to the last bound.
// Goal: median ratio >= 0.8 (the controllers add at most 20 %). Between measurements the
// Deployment (or the direct pods) is deleted and the round waits until its pods are gone. CPU ms
// per pod of each process (API server, etcd, controller-manager, this process: scheduler,
// hollow nodes, clients) show where the time goes.
// SKIFF_BENCH_PROFILE_DIR=DIR makes the controller-manager and the API server write V8 CPU
// profiles into DIR; each round then prints its scale-up's and rollout's windows on the
// monotonic clock the profiles' timestamps use (µs), to cut a profile down to one of them.
// SKIFF_BENCH_TIMELINE=1 prints, after each measurement, its pods created and bound per 250 ms.
// Defaults are sized for a shared 2-core machine (a full run takes a few minutes); the issue's
// 1,000 nodes and 10,000 replicas are `--nodes 1000 --replicas 10000`.
// Anchor for context, not measured: kube-controller-manager creates pods at its client's QPS
// (--kube-api-qps 20, burst 30, by default; often raised to 100-200).
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Deployment } from '../api/types/apps.js';
import type { Pod, PodSpec } from '../api/types/core.js';
import { isApiError } from '../api/errors.js';
import { buildKubeconfig, writeKubeconfig } from '../client/kubeconfig.js';
import { createLogger } from '../cmd/log.js';
import { defaultConfig } from '../scheduler/framework/profile.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { startControlPlane } from './_control-plane.js';
import { startHollowNodes } from '../test/fixtures/hollow-nodes.js';
import { repoRoot, skiffEntry, startProcess } from '../test/fixtures/process.js';
import { cpuMs, intArg, median, selfCpuMs, stopAll } from './measure.js';
import { compare, spreadOf, stopIfInterrupted, summary } from './rounds.js';

const NODE = { cpu: '32', memory: '64Gi', pods: 110 };
const CREATORS = 48;
const APP = 'web-bench';
const NS_DEPLOY = 'workloads';
const NS_DIRECT = 'direct';
const KCM_QPS = 20;

/** `performance.now()` milliseconds as µs of the monotonic clock (CPU profiles' timestamps). */
const monotonicUs = (ms: number) => Math.round(Number(process.hrtime.bigint() / 1000n) - (performance.now() - ms) * 1000);

function say(o: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

const podSpec = (): PodSpec => ({ containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] });

function deployment(): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: APP },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: APP } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { metadata: { labels: { app: APP } }, spec: podSpec() },
    },
  };
}

const directPod = (i: number): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `direct-${i}`, labels: { app: 'direct-bench' } }, spec: podSpec() });

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

interface CpuPerPod {
  apiserver: number;
  etcd: number;
  controllerManager: number;
  schedulerNodesAndClients: number;
}

export async function run(args: string[] = []): Promise<Record<string, unknown>> {
  const nodeCount = intArg(args, 'nodes', 100);
  const replicas = intArg(args, 'replicas', 1000);
  const rounds = intArg(args, 'rounds', 3);
  if (nodeCount * NODE.pods < Math.ceil(replicas * 1.25)) throw new Error(`${nodeCount} nodes of ${NODE.pods} pods cannot hold ${replicas} replicas and a 25 % surge`);
  say({ phase: 'machine', cpus: os.cpus().length, loadAverage: os.loadavg()[0], nodes: nodeCount, replicas, rounds });

  const stops: (() => Promise<void> | void)[] = [];
  const ac = new AbortController();
  try {
    const { etcd, api, ca, admin, schedulerClient } = await startControlPlane(stops);
    const deployments = admin.resourceByName<Deployment>('deployments', 'apps');

    const regStart = performance.now();
    const nodes = await startHollowNodes({ client: admin, count: nodeCount, ...NODE, finishDeletion: true, concurrency: 64 });
    stops.push(() => nodes.stop());
    say({ phase: 'nodes registered', nodes: nodeCount, seconds: +((performance.now() - regStart) / 1000).toFixed(1) });

    // The controller-manager as `skiff controller-manager` runs: its own process, token and kubeconfig.
    const kubeconfig = path.join(path.dirname(api.caFile as string), '..', 'controller-manager.kubeconfig');
    await writeKubeconfig(kubeconfig, buildKubeconfig({ server: api.url, token: api.controllerManagerToken, ca, name: 'controller-manager' }));
    // SKIFF_BENCH_PROFILE_DIR=DIR: the controller-manager writes a V8 CPU profile there when it stops.
    const profileDir = process.env.SKIFF_BENCH_PROFILE_DIR;
    const cm = startProcess(process.execPath, [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), skiffEntry, 'controller-manager', `--kubeconfig=${kubeconfig}`], {
      cwd: repoRoot,
      env: { ...process.env, SKIFF_LOG_JSON: '1', SKIFF_LOG_LEVEL: process.env.SKIFF_BENCH_LOG_LEVEL ?? 'warn' },
    });
    stops.push(() => cm.stop());

    const log = createLogger('scheduler', process.env.SKIFF_BENCH_LOG_LEVEL ?? 'warn');
    const scheduler = new Scheduler({ client: schedulerClient, config: defaultConfig(), logger: log, identity: `bench_${randomBytes(4).toString('hex')}` });
    const running = scheduler.run(ac.signal);
    stops.push(() => running);
    stops.push(() => ac.abort());
    await until('the scheduler to see every node', async () => scheduler.pods.hasSynced && scheduler.nodes.hasSynced && scheduler.cache.nodeCount >= nodeCount, 300_000, 50);
    for (const ns of [NS_DEPLOY, NS_DIRECT]) await admin.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });

    // Pods bound in the measurement in progress (one namespace), counted as the scheduler binds them.
    let current: { ns: string; count: number; bound: number; lastBound: number; all: () => void } | undefined;
    scheduler.onBound((e) => {
      const c = current;
      if (!c || e.pod.metadata.namespace !== c.ns) return;
      c.lastBound = performance.now();
      if (++c.bound === c.count) c.all();
    });
    // SKIFF_BENCH_TIMELINE=1: pods of the measured namespace seen created and bound per 250 ms,
    // printed after each measurement (where a path stalls).
    const timeline = process.env.SKIFF_BENCH_TIMELINE ? { ns: '', t0: 0, created: [] as number[], bound: [] as number[] } : undefined;
    const bucket = (xs: number[]) => {
      if (!timeline) return;
      const i = Math.floor((performance.now() - timeline.t0) / 250);
      xs[i] = (xs[i] ?? 0) + 1;
    };
    scheduler.pods.on('add', (p) => {
      if (timeline && p.metadata.namespace === timeline.ns) bucket(timeline.created);
    });
    scheduler.onBound((e) => {
      if (timeline && e.pod.metadata.namespace === timeline.ns) bucket(timeline.bound);
    });
    const counting = (ns: string, count: number) => {
      if (timeline) Object.assign(timeline, { ns, t0: performance.now(), created: [], bound: [] });
      let all: () => void = () => {};
      const done = new Promise<void>((r) => (all = r));
      const c = { ns, count, bound: 0, lastBound: 0, all };
      current = c;
      const ticker = setInterval(() => say({ phase: 'progress', namespace: ns, bound: c.bound, of: count }), 5000);
      const wait = async () => {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((r) => (timer = setTimeout(r, Math.max(120_000, count * 100))));
        await Promise.race([done, deadline, running]);
        clearTimeout(timer);
        clearInterval(ticker);
        current = undefined;
        if (timeline) {
          const dense = (xs: number[]) => Array.from(xs, (x) => x ?? 0).join(' ');
          say({ phase: 'timeline per 250 ms', namespace: ns, created: dense(timeline.created), bound: dense(timeline.bound) });
          timeline.ns = '';
        }
        if (c.bound < count) throw new Error(`${count - c.bound} of ${count} pods in ${ns} left unbound`);
        return c.lastBound;
      };
      return wait;
    };
    const podsGone = (ns: string) => until(`the pods of ${ns} to be gone`, async () => (await admin.pods.list({ namespace: ns, limit: 1 })).items.length === 0, Math.max(300_000, replicas * 100), 500);
    const cpuNow = () => ({ api: cpuMs(api.proc?.pid), etcd: cpuMs(etcd.proc.pid), cm: cpuMs(cm.pid), self: selfCpuMs() });
    const cpuPerPod = (before: ReturnType<typeof cpuNow>, pods: number): CpuPerPod => {
      const now = cpuNow();
      const per = (ms: number) => Math.round((ms / pods) * 1000) / 1000;
      return { apiserver: per(now.api - before.api), etcd: per(now.etcd - before.etcd), controllerManager: per(now.cm - before.cm), schedulerNodesAndClients: per(now.self - before.self) };
    };

    /** The Deployment at 0, scaled to `count`: seconds from the scale request to the last bound. */
    const scaleUp = async (count: number) => {
      const made = await deployments.create(deployment(), { namespace: NS_DEPLOY });
      await until('the Deployment controller to observe the Deployment', async () => {
        if (cm.child.exitCode !== null) throw new Error(`the controller-manager exited: ${cm.output()}`);
        const d = await deployments.get(APP, { namespace: NS_DEPLOY });
        return (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 1);
      }, 60_000);
      const wait = counting(NS_DEPLOY, count);
      const started = performance.now();
      await deployments.patch(APP, { spec: { replicas: count } }, { namespace: NS_DEPLOY });
      const last = await wait();
      return { seconds: (last - started) / 1000, uid: made.metadata.uid, window: [monotonicUs(started), monotonicUs(last)] };
    };
    /** A template change rolled out over all `count` replicas: seconds until the rollout is complete. */
    const rollout = async (count: number, round: number) => {
      const started = performance.now();
      const patched = await deployments.patch(APP, { spec: { template: { metadata: { annotations: { 'bench.skiff.dev/round': String(round) } } } } }, { namespace: NS_DEPLOY });
      const generation = patched.metadata.generation ?? 0;
      await until('the rolling update to complete', async () => {
        const s = (await deployments.get(APP, { namespace: NS_DEPLOY })).status;
        return (s?.observedGeneration ?? 0) >= generation && s?.updatedReplicas === count && s?.replicas === count && s?.availableReplicas === count;
      }, Math.max(300_000, count * 200));
      const ended = performance.now();
      return { seconds: (ended - started) / 1000, window: [monotonicUs(started), monotonicUs(ended)] };
    };
    const deleteDeployment = async () => {
      await deployments.delete(APP, { namespace: NS_DEPLOY, propagationPolicy: 'Background' });
      await podsGone(NS_DEPLOY);
    };
    /** `count` pods created directly by 48 clients: seconds from the first create to the last bound. */
    const direct = async (count: number) => {
      const wait = counting(NS_DIRECT, count);
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: CREATORS }, async () => {
          while (next < count) await admin.pods.createOnly(directPod(next++), { namespace: NS_DIRECT });
        }),
      );
      const last = await wait();
      return { seconds: (last - started) / 1000, window: [monotonicUs(started), monotonicUs(last)] };
    };
    // One DELETE per pod, 48 at once, as they were made: a deleteCollection of 10,000 pods
    // outlasts the client's 30 s request timeout on a loaded machine.
    const deleteDirect = async (count: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CREATORS }, async () => {
          while (next < count) {
            const name = `direct-${next++}`;
            await admin.pods.delete(name, { namespace: NS_DIRECT }).catch((err: unknown) => {
              if (!isApiError(err, 'NotFound')) throw err;
            });
          }
        }),
      );
      await podsGone(NS_DIRECT);
    };

    // Warm-up (JIT, connections, informers) on both paths.
    const warm = Math.min(200, replicas);
    await scaleUp(warm);
    await deleteDeployment();
    await direct(warm);
    await deleteDirect(warm);
    say({ phase: 'warmed up', pods: warm });

    const rollouts: { seconds: number; ratioToScaleUp: number }[] = [];
    const scaleSeconds: number[] = [];
    const cpu: { deployment: CpuPerPod[]; rollout: CpuPerPod[]; direct: CpuPerPod[] } = { deployment: [], rollout: [], direct: [] };
    const comparison = await compare({
      name: `Deployment 0 -> ${replicas} on ${nodeCount} nodes`,
      unit: '/s',
      rounds,
      higherIsBetter: true,
      target: 0.8,
      skiff: {
        label: 'Deployment scale-up pods bound',
        measure: async (r) => {
          let before = cpuNow();
          const up = await scaleUp(replicas);
          cpu.deployment.push(cpuPerPod(before, replicas));
          scaleSeconds.push(up.seconds);
          stopIfInterrupted('workloads');
          before = cpuNow();
          const { seconds, window } = await rollout(replicas, r);
          cpu.rollout.push(cpuPerPod(before, replicas));
          rollouts.push({ seconds, ratioToScaleUp: seconds / up.seconds });
          const windows = process.env.SKIFF_BENCH_PROFILE_DIR ? { profileWindowsUs: { scaleUp: up.window, rollout: window } } : {};
          say({ phase: 'skiff round', round: r + 1, scaleUpSeconds: +up.seconds.toFixed(2), rolloutSeconds: +seconds.toFixed(2), cpuMsPerPod: { scaleUp: cpu.deployment.at(-1), rollout: cpu.rollout.at(-1) }, ...windows });
          await deleteDeployment();
          return replicas / up.seconds;
        },
      },
      anchor: {
        label: 'pods created directly, bound',
        measure: async () => {
          const before = cpuNow();
          const { seconds, window } = await direct(replicas);
          cpu.direct.push(cpuPerPod(before, replicas));
          const windows = process.env.SKIFF_BENCH_PROFILE_DIR ? { profileWindowUs: window } : {};
          say({ phase: 'anchor round', seconds: +seconds.toFixed(2), cpuMsPerPod: cpu.direct.at(-1), ...windows });
          await deleteDirect(replicas);
          return replicas / seconds;
        },
      },
    });

    const rolloutSpread = spreadOf(rollouts.map((x) => x.seconds));
    const rolloutRatio = spreadOf(rollouts.map((x) => x.ratioToScaleUp));
    const r3 = (n: number) => Math.round(n * 1000) / 1000;
    const medCpu = (xs: CpuPerPod[]): CpuPerPod => ({
      apiserver: r3(median(xs.map((x) => x.apiserver))),
      etcd: r3(median(xs.map((x) => x.etcd))),
      controllerManager: r3(median(xs.map((x) => x.controllerManager))),
      schedulerNodesAndClients: r3(median(xs.map((x) => x.schedulerNodesAndClients))),
    });
    const result = {
      nodes: nodeCount,
      replicas,
      rounds,
      scaleUp: summary(comparison),
      scaleUpSeconds: { median: r3(median(scaleSeconds)), min: r3(Math.min(...scaleSeconds)), max: r3(Math.max(...scaleSeconds)) },
      rollout: { seconds: { median: r3(rolloutSpread.median), min: r3(rolloutSpread.min), max: r3(rolloutSpread.max) }, ratioToScaleUp: { median: r3(rolloutRatio.median), min: r3(rolloutRatio.min), max: r3(rolloutRatio.max) }, maxSurge: '25%', maxUnavailable: '25%' },
      cpuMsPerPod: { deploymentScaleUp: medCpu(cpu.deployment), rollout: medCpu(cpu.rollout), direct: medCpu(cpu.direct) },
      leaseRenewalFailures: nodes.leaseFailures(),
      loadAverage: os.loadavg()[0],
      kubeControllerManagerAnchor: { note: 'not measured: pod creates at client QPS', qps: KCM_QPS, podsPerSecond: KCM_QPS, secondsFor: Math.round(replicas / KCM_QPS) },
    };
    say({ phase: 'rolling update', ...result.rollout });
    return result;
  } finally {
    ac.abort();
    await stopAll(stops);
  }
}
