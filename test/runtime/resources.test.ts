// cgroups on the real kernel: limits from linux.resources land in the cgroup files (read back
// from /sys/fs/cgroup), an OOM kill is reported as OOMKilled/137 while a neighbour lives on,
// and CPU shares divide one contended CPU in their ratio.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PodSandboxConfig } from '../../runtime/cri.js';
import { readCgroupFile } from '../../runtime/oci/cgroups.js';
import { containerResources } from '../../kubelet/cgroup-resources.js';
import type { Container, Pod } from '../../api/types/core.js';
import { cgroupHierarchy, v1SwapAccounting } from '../fixtures/cgroups.js';
import { collectLogs, runContainer, startHarness, waitExited, waitFor, type Harness } from './harness.js';

const Mi = 2 ** 20;
let h: Harness;
let sb: string;
let sc: PodSandboxConfig;

beforeAll(async () => {
  h = await startHarness();
  sc = h.sandboxConfig('limits');
  sb = await h.rt.runPodSandbox(sc);
});
afterAll(async () => {
  await h?.teardown();
});

async function cg(id: string, controller: string, file: string): Promise<string | undefined> {
  const p = h.rt.containerCgroup(id);
  if (!p) throw new Error(`no cgroup for ${id}`);
  return readCgroupFile(p, controller, file);
}

