// A container's cgroup settings by the kubelet's formulas: cpu.shares from the CPU request
// (the limit when there is no request), a CFS quota per 100 ms period from the CPU limit, the
// memory limit, memory+swap from the `skiff.dev/memory-swap` limit (docker's --memory-swap),
// and an OOM score by QoS class.
import { parseQuantity } from '../api/quantity.js';
import type { Container, Pod } from '../api/types/core.js';
import type { LinuxContainerResources } from '../runtime/cri.js';
import { containerRequests, qosClass } from './resources.js';

export const MEMORY_SWAP_KEY = 'skiff.dev/memory-swap';
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

export function containerResources(pod: Pod, c: Container, memoryCapacity = 0): LinuxContainerResources {
  const limits = c.resources?.limits ?? {};
  const out: LinuxContainerResources = { cpuShares: milliCpuToShares(containerRequests(c).milliCPU) };
  if (limits.cpu !== undefined) {
    out.cpuPeriod = QUOTA_PERIOD;
    out.cpuQuota = milliCpuToQuota(parseQuantity(limits.cpu).milliValue());
  }
  if (limits.memory !== undefined) out.memoryLimitInBytes = parseQuantity(limits.memory).value();
  const swap = limits[MEMORY_SWAP_KEY];
  if (swap !== undefined) {
    const v = parseQuantity(swap).value();
    out.memorySwapLimitInBytes = v < 0 ? -1 : v;
  }
  out.oomScoreAdj = oomScoreAdj(pod, c, memoryCapacity);
  return out;
}

/**
 * The pod cgroup: shares from the summed requests; quota and memory limit only when every
 * app container has that limit (one unlimited container leaves the pod unlimited).
 */
export function podResources(pod: Pod): LinuxContainerResources {
  const cs = pod.spec.containers;
  let milli = 0;
  for (const c of cs) milli += containerRequests(c).milliCPU;
  const out: LinuxContainerResources = { cpuShares: milliCpuToShares(milli) };
  if (cs.every((c) => c.resources?.limits?.cpu !== undefined)) {
    const sum = cs.reduce((n, c) => n + parseQuantity(c.resources?.limits?.cpu ?? 0).milliValue(), 0);
    out.cpuPeriod = QUOTA_PERIOD;
    out.cpuQuota = milliCpuToQuota(sum);
  }
  if (cs.every((c) => c.resources?.limits?.memory !== undefined)) {
    out.memoryLimitInBytes = cs.reduce((n, c) => n + parseQuantity(c.resources?.limits?.memory ?? 0).value(), 0);
  }
  return out;
}
