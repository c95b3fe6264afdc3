// What a node, pod and container use, read from kubelets' Summary API (GET /stats/summary,
// api/wire/stats-summary.ts) and reduced to what metrics-server serves: CPU in nanocores and
// memory as the working set. The one rule for `skiff top` (cli/top/, through the node proxy)
// and the API server's metrics.k8s.io (apiserver/resource-metrics.ts, with its client
// certificate): CPU is the kubelet's usageNanoCores when it has one; otherwise a rate between
// two samples of the cumulative usageCoreNanoSeconds, taken a moment apart, as metrics-server
// does between its scrapes.
import type { ContainerSummary, CpuStats, Summary } from '../wire/stats-summary.js';

/** What a reading needs of a node, pod or container of the Summary. */
type Measured = Pick<ContainerSummary, 'cpu' | 'memory'>;

export interface Usage {
  /** CPU in nanocores (1e9 = one core). */
  nanoCores: number;
  workingSetBytes: number;
  /** When the CPU sample was taken (RFC 3339), metrics-server's `timestamp`. */
  timestamp: string;
  /** The span the CPU rate covers, in ms (metrics-server's `window`). */
  windowMs: number;
}

export interface NodeUsage extends Usage {
  node: string;
}

export interface PodUsage extends Usage {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  containers: (Usage & { name: string })[];
}

/** A node's latest summary and, when a rate needs it or one is at hand, an earlier one. */
export interface NodeSample {
  now: Summary;
  before?: Summary;
}

/** A CPU rate: the kubelet's own, else the slope between two cumulative samples. */
export function cpuRate(now: CpuStats | undefined, before: CpuStats | undefined): number | undefined {
  if (now?.usageNanoCores !== undefined) return now.usageNanoCores;
  if (now?.usageCoreNanoSeconds === undefined || before?.usageCoreNanoSeconds === undefined) return undefined;
  const dt = Date.parse(now.time) - Date.parse(before.time);
  if (!(dt > 0)) return undefined;
  // Core-nanoseconds per millisecond of wall time, times 1e3: nanocores (1e9 = one core busy).
  return Math.max(0, ((now.usageCoreNanoSeconds - before.usageCoreNanoSeconds) / dt) * 1e3);
}

/**
 * The span a rate covers: between the two samples when there are two (skiff's kubelet rates
 * a container since its previous sample, which is the earlier one when only one reader asks);
 * with one sample, the kubelet's first rate of a container, which averages over its life.
 */
function windowOf(now: CpuStats, before: CpuStats | undefined, startTime: string | undefined): number {
  const from = before?.time ?? startTime;
  const dt = from === undefined ? 0 : Date.parse(now.time) - Date.parse(from);
  return Number.isFinite(dt) && dt > 0 ? dt : 0;
}

function reading(now: Measured & { startTime?: string }, before: Measured | undefined): Usage | undefined {
  const cpu = cpuRate(now.cpu, before?.cpu);
  const mem = now.memory?.workingSetBytes;
  if (cpu === undefined || mem === undefined || !now.cpu) return undefined;
  return { nanoCores: cpu, workingSetBytes: mem, timestamp: now.cpu.time, windowMs: windowOf(now.cpu, before?.cpu, now.startTime) };
}

export function needsSecondSample(s: Summary): boolean {
  const lacks = (m: Measured) => m.cpu !== undefined && m.cpu.usageNanoCores === undefined;
  return lacks(s.node) || s.pods.some((p) => lacks(p) || p.containers.some(lacks));
}

/** How long apart the two samples of a rate are taken when the kubelet gave none. */
export const SECOND_SAMPLE_MS = 1000;

/**
 * The summaries of these nodes, each with an earlier sample when a rate needs one: the
 * caller's `previous` one (a cache of the last reading), else a second reading taken
 * SECOND_SAMPLE_MS after the first. A node whose kubelet does not answer gets undefined and
 * its error in `failed`, so the others still show.
 */
export async function sampleSummaries(
  nodes: string[],
  fetch: (node: string) => Promise<Summary>,
  opts: { previous?: (node: string) => Summary | undefined; wait?: (ms: number) => Promise<unknown> } = {},
): Promise<{ samples: (NodeSample | undefined)[]; failed: Map<string, unknown> }> {
  const failed = new Map<string, unknown>();
  const read = (n: string) =>
    fetch(n).catch((err: unknown) => {
      failed.set(n, err);
      return undefined;
    });
  const first = await Promise.all(nodes.map(read));
  const previous = nodes.map((n) => opts.previous?.(n));
  const again = nodes.map((_, i) => first[i] !== undefined && previous[i] === undefined && needsSecondSample(first[i]));
  if (!again.includes(true)) return { samples: first.map((now, i) => (now ? { now, before: previous[i] } : undefined)), failed };
  await (opts.wait ?? ((ms: number) => new Promise((r) => setTimeout(r, ms))))(SECOND_SAMPLE_MS);
  const second = await Promise.all(nodes.map((n, i) => (again[i] ? read(n) : first[i])));
  return {
    samples: second.map((now, i) => (now ? { now, before: again[i] ? first[i] : previous[i] } : undefined)),
    failed,
  };
}

export function nodeUsage(s: NodeSample | undefined): NodeUsage | undefined {
  if (!s) return undefined;
  const u = reading(s.now.node, s.before?.node);
  return u && { node: s.now.node.nodeName, ...u };
}

export function podUsages(s: NodeSample | undefined): PodUsage[] {
  if (!s) return [];
  const out: PodUsage[] = [];
  for (const p of s.now.pods) {
    const prev = s.before?.pods.find((b) => b.podRef.uid === p.podRef.uid);
    const containers: PodUsage['containers'] = [];
    for (const c of p.containers) {
      const u = reading(c, prev?.containers.find((b) => b.name === c.name));
      if (u) containers.push({ name: c.name, ...u });
    }
    // A pod is measured when every container is (metrics-server drops partial pods).
    if (containers.length === 0 || containers.length !== p.containers.length) continue;
    containers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // The pod's timestamp and window are its containers' earliest, as metrics-server's.
    const earliest = containers.reduce((a, c) => (Date.parse(c.timestamp) < Date.parse(a.timestamp) ? c : a));
    out.push({
      ...p.podRef,
      node: s.now.node.nodeName,
      nanoCores: containers.reduce((a, c) => a + c.nanoCores, 0),
      workingSetBytes: containers.reduce((a, c) => a + c.workingSetBytes, 0),
      timestamp: earliest.timestamp,
      windowMs: earliest.windowMs,
      containers,
    });
  }
  return out;
}