describe('cgroup limits', () => {
  it('writes --memory 200m --memory-swap 1G --cpu-shares 512 --cpus 1.5 into the cgroup files', async () => {
    const id = await runContainer(h, sb, sc, h.containerConfig('limited', {
      command: ['sleep', '60'],
      linux: { resources: { memoryLimitInBytes: 200 * Mi, memorySwapLimitInBytes: 1024 * Mi, cpuShares: 512, cpuQuota: 150000, cpuPeriod: 100000 } },
    }));
    if (cgroupHierarchy === 'v1') {
      expect(await cg(id, 'memory', 'memory.limit_in_bytes')).toBe(String(200 * Mi));
      // memsw exists only with swap accounting; without it the kernel has no file to hold the limit.
      expect(await cg(id, 'memory', 'memory.memsw.limit_in_bytes')).toBe(v1SwapAccounting ? String(1024 * Mi) : undefined);
      expect(await cg(id, 'cpu', 'cpu.shares')).toBe('512');
      expect(await cg(id, 'cpu', 'cpu.cfs_quota_us')).toBe('150000');
      expect(await cg(id, 'cpu', 'cpu.cfs_period_us')).toBe('100000');
    } else {
      expect(await cg(id, '', 'memory.max')).toBe(String(200 * Mi));
      expect(await cg(id, '', 'memory.swap.max')).toBe(String(824 * Mi));
      expect(await cg(id, '', 'cpu.max')).toBe('150000 100000');
      // runc/crun map shares 512 to cpu.weight 20 (1 + ((512-2)*9999)/262142)
      expect(await cg(id, '', 'cpu.weight')).toBe('20');
    }
    await h.rt.stopContainer(id, 0);
  });

  it('puts pod-level limits on the pod cgroup, above its containers', async () => {
    const psc = h.sandboxConfig('pod-limits', { linux: { resources: { memoryLimitInBytes: 256 * Mi, cpuShares: 1536, cpuQuota: 200000, cpuPeriod: 100000 } } });
    const psb = await h.rt.runPodSandbox(psc);
    const pod = h.rt.sandboxCgroup(psb) as string;
    const id = await runContainer(h, psb, psc, h.containerConfig('inner', { command: ['sleep', '60'] }));
    expect(h.rt.containerCgroup(id)?.startsWith(`${pod}/`)).toBe(true);
    if (cgroupHierarchy === 'v1') {
      expect(await readCgroupFile(pod, 'memory', 'memory.limit_in_bytes')).toBe(String(256 * Mi));
      expect(await readCgroupFile(pod, 'cpu', 'cpu.shares')).toBe('1536');
      expect(await readCgroupFile(pod, 'cpu', 'cpu.cfs_quota_us')).toBe('200000');
    } else {
      expect(await readCgroupFile(pod, '', 'memory.max')).toBe(String(256 * Mi));
      expect(await readCgroupFile(pod, '', 'cpu.max')).toBe('200000 100000');
    }
    await h.rt.removePodSandbox(psb);
    expect(await readCgroupFile(pod, 'memory', cgroupHierarchy === 'v1' ? 'memory.limit_in_bytes' : 'memory.max')).toBeUndefined();
  });

  it('applies the kubelet formulas end to end (request 250m, limit 500m, 64Mi)', async () => {
    const c: Container = { name: 'kube', image: 'x', resources: { requests: { cpu: '250m' }, limits: { cpu: '500m', memory: '64Mi' } } };
    const pod: Pod = { metadata: { name: 'kube' }, spec: { containers: [c] } };
    const { oomScoreAdj: _oom, ...resources } = containerResources(pod, c);
    const id = await runContainer(h, sb, sc, h.containerConfig('kube', { command: ['sleep', '60'], linux: { resources } }));
    if (cgroupHierarchy === 'v1') {
      expect(await cg(id, 'cpu', 'cpu.shares')).toBe('256');
      expect(await cg(id, 'cpu', 'cpu.cfs_quota_us')).toBe('50000');
      expect(await cg(id, 'memory', 'memory.limit_in_bytes')).toBe(String(64 * Mi));
    } else {
      expect(await cg(id, '', 'cpu.max')).toBe('50000 100000');
      expect(await cg(id, '', 'memory.max')).toBe(String(64 * Mi));
    }
    await h.rt.stopContainer(id, 0);
  });

  it('OOM-kills a container limited to 64Mi that allocates 200Mi while its neighbour keeps running', async () => {
    const neighbour = await runContainer(h, sb, sc, h.containerConfig('neighbour', { command: ['sh', '-c', 'echo alive; sleep 60'] }));
    const hog = await runContainer(h, sb, sc, h.containerConfig('hog', {
      command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=200M', 'count=1'],
      linux: { resources: { memoryLimitInBytes: 64 * Mi, memorySwapLimitInBytes: 64 * Mi } },
    }));
    const st = await waitExited(h, hog);
    expect(st.exitCode).toBe(137);
    expect(st.reason).toBe('OOMKilled');
    expect((await h.rt.containerStatus(neighbour)).state).toBe('CONTAINER_RUNNING');
    expect((await h.rt.execSync(neighbour, ['echo', 'still-here'], 5)).stdout.toString()).toBe('still-here\n');
    expect((await collectLogs(h.rt, neighbour)).map((l) => l.line)).toEqual(['alive']);
    await h.rt.stopContainer(neighbour, 0);
  });

  it('divides one contended CPU 1:2 between shares 512 and 1024 (within 20%)', async () => {
    const busy = ['sh', '-c', 'while :; do :; done'];
    const cpu = '0';
    const low = await runContainer(h, sb, sc, h.containerConfig('low', { command: busy, linux: { resources: { cpuShares: 512, cpusetCpus: cpu } } }));
    const high = await runContainer(h, sb, sc, h.containerConfig('high', { command: busy, linux: { resources: { cpuShares: 1024, cpusetCpus: cpu } } }));
    const usage = async (id: string) => (await h.rt.containerStats(id)).cpu?.usageCoreNanoSeconds ?? 0;
    // Let both get going, then measure a window of contention.
    await waitFor(async () => (await usage(low)) > 0 && (await usage(high)) > 0, 'both busy');
    await new Promise((r) => setTimeout(r, 300));
    const l0 = await usage(low);
    const h0 = await usage(high);
    await new Promise((r) => setTimeout(r, 2500));
    const l1 = await usage(low);
    const h1 = await usage(high);
    await h.rt.stopContainer(low, 0);
    await h.rt.stopContainer(high, 0);
    const ratio = (l1 - l0) / (h1 - h0);
    expect(h1 - h0).toBeGreaterThan(0);
    expect(ratio).toBeGreaterThan(0.5 * 0.8);
    expect(ratio).toBeLessThan(0.5 * 1.2);
  });
});
