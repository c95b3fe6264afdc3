// `skiff cri` container verbs as a user runs them (separate processes, one per command) on a
// runtime root holding a busybox image in the real image store: run (foreground exit code,
// detached with --publish and limits), ps, logs, exec, inspect, stop, rm; what an exited
// container keeps (no mount, no network) and --rm.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageService } from '../../runtime/image-service.js';
import { deleteBridge } from '../../runtime/network/cni.js';
import { readCgroupFile, removeCgroupTree } from '../../runtime/oci/cgroups.js';
import { runCommand } from '../../runtime/oci/command.js';
import { SkiffRuntimeService } from '../../runtime/runtime-service.js';
import { cgroupHierarchy, v1SwapAccounting } from '../fixtures/cgroups.js';
import { eventually } from '../fixtures/eventually.js';
import { buildBusyboxImage, importImage, openStore } from '../fixtures/images.js';
import { freePort } from '../fixtures/ports.js';
import { outputsOf, repoRoot, startProcess } from '../fixtures/process.js';

let root: string;
let bridge: string;
let cgroupParent: string;

async function skiff(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const p = startProcess(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/runtime/cri-entry.ts'), '--root', root, ...args], { cwd: repoRoot, env: { ...process.env, SKIFF_LOG_JSON: '1', SKIFF_LOG_LEVEL: 'error' } });
  return outputsOf(p);
}

/** A fresh runtime instance on the root: what the CLI processes left on disk, read back in-process. */
const onRoot = () => new SkiffRuntimeService({ root, images: new ImageService({ root }) });

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-cli-'));
  const store = await openStore(path.join(root, 'build-store'));
  const img = await buildBusyboxImage(store, { config: { Cmd: ['sh'] } });
  await importImage(root, 'busybox:1', img, store);
  const suffix = crypto.randomBytes(3).toString('hex');
  bridge = `skc${suffix}`;
  cgroupParent = `/skiff-test-${process.pid}-${suffix}`;
  // The node's network settings live with the root (node.json): the CLI processes pick them up.
  new SkiffRuntimeService({ root, images: new ImageService({ root }), bridgeName: bridge, podCidr: `10.88.${16 + (crypto.randomBytes(1)[0] % 200)}.0/24`, cgroupParent });
});

afterAll(async () => {
  // In-process, so a broken CLI cannot leak what it started.
  const rt = onRoot();
  for (const c of await rt.listContainers()) await rt.removeContainer(c.id);
  for (const s of await rt.listPodSandbox()) await rt.removePodSandbox(s.id);
  await deleteBridge(bridge);
  await removeCgroupTree(cgroupParent);
  await new ImageService({ root }).destroy().catch(() => undefined);
  await fs.rm(root, { recursive: true, force: true });
});

