// Real network namespaces (root): a lab's switch and nodes, reachability between node
// addresses inside them, partition and heal, and nothing left behind.
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createLabNetwork, deleteLabNetwork, listNetns, planLabNetwork, setNodeLink } from '../../cluster/lab-network.js';

const run = promisify(execFile);

async function ping(fromNs: string, ip: string): Promise<boolean> {
  try {
    await run('ip', ['netns', 'exec', fromNs, 'busybox', 'ping', '-c', '1', '-W', '1', ip]);
    return true;
  } catch {
    return false;
  }
}

/** Pings until it answers (a port coming back up on a bridge takes a moment), or gives up. */
async function pingsWithin(fromNs: string, ip: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  do {
    if (await ping(fromNs, ip)) return true;
  } while (Date.now() < deadline);
  return false;
}

describe('lab network', () => {
  const plan = planLabNetwork(`t${process.pid % 100000}`, 3);
  afterAll(async () => {
    await deleteLabNetwork(plan);
  });

  it('validates names and sizes', () => {
    expect(() => planLabNetwork('Bad_Name', 2)).toThrow(/lab name/);
    expect(() => planLabNetwork('ok', 0)).toThrow(/--nodes/);
    expect(planLabNetwork('demo', 2).nodes.map((n) => [n.netns, n.ip, n.podCidr])).toEqual([
      ['skiff-demo-1', '10.213.0.11', '10.214.1.0/24'],
      ['skiff-demo-2', '10.213.0.12', '10.214.2.0/24'],
    ]);
  });

  it('connects nodes through the lab switch, partitions and heals one, and removes everything', async () => {
    await createLabNetwork(plan);
    await expect(createLabNetwork(plan)).rejects.toThrow(/already exists/);
    const [n1, n2, n3] = plan.nodes;
    expect(await ping(n1.netns, n3.ip)).toBe(true);
    expect(await ping(n3.netns, n2.ip)).toBe(true);
    const routes = (await run('ip', ['-n', n1.netns, 'route'])).stdout;
    expect(routes).toContain(`${n2.podCidr} via ${n2.ip}`);
    expect(routes).toContain(`${n3.podCidr} via ${n3.ip}`);
    // The host has none of the lab's addresses.
    expect((await run('ip', ['-o', 'addr'])).stdout).not.toContain('10.213.0.');

    await setNodeLink(plan, 2, false);
    expect(await ping(n1.netns, n2.ip)).toBe(false);
    expect(await ping(n1.netns, n3.ip)).toBe(true);
    await setNodeLink(plan, 2, true);
    expect(await pingsWithin(n1.netns, n2.ip, 10_000)).toBe(true);

    await deleteLabNetwork(plan);
    const left = await listNetns();
    expect(left.filter((ns) => ns.startsWith(`skiff-${plan.lab}-`))).toEqual([]);
    await deleteLabNetwork(plan); // idempotent
  });
});
