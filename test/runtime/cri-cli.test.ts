// `skiff cri` container verbs as a user runs them (separate processes, one per command) on a
// runtime root holding a busybox image in the real image store: run (foreground exit code,
// detached with --publish and limits), ps, logs, exec, inspect, stop, rm, start, restart; what an exited
// container keeps (no mount, no network, released with no further verb when detached) and --rm.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageService } from '../../runtime/image-service.js';
import { withRunLock } from '../../cli/node/cri-runs.js';
import { deleteBridge } from '../../runtime/network/cni.js';
import { readCgroupFile, removeCgroupTree } from '../../runtime/oci/cgroups.js';
import { runCommand } from '../../runtime/oci/command.js';
import { SkiffRuntimeService } from '../../runtime/runtime-service.js';
import { defaultStateDir } from '../../runtime/state-dir.js';
import { cgroupHierarchy, v1SwapAccounting } from '../fixtures/cgroups.js';
import { eventually } from '../fixtures/eventually.js';
import { buildBusyboxImage, importImage, openStore } from '../fixtures/images.js';
import { freePort } from '../fixtures/ports.js';
import { outputsOf, repoRoot, startProcess } from '../fixtures/process.js';
import { removeRuntimeRoot } from '../fixtures/runtime-state.js';
import { runInPty } from '../fixtures/terminal.js';

let root: string;
/** The state dir the CLI derives from the root by default (runtime/state-dir.ts). */
let state: string;
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
  state = defaultStateDir(root);
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
  // In-process, so a broken CLI cannot leak what it started; under the run lock, which a
  // cleanup verb conmon started may still hold.
  await withRunLock(root, async () => {
    const rt = onRoot();
    for (const c of await rt.listContainers()) await rt.removeContainer(c.id);
    for (const s of await rt.listPodSandbox()) await rt.removePodSandbox(s.id);
  });
  await deleteBridge(bridge);
  await removeCgroupTree(cgroupParent);
  await new ImageService({ root }).destroy().catch(() => undefined);
  await removeRuntimeRoot(root);
});

