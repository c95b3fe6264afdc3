import { describe, expect, it } from 'vitest';
import { allocatableNumbers, buildNode, memTotalFromMeminfo, mergeNodeConditions, nodeImages, nodeStatusChanged, parseLabels, parseResourceList } from './node-status.js';

const cfg = {
  nodeName: 'lab-1',
  podCIDR: '10.88.1.0/24',
  hostIP: '10.0.0.11',
  capacity: { cpu: '2', memory: '4Gi' },
  labels: { 'skiff.dev/zone': 'a' },
  maxPods: 110,
  runtime: { name: 'skiff', version: '0.1.0' },
};

describe('node status', () => {
  it('parses --capacity and --node-labels', () => {
    expect(parseResourceList('cpu=2, memory=4Gi')).toEqual({ cpu: '2', memory: '4Gi' });
    expect(() => parseResourceList('cpu=lots')).toThrow();
    expect(parseLabels('a=b,c=')).toEqual({ a: 'b', c: '' });
  });

  it('reads MemTotal from /proc/meminfo', () => {
    expect(memTotalFromMeminfo('MemTotal:       16318480 kB\nMemFree: 1 kB\n')).toBe(16318480 * 1024);
  });

  it('builds a Node with capacity overrides, allocatable, labels, podCIDR, addresses and nodeInfo', () => {
    const node = buildNode(cfg, [{ id: 'sha256:1', repoTags: ['busybox:1.36'], repoDigests: [], size: 10 }], '2026-01-01T00:00:00Z');
    expect(node.metadata.name).toBe('lab-1');
    expect(node.metadata.labels).toMatchObject({ 'kubernetes.io/hostname': 'lab-1', 'kubernetes.io/os': 'linux', 'skiff.dev/zone': 'a' });
    expect(node.metadata.labels?.['kubernetes.io/arch']).toMatch(/^(amd64|arm64|arm|386|ppc64le|s390x|riscv64)$/);
    expect(node.spec).toEqual({ podCIDR: '10.88.1.0/24', podCIDRs: ['10.88.1.0/24'] });
    expect(node.status?.capacity).toMatchObject({ cpu: '2', memory: '4Gi', pods: '110' });
    expect(allocatableNumbers(node.status?.allocatable ?? {})).toEqual({ milliCPU: 2000, memory: 4 * 2 ** 30, pods: 110 });
    expect(node.status?.addresses).toEqual([
      { type: 'InternalIP', address: '10.0.0.11' },
      { type: 'Hostname', address: 'lab-1' },
    ]);
    expect(node.status?.nodeInfo).toMatchObject({ containerRuntimeVersion: 'skiff://0.1.0', operatingSystem: 'linux' });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    expect(node.status?.images).toEqual([{ names: ['busybox:1.36'], sizeBytes: 10 }]);
  });

  it('lists images largest first', () => {
    const imgs = nodeImages([
      { id: 'a', repoTags: ['small'], repoDigests: [], size: 1 },
      { id: 'b', repoTags: ['big'], repoDigests: ['big@sha256:x'], size: 9 },
    ]);
    expect(imgs?.map((i) => i.names)).toEqual([['big@sha256:x', 'big'], ['small']]);
  });

  it('heartbeats alone are not a change; transitions keep their time while the status holds', () => {
    const a = buildNode(cfg, [], '2026-01-01T00:00:00Z').status;
    const b = buildNode(cfg, [], '2026-01-01T00:00:10Z').status;
    if (!a || !b) throw new Error('no status');
    b.conditions = mergeNodeConditions(a.conditions, b.conditions ?? []);
    expect(b.conditions.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(nodeStatusChanged(a, b)).toBe(false);
    expect(nodeStatusChanged(a, { ...b, images: [{ names: ['new'], sizeBytes: 1 }] })).toBe(true);
  });
});
