// CRI resources -> OCI `linux.resources`. The formulas from a pod's quantities to CRI
// resources are the kubelet's (kubelet/cgroup-resources.ts); the OCI runtime turns these into
// cgroup v1 or v2 files.
import type { LinuxContainerResources } from '../cri.js';

const QUOTA_PERIOD = 100_000; // µs, the default CFS period

export interface OciResources {
  devices?: { allow: boolean; access?: string; type?: string; major?: number; minor?: number }[];
  memory?: { limit?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
}

/**
 * OCI `memory.swap` is memory+swap (cgroup v1's memsw), which is docker's --memory-swap;
 * the OCI runtime converts it for cgroup v2 (memory.swap.max = swap - limit). Without a memory
 * limit, a swap total means nothing and is dropped, as docker refuses it.
 */
export function toOciResources(r: LinuxContainerResources | undefined): OciResources {
  const out: OciResources = {};
  if (!r) return out;
  if (r.memoryLimitInBytes && r.memoryLimitInBytes > 0) {
    out.memory = { limit: r.memoryLimitInBytes };
    const swap = r.memorySwapLimitInBytes;
    if (swap !== undefined && swap !== 0) out.memory.swap = swap < 0 ? -1 : Math.max(swap, r.memoryLimitInBytes);
  }
  const cpu: NonNullable<OciResources['cpu']> = {};
  if (r.cpuShares) cpu.shares = r.cpuShares;
  if (r.cpuQuota && r.cpuQuota > 0) {
    cpu.quota = r.cpuQuota;
    cpu.period = r.cpuPeriod && r.cpuPeriod > 0 ? r.cpuPeriod : QUOTA_PERIOD;
  }
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;
  return out;
}