/** `cri exec -i` with stdin through cat, and `cri exec -it` under a real terminal: size, resize, exit code. */
async function streamingExec(id: string): Promise<void> {
  const entry = ['--import', 'tsx', path.join(repoRoot, 'test/runtime/cri-entry.ts'), '--root', root];
  const env = { ...process.env, SKIFF_LOG_JSON: '1', SKIFF_LOG_LEVEL: 'error' };
  const cat = startProcess(process.execPath, [...entry, 'exec', '-i', id, '--', 'sh', '-c', 'cat; exit 6'], { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
  cat.child.stdin!.end('through stdin\n');
  expect(await outputsOf(cat)).toMatchObject({ code: 6, out: 'through stdin\n' });

  const term = await runInPty(process.execPath, [...entry, 'exec', '-it', id, '--', 'sh'], { cols: 100, rows: 30, cwd: repoRoot, env });
  try {
    await term.waitFor('/ # ');
    await term.sizeIs(30, 100);
    term.pty.resize(120, 40);
    await term.sizeIs(40, 120);
    term.write('exit 4\r');
    expect(await term.exited).toBe(4);
  } finally {
    term.kill();
  }
}

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
    await streamingExec(id);

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

  /** This root's and state dir's mounts (the state dir's own tmpfs aside), and whether the sandbox named `name` still has its network namespace. */
  async function heldBy(name: string): Promise<{ mounts: string[]; netns: boolean; sandbox?: { id: string; state: string } }> {
    const mounts = (await fs.readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => (l.includes(root) || l.includes(state)) && l.split(' ')[4] !== state);
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

  /** Polls, with no `skiff cri` verb meanwhile, until the run named `name` holds no mount, namespace or veth. */
  const released = (name: string, what: string) =>
    eventually(async () => {
      const held = await heldBy(name);
      return held.mounts.length === 0 && !held.netns && (await veths()).length === 0 && held;
    }, what, 20_000);

  it('releases a detached container by itself when it exits (conmon runs the cleanup verb); rm then takes the rest', async () => {
    const run = await skiff('run', '-d', '--name', 'bg', '--publish', `${await freePort()}:80`, 'busybox:1', '--', 'true');
    expect(run.code, run.err).toBe(0);
    const id = run.out.trim();
    const held = await released('bg', 'the exited bg to lose its rootfs mount and network namespace');
    expect(held.sandbox?.state).toBe('SANDBOX_NOTREADY');
    expect((await onRoot().containerStatus(id)).state).toBe('CONTAINER_EXITED');
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

    const bg = await skiff('run', '-d', '--rm', '--name', 'once-bg', '--publish', `${await freePort()}:80`, 'busybox:1', '--', 'true');
    expect(bg.code, bg.err).toBe(0);
    const id = bg.out.trim();
    await eventually(async () => (await heldBy('once-bg')).sandbox === undefined, 'the --rm sandbox to go by itself', 20_000);
    expect(await heldBy('once-bg')).toEqual({ mounts: [], netns: false, sandbox: undefined });
    expect(await onRoot().listContainers({ id })).toEqual([]);
    expect(await fs.stat(path.join(state, 'containers', id)).then(() => true, () => false)).toBe(false);
    expect(await veths()).toEqual([]);
  });

  /** Cleanup verbs conmon started on this root that are still running. */
  async function cleanups(): Promise<string[]> {
    const out: string[] = [];
    for (const pid of (await fs.readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
      const args = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
      if (args.includes('cleanup') && args.includes(root)) out.push(pid);
    }
    return out;
  }

  it('rm -f of a running detached container: its cleanup, started in a bundle rm takes away, finds nothing and ends', async () => {
    const run = await skiff('run', '-d', '--name', 'forced', '--publish', `${await freePort()}:80`, 'busybox:1', '--', 'sleep', '60');
    expect(run.code, run.err).toBe(0);
    expect((await skiff('rm', '-f', run.out.trim())).code).toBe(0);
    expect(await heldBy('forced')).toEqual({ mounts: [], netns: false, sandbox: undefined });
    await eventually(async () => (await cleanups()).length === 0, 'the cleanup verbs to end', 20_000);
  });

  it('a detached run whose conmon was killed (so no cleanup ran) is released by the next verb', async () => {
    const run = await skiff('run', '-d', '--name', 'orphan', 'busybox:1', '--', 'sleep', '1');
    expect(run.code, run.err).toBe(0);
    const id = run.out.trim();
    const conmonPid = Number(await fs.readFile(path.join(state, 'containers', id, 'conmon.pid'), 'utf8'));
    process.kill(conmonPid, 'SIGKILL');
    await eventually(async () => !(await fs.stat(`/proc/${conmonPid}`).then(() => true, () => false)), 'the killed conmon to go');
    expect((await heldBy('orphan')).netns).toBe(true);
    expect((await skiff('ps', '-a')).code).toBe(0);
    expect(await heldBy('orphan')).toMatchObject({ mounts: [], netns: false, sandbox: { state: 'SANDBOX_NOTREADY' } });
    expect((await skiff('rm', id)).code).toBe(0);
  });

  it('start (and restart) runs an exited container again with its writable layer and published port, and releases it again at exit', async () => {
    const port = await freePort();
    // Counts its runs in a file of its writable layer, serves the count, and exits once /stop appears.
    const script = 'n=$(( $(cat /runs 2>/dev/null || echo 0) + 1 )); echo $n > /runs; rm -f /stop; mkdir -p /www; echo run $n > /www/index.html; echo run $n; httpd -p 8080 -h /www; while [ ! -f /stop ]; do sleep 0.1; done';
    const run = await skiff('run', '-d', '--name', 'again', '--publish', `${port}:8080`, 'busybox:1', '--', 'sh', '-c', script);
    expect(run.code, run.err).toBe(0);
    const id = run.out.trim();
    const served = (want: string) => eventually(async () => (await get(port)).trim() === want, `port ${port} to answer "${want}"`, 20_000);
    /** Makes the container exit by itself (exec is no verb that releases anything). */
    const exitNow = async () => expect((await skiff('exec', id, '--', 'touch', '/stop')).code).toBe(0);
    await served('run 1');
    await exitNow();
    expect((await released('again', 'the first run to be released')).sandbox?.state).toBe('SANDBOX_NOTREADY');
    await expect(get(port)).rejects.toThrow();

    const start = await skiff('start', id.slice(0, 12));
    expect(start.code, start.err).toBe(0);
    expect(start.out).toBe(`${id.slice(0, 12)}\n`);
    await served('run 2');
    const st = await onRoot().containerStatus(id);
    expect(st.state).toBe('CONTAINER_RUNNING');
    expect(st.metadata.name).toBe('again');
    expect((await skiff('logs', id)).out).toBe('run 1\nrun 2\n');
    expect((await heldBy('again')).netns).toBe(true);

    const restart = await skiff('restart', '-t', '1', id);
    expect(restart.code, restart.err).toBe(0);
    await served('run 3');

    await exitNow();
    expect((await released('again', 'the third run to be released')).sandbox?.state).toBe('SANDBOX_NOTREADY');
    expect((await onRoot().containerStatus(id)).exitCode).toBe(0);
    expect((await skiff('start', 'ffffffffffff')).err).toMatch(/not found/);
    expect((await skiff('rm', id)).code).toBe(0);
  });

  it('start -a follows the output of the new run and exits with its code', async () => {
    const run = await skiff('run', '--name', 'att', 'busybox:1', '--', 'sh', '-c', 'if [ -f /seen ]; then echo second; exit 7; fi; touch /seen; echo first');
    expect(run.code, run.err).toBe(0);
    const id = (await onRoot().listContainers()).find((c) => c.metadata.name === 'att')?.id ?? '';
    const again = await skiff('start', '-a', id);
    expect(again.code, again.err).toBe(7);
    expect(again.out, again.err).toBe('second\n');
    expect(await heldBy('att')).toMatchObject({ mounts: [], netns: false, sandbox: { state: 'SANDBOX_NOTREADY' } });
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
