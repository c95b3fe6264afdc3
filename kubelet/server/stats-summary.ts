// GET /stats/summary: the Summary API (k8s.io/kubelet/pkg/apis/stats/v1alpha1) cut down to
// what `top` needs: node CPU and memory from /proc, each running container's from the CRI's
// ContainerStats, summed per pod. usageNanoCores is a rate, so it needs the previous sample
// of the same container (or node); the first sample of a container averages over its life.
// The shape is declared once in api/wire/stats-summary.ts, where `skiff top` reads it too.
import fs from 'node:fs/promises';
import os from 'node:os';
import type { Pod } from '../../api/types/core.js';
import type { ContainerSummary, CpuStats, MemoryStats, PodSummary, Summary } from '../../api/wire/stats-summary.js';
import type { ContainerStats, ImageService, RuntimeService } from '../../runtime/cri.js';
import { LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from '../labels.js';
import { metaTime } from '../../api/time.js';

export type { CpuStats, MemoryStats, ContainerSummary, PodSummary, Summary };

/** USER_HZ: /proc/stat counts clock ticks of 10 ms on every Linux architecture skiff runs on. */
const NS_PER_TICK = 10_000_000;

async function nodeCpuNs(): Promise<number | undefined> {
  const text = await fs.readFile('/proc/stat', 'utf8').catch(() => '');
  const m = /^cpu\s+(.*)$/m.exec(text);
  if (!m) return undefined;
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
  const f = m[1].trim().split(/\s+/).map(Number);
  const busy = f[0] + f[1] + f[2] + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return busy * NS_PER_TICK;
}

async function nodeMemory(time: string): Promise<MemoryStats | undefined> {
  const text = await fs.readFile('/proc/meminfo', 'utf8').catch(() => '');
  const kb = (k: string) => {
    const m = new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  const free = kb('MemFree');
  if (total === undefined || available === undefined) return undefined;
  return { time, availableBytes: available, usageBytes: total - (free ?? available), workingSetBytes: total - available };
}

export interface SummaryDeps {
  nodeName: string;
  runtime: RuntimeService;
  images: ImageService;
  pods(): Pod[];
}

export class SummaryProvider {
  readonly #d: SummaryDeps;
  /** id -> previous cumulative CPU sample (ns timestamp, core-ns used) */
  readonly #last = new Map<string, { at: number; used: number }>();
  readonly #bootMs: number;

  constructor(deps: SummaryDeps) {
    this.#d = deps;
    // The node's start is the machine's boot, as the kubelet reports it.
    this.#bootMs = Date.now() - Math.round(os.uptime() * 1000);
  }

  #cpu(key: string, at: number, used: number, startedAt: number | undefined): CpuStats {
    const prev = this.#last.get(key);
    this.#last.set(key, { at, used });
    const since = prev ?? (startedAt !== undefined ? { at: startedAt, used: 0 } : undefined);
    const dt = since ? at - since.at : 0;
    const out: CpuStats = { time: metaTime(at / 1e6), usageCoreNanoSeconds: used };
    if (since && dt > 0) out.usageNanoCores = Math.max(0, Math.round(((used - since.used) / dt) * 1e9));
    return out;
  }

  async summary(): Promise<Summary> {
    const { runtime, images } = this.#d;
    const nowNs = Date.now() * 1e6;
    const time = metaTime(nowNs / 1e6);
    const [stats, containers, fsInfo, cpuNs, memory] = await Promise.all([
      runtime.listContainerStats({ state: 'CONTAINER_RUNNING' }),
      runtime.listContainers({ state: 'CONTAINER_RUNNING' }),
      images.imageFsInfo().catch(() => []),
      nodeCpuNs(),
      nodeMemory(time),
    ]);
    const created = new Map(containers.map((c) => [c.id, c.createdAt]));
    const apiPods = new Map(this.#d.pods().map((p) => [p.metadata.uid ?? '', p]));
    const byPod = new Map<string, PodSummary>();
    const seen = new Set<string>();
    for (const s of stats) {
      const uid = s.attributes.labels[LABEL_POD_UID];
      if (!uid) continue;
      seen.add(s.attributes.id);
      let pod = byPod.get(uid);
      if (!pod) {
        const api = apiPods.get(uid);
        pod = {
          podRef: { uid, name: s.attributes.labels[LABEL_POD_NAME] ?? '', namespace: s.attributes.labels[LABEL_POD_NAMESPACE] ?? '' },
          ...(api?.status?.startTime ? { startTime: api.status.startTime } : {}),
          containers: [],
        };
        byPod.set(uid, pod);
      }
      pod.containers.push(this.#container(s, created.get(s.attributes.id), time));
    }
    // Forget containers that stopped, so the cache does not grow with every restart.
    for (const k of this.#last.keys()) if (k !== 'node' && !seen.has(k)) this.#last.delete(k);
    for (const p of byPod.values()) sumPod(p, time);
    const fs0 = fsInfo[0];
    return {
      node: {
        nodeName: this.#d.nodeName,
        startTime: metaTime(this.#bootMs),
        ...(cpuNs !== undefined ? { cpu: this.#cpu('node', nowNs, cpuNs, undefined) } : {}),
        ...(memory ? { memory } : {}),
        ...(fs0 ? { runtime: { imageFs: { time, usedBytes: fs0.usedBytes, inodesUsed: fs0.inodesUsed } } } : {}),
      },
      pods: [...byPod.values()],
    };
  }

  #container(s: ContainerStats, createdNs: number | undefined, time: string): ContainerSummary {
    const name = s.attributes.labels[LABEL_CONTAINER_NAME] ?? s.attributes.metadata.name;
    const c: ContainerSummary = { name, ...(createdNs ? { startTime: metaTime(createdNs / 1e6) } : {}) };
    if (s.cpu) c.cpu = this.#cpu(s.attributes.id, s.cpu.timestamp, s.cpu.usageCoreNanoSeconds, createdNs);
    if (s.memory) c.memory = { time, workingSetBytes: s.memory.workingSetBytes, usageBytes: s.memory.usageBytes, rssBytes: s.memory.rssBytes };
    return c;
  }
}

function sumPod(p: PodSummary, time: string): void {
  const cpus = p.containers.flatMap((c) => (c.cpu ? [c.cpu] : []));
  const mems = p.containers.flatMap((c) => (c.memory ? [c.memory] : []));
  if (cpus.length) {
    p.cpu = { time, usageCoreNanoSeconds: cpus.reduce((a, c) => a + c.usageCoreNanoSeconds, 0) };
    if (cpus.every((c) => c.usageNanoCores !== undefined)) p.cpu.usageNanoCores = cpus.reduce((a, c) => a + (c.usageNanoCores ?? 0), 0);
  }
  if (mems.length) {
    p.memory = {
      time,
      workingSetBytes: mems.reduce((a, m) => a + m.workingSetBytes, 0),
      usageBytes: mems.reduce((a, m) => a + (m.usageBytes ?? 0), 0),
      rssBytes: mems.reduce((a, m) => a + (m.rssBytes ?? 0), 0),
    };
  }
}
