import { describe, expect, it } from 'vitest';
import { parseDockerSize, parsePublish, runResources } from './cri-containers.js';

describe('docker-run flag parsing', () => {
  it('reads docker sizes in binary units', () => {
    expect(parseDockerSize('200m')).toBe(200 * 2 ** 20);
    expect(parseDockerSize('1g')).toBe(2 ** 30);
    expect(parseDockerSize('1GB')).toBe(2 ** 30);
    expect(parseDockerSize('512k')).toBe(512 * 1024);
    expect(parseDockerSize('100')).toBe(100);
    expect(() => parseDockerSize('lots')).toThrow(/invalid size/);
  });
  it('reads --publish', () => {
    expect(parsePublish('8080:80')).toEqual({ protocol: 'TCP', hostPort: 8080, containerPort: 80 });
    expect(parsePublish('127.0.0.1:53:53/udp')).toEqual({ protocol: 'UDP', hostPort: 53, containerPort: 53, hostIp: '127.0.0.1' });
    expect(() => parsePublish('80')).toThrow(/invalid --publish/);
    expect(() => parsePublish('0:80')).toThrow(/invalid ports/);
  });
  it('maps --memory/--memory-swap/--cpu-shares/--cpus with docker meanings', () => {
    expect(runResources({ publish: [], env: [], memory: '200m', memorySwap: '1g', cpuShares: '512', cpus: '1.5' })).toEqual({
      memoryLimitInBytes: 200 * 2 ** 20,
      memorySwapLimitInBytes: 2 ** 30,
      cpuShares: 512,
      cpuPeriod: 100000,
      cpuQuota: 150000,
    });
    expect(runResources({ publish: [], env: [], memory: '64m', memorySwap: '-1' }).memorySwapLimitInBytes).toBe(-1);
    expect(() => runResources({ publish: [], env: [], memorySwap: '1g' })).toThrow(/needs --memory/);
    expect(() => runResources({ publish: [], env: [], memory: '1g', memorySwap: '100m' })).toThrow(/at least --memory/);
  });
});
