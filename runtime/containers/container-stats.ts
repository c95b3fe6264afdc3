// ContainerStats: CPU and memory read from the container's cgroup (cAdvisor's definitions:
// working set = usage minus inactive file pages), writable layer size left out (overlay upper
// dirs are the image provider's).
import type { ContainerFilter, ContainerStats } from '../cri.js';
import { readStats } from '../oci/cgroups.js';
import type { ContainerRecord, RuntimeContext } from '../runtime-context.js';
import { getContainer } from './container-state.js';
import { listContainers } from './container-status.js';

async function statsOf(rec: ContainerRecord): Promise<ContainerStats> {
  const now = Date.now() * 1_000_000;
  const s = await readStats(rec.cgroupsPath);
  const out: ContainerStats = {
    attributes: {
      id: rec.id,
      metadata: { name: rec.config.metadata.name, attempt: rec.config.metadata.attempt ?? 0 },
      labels: rec.config.labels ?? {},
      annotations: rec.config.annotations ?? {},
    },
  };
  if (s.cpuUsageNs !== undefined) out.cpu = { timestamp: now, usageCoreNanoSeconds: s.cpuUsageNs };
  if (s.workingSet !== undefined) out.memory = { timestamp: now, workingSetBytes: s.workingSet, usageBytes: s.memoryUsage, rssBytes: s.rss };
  return out;
}

export async function containerStats(ctx: RuntimeContext, idOrPrefix: string): Promise<ContainerStats> {
  return statsOf(getContainer(ctx, idOrPrefix));
}

export async function listContainerStats(ctx: RuntimeContext, filter: ContainerFilter = {}): Promise<ContainerStats[]> {
  const list = await listContainers(ctx, filter);
  return Promise.all(list.map((c) => statsOf(getContainer(ctx, c.id))));
}
