import { describe, expect, it } from 'vitest';
import { kubeToLinuxResources, milliCpuToQuota, milliCpuToShares, toOciResources } from './resources.js';

describe('kubelet CPU formulas', () => {
  it('computes shares as max(2, milli*1024/1000)', () => {
    expect(milliCpuToShares(0)).toBe(2);
    expect(milliCpuToShares(1)).toBe(2);
    expect(milliCpuToShares(250)).toBe(256);
    expect(milliCpuToShares(500)).toBe(512);
    expect(milliCpuToShares(1000)).toBe(1024);
    expect(milliCpuToShares(1500)).toBe(1536);
  });
  it('computes the CFS quota per 100 ms period with the kernel floor', () => {
    expect(milliCpuToQuota(1500)).toBe(150000);
    expect(milliCpuToQuota(1)).toBe(1000);
    expect(milliCpuToQuota(0)).toBe(0);
  });
  it('takes shares from the request, or the limit when there is no request', () => {
    expect(kubeToLinuxResources({ requestMilliCpu: 250, limitMilliCpu: 2000 })).toEqual({ cpuShares: 256, cpuPeriod: 100000, cpuQuota: 200000 });
    expect(kubeToLinuxResources({ limitMilliCpu: 500 })).toMatchObject({ cpuShares: 512, cpuQuota: 50000 });
    expect(kubeToLinuxResources({ limitMemoryBytes: 200 * 2 ** 20, memorySwapBytes: 2 ** 30 })).toEqual({ memoryLimitInBytes: 209715200, memorySwapLimitInBytes: 1073741824 });
  });
});

describe('toOciResources', () => {
  it('maps memory, memory+swap and CPU', () => {
    expect(toOciResources({ memoryLimitInBytes: 100, memorySwapLimitInBytes: 300, cpuShares: 512, cpuQuota: 150000 })).toEqual({
      memory: { limit: 100, swap: 300 },
      cpu: { shares: 512, quota: 150000, period: 100000 },
    });
  });
  it('keeps -1 (unlimited swap) and never sets memory+swap below memory', () => {
    expect(toOciResources({ memoryLimitInBytes: 100, memorySwapLimitInBytes: -1 }).memory).toEqual({ limit: 100, swap: -1 });
    expect(toOciResources({ memoryLimitInBytes: 100, memorySwapLimitInBytes: 50 }).memory).toEqual({ limit: 100, swap: 100 });
  });
  it('drops swap without a memory limit', () => {
    expect(toOciResources({ memorySwapLimitInBytes: 300 })).toEqual({});
  });
});
