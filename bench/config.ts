// `npm run bench -- config`: what ConfigMaps and Secrets cost, as issue 20 defines it.
//  1. Fan-out of a ConfigMap update: P pods on one node (test/kubelet/harness.ts: etcd, the API
//     server, a kubelet with skiff's runtime on conmon + crun/runc) mount the same ConfigMap.
//     Each pod's busybox loop reads the file with the shell's own `read` (no fork) every
//     POLL_S and, when the content changes, writes it to its own file in a hostPath directory
//     shared with this process: the file's mtime is the moment the pod saw it, on the same
//     clock as the update, read here with a stat and no exec. Per round, after a random pause
//     (so the update falls at a random phase of the period), the ConfigMap gets a new value;
//     (seen − update) per pod, taken from just before the PUT, gives the round's median and
//     p99. The kubelet re-reads a ConfigMap once per --sync-frequency
//     (kubelet/config-source.ts), so the anchor is the sync period itself: the figure is
//     p99 ÷ sync period, at most about 1 when every pod has the update within one period (a
//     single round lands anywhere in 0..1 by the phase, plus the work). The time from the
//     first pod to the p99 is the work alone. There is no second side to alternate with, so
//     these rounds are not compare()'s; they are reported with the same spread.
//  2. API cost: creates/s of 1 KiB Secrets with encryption at rest on vs off, in alternating
//     rounds: bench/encryption.ts's encryptionCost(), the one implementation of it.
// Sizes: SKIFF_BENCH_PODS (default 100), SKIFF_BENCH_SYNC_S (the kubelet's --sync-frequency,
// default 5), SKIFF_BENCH_FANOUT_ROUNDS (default 5, at least 3), and encryption's
// SKIFF_BENCH_CREATES and SKIFF_BENCH_ROUNDS.
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ConfigMap, Pod } from '../api/types/core.js';
import { eventually, startNodeCluster, type NodeCluster } from '../test/kubelet/harness.js';
import { encryptionCost } from './encryption.js';
import { pool } from './api.js';
import { median, percentile } from './measure.js';
import { MIN_ROUNDS, spreadOf, stopIfInterrupted } from './rounds.js';

const PODS = Number(process.env.SKIFF_BENCH_PODS ?? 100);
const SYNC_MS = Number(process.env.SKIFF_BENCH_SYNC_S ?? 5) * 1000;
const ROUNDS = Number(process.env.SKIFF_BENCH_FANOUT_ROUNDS ?? 5);
const POLL_S = 0.2;
const CM = 'fanout';

const r3 = (n: number) => Math.round(n * 1000) / 1000;

/** The busybox loop: one `read` builtin per poll, one write to /out/<pod> per change. */
const WATCHER = `last=; while :; do read -r c < /cfg/value; if [ "$c" != "$last" ]; then echo "$c" > "/out/$POD"; last=$c; fi; sleep ${POLL_S}; done`;

function watcherPod(c: NodeCluster, name: string, outDir: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      nodeName: c.node,
      terminationGracePeriodSeconds: 0,
      volumes: [
        { name: 'cfg', configMap: { name: CM } },
        { name: 'out', hostPath: { path: outDir, type: 'Directory' } },
      ],
      containers: [
        {
          name: 'watch',
          image: c.image,
          command: ['sh', '-c', WATCHER],
          env: [{ name: 'POD', value: name }],
          resources: { requests: { cpu: '1m', memory: '2Mi' } },
          volumeMounts: [
            { name: 'cfg', mountPath: '/cfg' },
            { name: 'out', mountPath: '/out' },
          ],
        },
      ],
    },
  };
}

/** When each pod first showed `value` in its file (mtime, ms since the epoch); waits for all of them. */
async function seenAt(outDir: string, names: string[], value: string, timeoutMs: number): Promise<number[]> {
  const seen = new Map<string, number>();
  await eventually(
    async () => {
      await Promise.all(
        names
          .filter((n) => !seen.has(n))
          .map(async (n) => {
            // Read, then stat: the pod writes only on a change, so once the file holds `value`
            // its mtime is that write's (a stat before the read could be the previous write's).
            const f = path.join(outDir, n);
            if ((await readFile(f, 'utf8').catch(() => '')).trim() === value) seen.set(n, (await stat(f)).mtimeMs);
          }),
      );
      return seen.size === names.length;
    },
    `${names.length} pods seeing "${value}"`,
    timeoutMs,
    { intervalMs: 50 },
  );
  return names.map((n) => seen.get(n) as number);
}

