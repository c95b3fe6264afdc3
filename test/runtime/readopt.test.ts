// Containers outlive the process that started them, and a new runtime instance on the same
// root re-adopts them from disk and the OCI runtime's state: it lists them running and stops
// them. Then everything is removed and nothing is left on the machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../fixtures/ports.js';
import { startProcess, repoRoot } from '../fixtures/process.js';
import { collectLogs, leftovers, runContainer, startHarness, waitFor, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.teardown();
});

describe('re-adoption and cleanup', () => {
  it('re-adopts a container started by another process that has exited, and stops it', async () => {
    const child = startProcess(process.execPath, ['--import', 'tsx', `${repoRoot}/test/runtime/detached-start.ts`, JSON.stringify({ root: h.root, stateDir: h.stateDir, bridge: h.bridge, podCidr: h.podCidr, cgroupParent: h.cgroupParent })], { cwd: repoRoot });
    const exit = await child.exited;
    expect(exit.code, child.output()).toBe(0);
    const { sandbox, container } = JSON.parse(child.output().trim().split('\n').pop() as string) as { sandbox: string; container: string };

    const rt2 = h.reopen();
    const sandboxes = await rt2.listPodSandbox();
    expect(sandboxes.map((s) => [s.id, s.state])).toContainEqual([sandbox, 'SANDBOX_READY']);
    const running = await rt2.listContainers({ state: 'CONTAINER_RUNNING' });
    expect(running.map((c) => c.id)).toEqual([container]);
    // it really runs: exec into it, and its log is readable by the new instance
    expect((await rt2.execSync(container, ['echo', 'adopted'], 5)).stdout.toString()).toBe('adopted\n');
    await waitFor(async () => (await collectLogs(rt2, container)).some((l) => l.line === 'started'), 'log line');

    await rt2.stopContainer(container, 10);
    expect(await rt2.containerStatus(container)).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 0, reason: 'Completed' });
    await rt2.removePodSandbox(sandbox);
    expect(await rt2.listContainers()).toEqual([]);
  });

  it('leaves no mounts, network namespaces, veths, cgroups, conmon processes or iptables rules after removal', async () => {
    const ids: string[] = [];
    for (const name of ['leak-a', 'leak-b']) {
      const sc = h.sandboxConfig(name, { portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort: await freePort() }, { protocol: 'TCP', containerPort: 81, hostPort: 0 }] });
      const sb = await h.rt.runPodSandbox(sc);
      ids.push(sb);
      await runContainer(h, sb, sc, h.containerConfig('run', { command: ['sleep', '60'], linux: { resources: { memoryLimitInBytes: 32 * 2 ** 20 } } }));
      await runContainer(h, sb, sc, h.containerConfig('done', { command: ['true'] }));
      await h.rt.createContainer(sb, h.containerConfig('never-started', { command: ['true'] }), sc);
    }
    const during = await leftovers(h, ids);
    expect(during.netns.length).toBe(2);
    expect(during.mounts.length).toBeGreaterThanOrEqual(6);
    expect(during.conmons.length).toBeGreaterThanOrEqual(4);
    expect(during.cgroups.length).toBeGreaterThan(0);
    expect(during.links.length).toBe(2);
    expect(during.iptables.length).toBeGreaterThan(0);

    for (const id of ids) await h.rt.removePodSandbox(id);
    const after = await leftovers(h, ids);
    expect(after).toEqual({ mounts: [], netns: [], links: [], iptables: [], conmons: [], cgroups: [] });
  });
});
