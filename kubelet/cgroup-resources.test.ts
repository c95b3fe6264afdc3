import { describe, expect, it } from 'vitest';
import type { Container } from '../api/types/core.js';
import { containerResources, milliCpuToQuota, milliCpuToShares, podResources } from './cgroup-resources.js';
import { makePod } from './testing/builders.js';

const withRes = (resources: Container['resources'], name = 'app'): Container => ({ name, image: 'x', resources });

describe('cgroup formulas', () => {
  it.each([
    [0, 2],
    [1, 2],
    [100, 102],
    [250, 256],
    [500, 512],
    [1000, 1024],
    [1500, 1536],
    [2500, 2560],
  ])('%i millicores -> %i shares', (m, shares) => expect(milliCpuToShares(m)).toBe(shares));

  it.each([
    [500, 50_000],
    [1000, 100_000],
    [2000, 200_000],
    [5, 1000],
    [1, 1000],
    [1500, 150_000],
    [0, 0],
  ])('limit %i millicores -> quota %i per 100 ms', (m, q) => expect(milliCpuToQuota(m)).toBe(q));
});

describe('containerResources', () => {
  it('shares from the request, quota from the limit, memory limit and swap', () => {
    const c = withRes({ requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi', 'skiff.dev/memory-swap': '256Mi' } });
    expect(containerResources(makePod({ containers: [c] }), c, 2 ** 30)).toEqual({
      cpuShares: 256,
      cpuPeriod: 100_000,
      cpuQuota: 50_000,
      memoryLimitInBytes: 128 * 2 ** 20,
      memorySwapLimitInBytes: 256 * 2 ** 20,
      oomScoreAdj: 1000 - Math.floor((1000 * 64) / 1024),
    });
  });

  it('shares from the limit when no request; swap -1 is unlimited; Guaranteed gets -997', () => {
    const c = withRes({ limits: { cpu: '2', memory: '1Gi', 'skiff.dev/memory-swap': '-1' } });
    expect(containerResources(makePod({ containers: [c] }), c)).toMatchObject({ cpuShares: 2048, cpuQuota: 200_000, memorySwapLimitInBytes: -1, oomScoreAdj: -997 });
  });

  it('shares and quota from a limit alone; memory 200Mi with memory+swap 1Gi', () => {
    const cpu = withRes({ limits: { cpu: '500m' } });
    expect(containerResources(makePod({ containers: [cpu] }), cpu)).toMatchObject({ cpuShares: 512, cpuPeriod: 100_000, cpuQuota: 50_000 });
    const mem = withRes({ limits: { memory: '200Mi', 'skiff.dev/memory-swap': '1Gi' } });
    expect(containerResources(makePod({ containers: [mem] }), mem)).toMatchObject({ memoryLimitInBytes: 209715200, memorySwapLimitInBytes: 1073741824 });
  });

  it('best effort: minimum shares, no quota, no memory limit, OOM score 1000', () => {
    const c = withRes(undefined);
    expect(containerResources(makePod({ containers: [c] }), c)).toEqual({ cpuShares: 2, oomScoreAdj: 1000 });
  });
});

describe('podResources', () => {
  it('sums requests and limits when every container has them', () => {
    const pod = makePod({ containers: [withRes({ limits: { cpu: '1', memory: '1Gi' } }, 'a'), withRes({ requests: { cpu: '500m' }, limits: { cpu: '500m', memory: '1Gi' } }, 'b')] });
    expect(podResources(pod)).toEqual({ cpuShares: 1536, cpuPeriod: 100_000, cpuQuota: 150_000, memoryLimitInBytes: 2 * 2 ** 30 });
  });

  it('no pod memory limit when one container is unlimited', () => {
    const pod = makePod({ containers: [withRes({ limits: { memory: '1Gi' } }, 'a'), withRes(undefined, 'b')] });
    expect(podResources(pod)).toEqual({ cpuShares: 2 });
  });
});