interface FanoutRound {
  /** The first pod's latency: where in the period the update fell, plus one GET and one sync. */
  first: number;
  median: number;
  p99: number;
  max: number;
}

async function fanout(): Promise<Record<string, unknown>> {
  if (!(PODS > 0)) throw new Error('SKIFF_BENCH_PODS must be positive');
  if (!Number.isInteger(ROUNDS) || ROUNDS < MIN_ROUNDS) throw new Error(`SKIFF_BENCH_FANOUT_ROUNDS: ${ROUNDS}; at least ${MIN_ROUNDS}`);
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'skiff-bench-config-'));
  await chmod(outDir, 0o777);
  // Every pod is synced again each period, as `skiff up`'s kubelet does (min(10 s, sync frequency)).
  const c = await startNodeCluster({ syncFrequencyMs: SYNC_MS, resyncIntervalMs: Math.min(10_000, SYNC_MS) });
  try {
    const cms = c.admin.resourceByName<ConfigMap>('configmaps', '');
    await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: CM, namespace: c.ns }, data: { value: 'v0' } }, { namespace: c.ns });
    const names = Array.from({ length: PODS }, (_, i) => `watch-${i}`);
    const t0 = performance.now();
    await pool(PODS, 8, async (i) => {
      await c.createPod(watcherPod(c, names[i] as string, outDir));
    });
    // Running, and showing the first value: every loop is reading the mounted file.
    await seenAt(outDir, names, 'v0', 60_000 + PODS * 5_000);
    process.stdout.write(`${PODS} pods mounting ConfigMap ${CM} running in ${Math.round((performance.now() - t0) / 1000)} s; kubelet --sync-frequency ${SYNC_MS / 1000} s, pods poll every ${POLL_S} s\n`);

    const rounds: FanoutRound[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      stopIfInterrupted('fan-out');
      const value = `v${r + 1}`;
      // A round ends just after a refresh; updating at once would always wait nearly a full
      // period. A random pause puts the update at a random phase of the period, as a user's would be.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * SYNC_MS));
      const current = await cms.get(CM, { namespace: c.ns });
      const updatedAt = Date.now();
      await cms.update({ ...current, data: { value } }, { namespace: c.ns });
      const lat = (await seenAt(outDir, names, value, 3 * SYNC_MS + 60_000)).map((t) => Math.max(0, t - updatedAt)).sort((a, b) => a - b);
      const f = { first: lat[0] as number, median: median(lat), p99: percentile(lat, 99), max: lat[lat.length - 1] as number };
      rounds.push(f);
      process.stdout.write(`fan-out round ${r + 1}/${ROUNDS}: first ${Math.round(f.first)} ms, median ${Math.round(f.median)} ms, p99 ${Math.round(f.p99)} ms, max ${Math.round(f.max)} ms (first to p99 ${Math.round(f.p99 - f.first)} ms); p99/sync ${r3(f.p99 / SYNC_MS)}\n`);
    }
    const med = spreadOf(rounds.map((f) => f.median));
    const p99 = spreadOf(rounds.map((f) => f.p99));
    const ratio = spreadOf(rounds.map((f) => f.p99 / SYNC_MS));
    // The phase of the period at the update is chance; from the first pod to the 99th is the work.
    const width = spreadOf(rounds.map((f) => f.p99 - f.first));
    const ms = (s: typeof med) => `${Math.round(s.median)} ms (${Math.round(s.min)}..${Math.round(s.max)})`;
    process.stdout.write(`fan-out to ${PODS} pods: median ${ms(med)}, p99 ${ms(p99)}; p99/sync period median ${r3(ratio.median)} (spread ${r3(ratio.min)}..${r3(ratio.max)} over ${ROUNDS} rounds); first pod to p99 ${ms(width)}\n`);
    const round = (s: typeof med) => ({ median: r3(s.median), min: r3(s.min), max: r3(s.max) });
    return { pods: PODS, syncPeriodMs: SYNC_MS, pollMs: POLL_S * 1000, rounds: ROUNDS, medianMs: round(med), p99Ms: round(p99), p99OverSync: round(ratio), firstToP99Ms: round(width) };
  } finally {
    await c.teardown();
    await rm(outDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const fan = await fanout();
  const cost = await encryptionCost();
  return { fanout: fan, encryption: cost, loadAverage: Math.round((os.loadavg()[0] ?? 0) * 100) / 100 };
}
