import { describe, expect, it } from 'vitest';
import { toOciResources } from './resources.js';

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
