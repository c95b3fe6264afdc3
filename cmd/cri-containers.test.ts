import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../cluster/detach.js';
import { planLabNetwork } from '../cluster/lab-network.js';
import { CRI_RUN_NETWORK, parseDockerSize, parsePublish, runResources } from './cri-containers.js';

/** First and last address of an IPv4 CIDR, as numbers. */
function range(cidr: string): [number, number] {
  const [ip, len] = cidr.split('/');
  const base = ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(len));
  return [base - (base % size), base - (base % size) + size - 1];
}
const overlap = (x: string, y: string) => {
  const [a, b] = [range(x), range(y)];
  return a[0] <= b[1] && b[0] <= a[1];
};

describe('the docker-style network', () => {
  it("has a bridge and pod CIDR of its own, apart from skiff up's and the labs'", () => {
    expect(CRI_RUN_NETWORK.bridge).not.toBe(DEFAULTS.bridge);
    expect(CRI_RUN_NETWORK.bridge.length).toBeLessThanOrEqual(15);
    expect(overlap('10.88.0.0/24', '10.88.0.0/16')).toBe(true); // the old pair did collide
    expect(overlap(CRI_RUN_NETWORK.podCidr, DEFAULTS.podCidr)).toBe(false);
    // the runtime's own default (a kubelet started without --pod-cidr)
    expect(overlap(CRI_RUN_NETWORK.podCidr, '10.88.0.0/16')).toBe(false);
    const lab = planLabNetwork('l', 200);
    for (const n of lab.nodes) expect(overlap(CRI_RUN_NETWORK.podCidr, n.podCidr) || overlap(CRI_RUN_NETWORK.podCidr, `${n.ip}/24`)).toBe(false);
  });
});

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