// Each command is a fresh `node --import tsx` process (about 1 s of CPU), so the budget is generous.
describe('skiff cri container verbs', { timeout: 180_000 }, () => {
  it('runs in the foreground, streams both outputs and propagates the exit code', async () => {
    const r = await skiff('run', '--name', 'fg', '-e', 'GREETING=hi', 'busybox:1', '--', 'sh', '-c', 'echo "$GREETING out"; echo err >&2; exit 5');
    expect(r.code).toBe(5);
    expect(r.out).toBe('hi out\n');
    expect(r.err).toContain('err\n');
    const ps = await skiff('ps', '-a');
    expect(ps.out).toMatch(/Exited \(5\) .* fg /);
  });

  it('runs detached with --publish and limits; ps, logs, exec, inspect, stop and rm work on it', async () => {
    const port = await freePort();
    const run = await skiff('run', '-d', '--name', 'web', '--publish', `${port}:8080`, '--memory', '200m', '--memory-swap', '1g', '--cpu-shares', '512', '--cpus', '1.5',
      'busybox:1', '--', 'sh', '-c', 'mkdir -p /www && echo served > /www/index.html && echo started && exec httpd -f -p 8080 -h /www');
    expect(run.code, run.err).toBe(0);
    const id = run.out.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);

    const body = await eventually(() => get(port), 'httpd to answer on the published port', 10_000, { intervalMs: 50 });
    expect(body.trim()).toBe('served');

    const ps = await skiff('ps');
    expect(ps.out.split('\n')[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+CREATED\s+STATUS\s+NAME\s+POD ID$/);
    expect(ps.out).toContain(id.slice(0, 13));
    expect((await skiff('logs', '-t', id.slice(0, 12))).out).toMatch(/^\d{4}-\d\d-\d\dT\S+ started\n$/);
    const ex = await skiff('exec', id, '--', 'sh', '-c', 'cat /etc/hostname; exit 3');
    expect(ex.out).toBe('web\n');
    expect(ex.code).toBe(3);

    const inspect = JSON.parse((await skiff('inspect', id)).out) as { status: { state: string }; info: { cgroup: string } };
    expect(inspect.status.state).toBe('CONTAINER_RUNNING');
    if (cgroupHierarchy === 'v1') {
      expect(await readCgroupFile(inspect.info.cgroup, 'memory', 'memory.limit_in_bytes')).toBe(String(200 * 2 ** 20));
      // memsw exists only with swap accounting; without it the kernel has no file to hold the limit.
      expect(await readCgroupFile(inspect.info.cgroup, 'memory', 'memory.memsw.limit_in_bytes')).toBe(v1SwapAccounting ? String(2 ** 30) : undefined);
      expect(await readCgroupFile(inspect.info.cgroup, 'cpu', 'cpu.shares')).toBe('512');
      expect(await readCgroupFile(inspect.info.cgroup, 'cpu', 'cpu.cfs_quota_us')).toBe('150000');
    } else {
      expect(await readCgroupFile(inspect.info.cgroup, '', 'memory.max')).toBe(String(200 * 2 ** 20));
      expect(await readCgroupFile(inspect.info.cgroup, '', 'memory.swap.max')).toBe(String(824 * 2 ** 20));
      expect(await readCgroupFile(inspect.info.cgroup, '', 'cpu.max')).toBe('150000 100000');
      expect(await readCgroupFile(inspect.info.cgroup, '', 'cpu.weight')).toBe('20');
    }

    const rmRunning = await skiff('rm', id);
    expect(rmRunning.code).not.toBe(0);
    expect(rmRunning.err).toMatch(/is running/);
    expect((await skiff('stop', '-t', '5', id)).code).toBe(0);
    expect((await onRoot().containerStatus(id)).state).toBe('CONTAINER_EXITED');
    expect((await skiff('rm', id)).code).toBe(0);
    expect(await onRoot().listContainers({ id })).toEqual([]);
    expect(await onRoot().listPodSandbox()).toHaveLength(1); // only fg's, which is exited but not removed
    await expect(get(port)).rejects.toThrow();
  });

  it('answers bad input with a clear error', async () => {
    const r = await skiff('run', '--memory', 'lots', 'busybox:1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/invalid size "lots"/);
    const nf = await skiff('logs', 'ffffffffffff');
    expect(nf.err).toMatch(/not found/);
  });

  /** This root's mounts, and whether the sandbox named `name` still has its network namespace. */
  async function heldBy(name: string): Promise<{ mounts: string[]; netns: boolean; sandbox?: { id: string; state: string } }> {
    const mounts = (await fs.readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(root));
    const sb = (await onRoot().listPodSandbox()).find((s) => s.metadata.name === name);
    const netns = sb ? await fs.stat(`/run/netns/skiff-${sb.id.slice(0, 20)}`).then(() => true, () => false) : false;
    return { mounts, netns, sandbox: sb && { id: sb.id, state: sb.state } };
  }
  const veths = async () => (await runCommand('ip', ['-o', 'link', 'show', 'master', bridge])).stdout.split('\n').filter(Boolean);

  it('releases the rootfs mount and the network of a foreground run when it exits, and keeps the container', async () => {
    const r = await skiff('run', '--name', 'fg2', '--publish', `${await freePort()}:80`, 'busybox:1', '--', 'true');
    expect(r.code, r.err).toBe(0);
    const held = await heldBy('fg2');
    expect(held.sandbox?.state).toBe('SANDBOX_NOTREADY');
    expect(held.netns).toBe(false);
    expect(held.mounts).toEqual([]);
    expect(await veths()).toEqual([]);
    expect((await skiff('ps', '-a')).out).toMatch(/Exited \(0\) .* fg2 /);
  });

  it('releases a detached container at the next verb after it exits; rm then takes the rest', async () => {
    const run = await skiff('run', '-d', '--name', 'bg', '--publish', `${await freePort()}:80`, 'busybox:1', '--', 'true');
    expect(run.code, run.err).toBe(0);
    const id = run.out.trim();
    // Each `skiff ps` is a next verb: one of them sees the exit and releases the container.
    const ps = await eventually(
      async () => {
        const out = (await skiff('ps', '-a')).out;
        return /Exited \(0\) .* bg /.test(out) && out;
      },
      'ps -a to show bg exited',
      30_000,
      { intervalMs: 0 },
    );
    expect(ps).toMatch(/Exited \(0\) .* bg /);
    const held = await heldBy('bg');
    expect(held.sandbox?.state).toBe('SANDBOX_NOTREADY');
    expect(held.netns).toBe(false);
    expect(held.mounts).toEqual([]);
    expect((await skiff('rm', id)).code).toBe(0);
    expect((await heldBy('bg')).sandbox).toBeUndefined();
  });

  it('--rm removes the container and its sandbox when it exits, in the foreground and detached', async () => {
    const fg = await skiff('run', '--rm', '--name', 'once', '--publish', `${await freePort()}:80`, 'busybox:1', '--', 'sh', '-c', 'echo bye; exit 4');
    expect(fg.code).toBe(4);
    expect(fg.out).toBe('bye\n');
    expect(await heldBy('once')).toEqual({ mounts: [], netns: false, sandbox: undefined });
    expect((await onRoot().listContainers()).filter((c) => c.metadata.name === 'once')).toEqual([]);
    expect(await veths()).toEqual([]);

    const bg = await skiff('run', '-d', '--rm', '--name', 'once-bg', 'busybox:1', '--', 'true');
    expect(bg.code, bg.err).toBe(0);
    const id = bg.out.trim();
    const exitFile = path.join(root, 'exits', id);
    await eventually(() => fs.stat(exitFile).then(() => true, () => false), 'the exit file of once-bg', 10_000, { intervalMs: 50 });
    const ps = await skiff('ps', '-a');
    expect(ps.out).not.toContain(id.slice(0, 13));
    expect(await heldBy('once-bg')).toEqual({ mounts: [], netns: false, sandbox: undefined });
  });

  // Last: prune also removes images no container uses (busybox:1 among them).
  it('prunes exited containers with the sandboxes run made for them', async () => {
    const before = (await onRoot().listContainers({ state: 'CONTAINER_EXITED' })).map((c) => c.id);
    expect(before.length).toBeGreaterThan(0);
    const pruned = await skiff('prune');
    expect(pruned.code, pruned.err).toBe(0);
    expect(pruned.out).toMatch(/Deleted Containers:/);
    for (const id of before) expect(pruned.out).toContain(id);
    expect(await onRoot().listContainers()).toEqual([]);
    expect(await onRoot().listPodSandbox()).toEqual([]);
  });
});
