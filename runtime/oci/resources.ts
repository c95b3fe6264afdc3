// CRI resources -> OCI `linux.resources`, and the kubelet's formulas from Kubernetes
// quantities to CRI resources (pkg/kubelet/cm/helpers_linux.go): shares from the CPU request
// (the limit when there is no request), CFS quota from the CPU limit per 100 ms period,
// memory from the limit. The OCI runtime turns these into cgroup v1 or v2 files.
import type { LinuxContainerResources } from '../cri.js';

export const MIN_SHARES = 2;
export const MAX_SHARES = 262144;
export const SHARES_PER_CPU = 1024;
export const QUOTA_PERIOD = 100_000; // µs
export const MIN_QUOTA_PERIOD = 1000; // µs, the kernel's floor

export function milliCpuToShares(milliCpu: number): number {
  if (milliCpu === 0) return MIN_SHARES;
  const shares = Math.floor((milliCpu * SHARES_PER_CPU) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

export function milliCpuToQuota(milliCpu: number, period = QUOTA_PERIOD): number {
  if (milliCpu === 0) return 0;
  return Math.max(MIN_QUOTA_PERIOD, Math.floor((milliCpu * period) / 1000));
}

export interface KubeResources {
  requestMilliCpu?: number;
  limitMilliCpu?: number;
  limitMemoryBytes?: number;
  /** `skiff.dev/memory-swap`: memory+swap total in bytes, -1 unlimited (docker's --memory-swap). */
  memorySwapBytes?: number;
}

export function kubeToLinuxResources(r: KubeResources): LinuxContainerResources {
  const out: LinuxContainerResources = {};
  const sharesFrom = r.requestMilliCpu ?? r.limitMilliCpu;
  if (sharesFrom !== undefined) out.cpuShares = milliCpuToShares(sharesFrom);
  if (r.limitMilliCpu !== undefined && r.limitMilliCpu > 0) {
    out.cpuPeriod = QUOTA_PERIOD;
    out.cpuQuota = milliCpuToQuota(r.limitMilliCpu);
  }
  if (r.limitMemoryBytes !== undefined && r.limitMemoryBytes > 0) out.memoryLimitInBytes = r.limitMemoryBytes;
  if (r.memorySwapBytes !== undefined) out.memorySwapLimitInBytes = r.memorySwapBytes;
  return out;
}

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
