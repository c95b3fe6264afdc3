// The kubelet's translation of a pod's resources into cgroup settings (the only place these
// formulas live; pkg/kubelet/cm/helpers_linux.go): cpu.shares from the CPU request (the limit
// when there is no request), a CFS quota per 100 ms period from the CPU limit, the memory limit,
// memory+swap from the `skiff.dev/memory-swap` limit (docker's --memory-swap: the total, -1
// unlimited), and an OOM score by QoS class. The amounts come from api/pod-resources.ts; the
// OCI runtime turns shares into cgroup v2's cpu.weight and memory+swap into memory.swap.max.
import { containerLimits, containerMemorySwap, containerRequests, podLimits, podRequests, qosClass } from '../api/pod-resources.js';
import type { Container, Pod } from '../api/types/core.js';
import type { LinuxContainerResources } from '../runtime/cri.js';

const MIN_SHARES = 2;
const MAX_SHARES = 262144;
const SHARES_PER_CPU = 1024;
export const QUOTA_PERIOD = 100_000; // µs
const MIN_QUOTA = 1000; // µs, the kernel's floor

export function milliCpuToShares(milliCPU: number): number {
  if (milliCPU === 0) return MIN_SHARES;
  const shares = Math.floor((milliCPU * SHARES_PER_CPU) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

export function milliCpuToQuota(milliCPU: number, period = QUOTA_PERIOD): number {
  if (milliCPU === 0) return 0;
  return Math.max(MIN_QUOTA, Math.floor((milliCPU * period) / 1000));
}

/** Kubernetes' GetContainerOOMScoreAdjust: the kubelet's OOM policy by QoS class. */
export function oomScoreAdj(pod: Pod, c: Container, memoryCapacity: number): number {
  const qos = qosClass(pod);
  if (qos === 'Guaranteed') return -997;
  if (qos === 'BestEffort') return 1000;
  const req = containerRequests(c).memory;
  if (memoryCapacity <= 0) return 999;
  const adj = 1000 - Math.floor((1000 * req) / memoryCapacity);
  return Math.min(999, Math.max(2, adj));
}

/** Shares from the CPU request, a quota from the CPU limit, the memory limit (0 = no limit). */
function cgroupSettings(requestMilliCPU: number, limits: { milliCPU: number; memory: number }): LinuxContainerResources {
  const out: LinuxContainerResources = { cpuShares: milliCpuToShares(requestMilliCPU) };
  if (limits.milliCPU > 0) {
    out.cpuPeriod = QUOTA_PERIOD;
    out.cpuQuota = milliCpuToQuota(limits.milliCPU);
  }
  if (limits.memory > 0) out.memoryLimitInBytes = limits.memory;
  return out;
}

export function containerResources(pod: Pod, c: Container, memoryCapacity = 0): LinuxContainerResources {
  const out = cgroupSettings(containerRequests(c).milliCPU, containerLimits(c));
  const swap = containerMemorySwap(c);
  if (swap !== undefined) out.memorySwapLimitInBytes = swap;
  out.oomScoreAdj = oomScoreAdj(pod, c, memoryCapacity);
  return out;
}

/**
 * The pod cgroup: shares from the pod's requests; quota and memory limit from its limits, which
 * are none when one app container is unlimited (podLimits).
 */
export function podResources(pod: Pod): LinuxContainerResources {
  return cgroupSettings(podRequests(pod).milliCPU, podLimits(pod));
}
