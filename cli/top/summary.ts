// Usage figures for `skiff top`, from each kubelet's Summary API (GET /stats/summary through
// the node proxy; api/wire/stats-summary.ts has the shape), reduced to what
// metrics-server would serve: CPU in nanocores and memory as the working set. CPU is the
// kubelet's usageNanoCores when it has one; otherwise a rate between two samples of the
// cumulative usageCoreNanoSeconds, taken a moment apart, as metrics-server does.
import type { ContainerSummary, CpuStats, Summary } from '../../api/wire/stats-summary.js';
import type { RestClient } from '../../client/rest.js';
import { kubeletRequest } from '../nodes/node-proxy.js';

/** What a reading needs of a node, pod or container of the Summary. */
type Measured = Pick<ContainerSummary, 'cpu' | 'memory'>;

export type { Summary };

export interface Usage {
  /** CPU in nanocores (1e9 = one core). */
  nanoCores: number;
  workingSetBytes: number;
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

export function fetchSummary(rest: RestClient, node: string): Promise<Summary> {
  return kubeletRequest<Summary>(rest, node, '/stats/summary');
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

function needsSecondSample(s: Summary): boolean {
  const lacks = (m: Measured) => m.cpu !== undefined && m.cpu.usageNanoCores === undefined;
  return lacks(s.node) || s.pods.some((p) => lacks(p) || p.containers.some(lacks));
}

const SECOND_SAMPLE_MS = 1000;

export interface NodeSample {
  now: Summary;
  before?: Summary;
}

/**
 * The summaries of these nodes, each with its earlier sample when a rate needs one. A node
 * whose kubelet does not answer gets undefined and its error in `failed`, so the others
 * still show (kubectl top prints <unknown> for a node without metrics).
 */
export async function sampleNodes(
  rest: RestClient,
  nodes: string[],
  wait = (ms: number) => new Promise((r) => setTimeout(r, ms)),
): Promise<{ samples: (NodeSample | undefined)[]; failed: Map<string, unknown> }> {
  const failed = new Map<string, unknown>();
  const fetchAll = () =>
    Promise.all(
      nodes.map((n) =>
        failed.has(n)
          ? undefined
          : fetchSummary(rest, n).catch((err: unknown) => {
              failed.set(n, err);
              return undefined;
            }),
      ),
    );
  const first = await fetchAll();
  if (!first.some((s) => s && needsSecondSample(s))) return { samples: first.map((now) => (now ? { now } : undefined)), failed };
  await wait(SECOND_SAMPLE_MS);
  const second = await fetchAll();
  return { samples: second.map((now, i) => (now ? { now, before: first[i] } : undefined)), failed };
}

export function nodeUsage(s: NodeSample | undefined): NodeUsage | undefined {
  if (!s) return undefined;
  const cpu = cpuRate(s.now.node.cpu, s.before?.node.cpu);
  const mem = s.now.node.memory?.workingSetBytes;
  if (cpu === undefined || mem === undefined) return undefined;
  return { node: s.now.node.nodeName, nanoCores: cpu, workingSetBytes: mem };
}

export function podUsages(s: NodeSample | undefined): PodUsage[] {
  if (!s) return [];
  const out: PodUsage[] = [];
  for (const p of s.now.pods) {
    const prev = s.before?.pods.find((b) => b.podRef.uid === p.podRef.uid);
    const containers: PodUsage['containers'] = [];
    for (const c of p.containers) {
      const cpu = cpuRate(c.cpu, prev?.containers.find((b) => b.name === c.name)?.cpu);
      if (cpu === undefined || c.memory?.workingSetBytes === undefined) continue;
      containers.push({ name: c.name, nanoCores: cpu, workingSetBytes: c.memory.workingSetBytes });
    }
    // A pod is measured when every container is (metrics-server drops partial pods).
    if (containers.length === 0 || containers.length !== p.containers.length) continue;
    out.push({
      ...p.podRef,
      node: s.now.node.nodeName,
      nanoCores: containers.reduce((a, c) => a + c.nanoCores, 0),
      workingSetBytes: containers.reduce((a, c) => a + c.workingSetBytes, 0),
      containers: containers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    });
  }
  return out;
}
