// Secret bytes never touch the node's disk: a container's env (and a pod annotation, where a
// manifest's literal env can travel) reach the container, yet no file on the disk under the
// suite's root holds them. They live in the runtime's state dir, a private tmpfs the runtime
// mounts itself (the root is on disk, as /run may be too). A new runtime instance on the same
// root and state dir re-adopts the container; after a "reboot" (the tmpfs gone, the root's logs,
// snapshots and IPAM allocations still there) a new instance starts clean and gives back the
// addresses the lost sandboxes held; releasing the state dir leaves no mount.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unmountAll } from '../../runtime/oci/mount.js';
import { isTmpfs, releaseStateDir, STATE_TMPFS_SOURCE, TMPFS_MAGIC } from '../../runtime/state-dir.js';
import { collectLogs, runContainer, startHarness, waitExited, waitFor, type Harness } from './harness.js';

const secret = `s3cret-${crypto.randomBytes(12).toString('hex')}`;
const logLines: string[] = [];
let h: Harness;

/** A parent on the disk for the suite's root: os.tmpdir() unless that is a tmpfs itself. */
async function diskParent(): Promise<string> {
  for (const d of [os.tmpdir(), '/var/tmp']) if (!isTmpfs(d)) return d;
  const d = path.join(process.cwd(), '.tmp');
  await fs.mkdir(d, { recursive: true });
  return d;
}

beforeAll(async () => {
  const logger = pino({ level: 'info' }, { write: (s: string) => void logLines.push(s) });
  h = await startHarness({ logger }, await diskParent());
});
afterAll(async () => {
  await h?.teardown();
});

/** The mountinfo entry whose mount point is `dir`: [fstype, source, mount options + super options]. */
async function mountAt(dir: string): Promise<{ fstype: string; source: string; options: string } | undefined> {
  for (const l of (await fs.readFile('/proc/self/mountinfo', 'utf8')).split('\n')) {
    const f = l.split(' ');
    if (f[4] !== dir) continue;
    const sep = f.indexOf('-');
    return { fstype: f[sep + 1] ?? '', source: f[sep + 2] ?? '', options: `${f[5]},${f[sep + 3]}` };
  }
  return undefined;
}

/**
 * Every regular file under `dir` that holds `needle`, walking the disk only: a directory on a
 * tmpfs, or on another file system than `dir` (a mount point), is not entered but listed.
 */
async function filesHolding(dir: string, needle: string): Promise<{ hits: string[]; read: number; skipped: string[] }> {
  const rootDev = (await fs.stat(dir)).dev;
  const out = { hits: [] as string[], read: 0, skipped: [] as string[] };
  const walk = async (d: string): Promise<void> => {
    const st = await fs.stat(d);
    if (st.dev !== rootDev || (await fs.statfs(d)).type === TMPFS_MAGIC) {
      out.skipped.push(d);
      return;
    }
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        out.read++;
        if ((await fs.readFile(p)).includes(needle)) out.hits.push(p);
      }
    }
  };
  await walk(dir);
  return out;
}

describe('the runtime state dir', () => {
  let sandboxId = '';
  let containerId = '';

  it('is a private tmpfs the runtime mounted, and says so', async () => {
    expect(isTmpfs(h.root)).toBe(false);
    const m = await mountAt(h.stateDir);
    expect(m).toMatchObject({ fstype: 'tmpfs', source: STATE_TMPFS_SOURCE });
    for (const o of ['nosuid', 'nodev', 'noexec', 'mode=700']) expect(m?.options.split(',')).toContain(o);
    expect((await fs.stat(h.stateDir)).mode & 0o777).toBe(0o700);
    expect(logLines.some((l) => l.includes('mounted a private tmpfs on the runtime state dir') && l.includes(h.stateDir))).toBe(true);
  });

  it("keeps a container's env and its pod's annotations in memory only: on the tmpfs, in no file on the disk", async () => {
    const sc = h.sandboxConfig('secretive', { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `{"env":[{"value":"${secret}"}]}` } });
    sandboxId = await h.rt.runPodSandbox(sc);
    containerId = await runContainer(h, sandboxId, sc, h.containerConfig('app', {
      command: ['sh', '-c', 'trap "exit 0" TERM; echo up; while :; do sleep 0.1; done'],
      envs: [{ key: 'SECRET_TOKEN', value: secret }],
    }));
    await waitFor(async () => (await collectLogs(h.rt, containerId)).some((l) => l.line === 'up'), 'the container to start');
    // The container has it (by exec: its output goes to no log).
    expect((await h.rt.execSync(containerId, ['sh', '-c', 'echo "$SECRET_TOKEN"'], 5)).stdout.toString()).toBe(`${secret}\n`);

    // The bundle's spec, the container and sandbox records and the OCI runtime's state: on the tmpfs.
    const bundle = path.join(h.stateDir, 'containers', containerId);
    const records = (await fs.readdir(bundle)).filter((f) => /^meta\.\d+\.json$/.test(f)).map((f) => path.join(bundle, f));
    const sandboxRecords = (await fs.readdir(path.join(h.stateDir, 'sandboxes', sandboxId))).filter((f) => /^meta\.\d+\.json$/.test(f)).map((f) => path.join(h.stateDir, 'sandboxes', sandboxId, f));
    expect(records.length).toBeGreaterThan(0);
    expect(sandboxRecords.length).toBeGreaterThan(0);
    for (const f of [path.join(bundle, 'config.json'), ...records, ...sandboxRecords]) {
      expect((await fs.statfs(f)).type, f).toBe(TMPFS_MAGIC);
      expect((await fs.readFile(f, 'utf8')).includes(secret), f).toBe(true);
    }
    expect((await fs.statfs(h.rt.ociRuntime.stateRoot)).type).toBe(TMPFS_MAGIC);
    expect(h.rt.ociRuntime.stateRoot.startsWith(h.stateDir + path.sep)).toBe(true);

    // The whole suite dir on the disk (the runtime root with its logs, IPAM and node.json, the
    // image provider's snapshots and images), the tmpfs skipped: the secret is in no file.
    const found = await filesHolding(h.root, secret);
    expect(found.skipped).toContain(h.stateDir);
    expect(found.read).toBeGreaterThan(10);
    expect(found.hits).toEqual([]);
    // ...while the log of that container, on the disk, was read.
    expect((await fs.readdir(path.join(h.root, 'rt', 'logs', sandboxId, 'app'))).length).toBeGreaterThan(0);
  });

  it('lets a new runtime instance on the same root and state dir re-adopt the running container', async () => {
    const rt2 = h.reopen();
    expect(rt2.stateDir).toBe(h.stateDir);
    expect((await rt2.listContainers({ state: 'CONTAINER_RUNNING' })).map((c) => c.id)).toContain(containerId);
    expect((await rt2.execSync(containerId, ['sh', '-c', 'echo "$SECRET_TOKEN"'], 5)).stdout.toString()).toBe(`${secret}\n`);
    await rt2.stopContainer(containerId, 10);
    expect(await rt2.containerStatus(containerId)).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 0 });
    // The first instance reads the exit from the same exit file.
    await waitExited(h, containerId);
  });

  it('starts clean after a reboot: the tmpfs gone with its records, the root still holding logs and snapshots', async () => {
    // What a reboot leaves: no container process (it exited above), no network namespace, no
    // mount; the root on disk as it was.
    await h.rt.stopPodSandbox(sandboxId);
    await unmountAll(path.join(h.stateDir, 'containers', containerId, 'rootfs'));
    expect((await mountAt(h.stateDir))?.fstype).toBe('tmpfs');
    expect(await releaseStateDir(h.stateDir)).toBe(`unmounted and removed the runtime state tmpfs ${h.stateDir}`);
    expect(await mountAt(h.stateDir)).toBeUndefined();

    // An address a sandbox of the lost state held (its CNI DEL never ran): on the disk, under the root.
    const allocations = path.join(h.root, 'rt', 'cni', `skiff-${h.bridge}`);
    const orphanIp = `${h.podCidr.split('.').slice(0, 3).join('.')}.250`;
    await fs.mkdir(allocations, { recursive: true });
    await fs.writeFile(path.join(allocations, orphanIp), `${'f'.repeat(64)}\r\neth0`);

    logLines.length = 0;
    const rt3 = h.reopen();
    expect(await rt3.listContainers()).toEqual([]);
    expect(await rt3.listPodSandbox()).toEqual([]);
    expect(await mountAt(h.stateDir)).toMatchObject({ fstype: 'tmpfs', source: STATE_TMPFS_SOURCE });
    expect(logLines.some((l) => l.includes('mounted a private tmpfs on the runtime state dir'))).toBe(true);
    // The fresh state holds no sandbox: the orphan's address is given back.
    expect(await fs.stat(path.join(allocations, orphanIp)).then(() => true, () => false)).toBe(false);
    expect(logLines.some((l) => l.includes('freed pod IP allocations') && l.includes(orphanIp))).toBe(true);
    // The old container's log stays on the disk, as logs do.
    expect((await fs.readdir(path.join(h.root, 'rt', 'logs', sandboxId, 'app'))).length).toBeGreaterThan(0);
    // The old container's writable layer is an orphan of the root (no sweep yet): removed here.
    await h.images.removeRootfs(containerId);

    // And it runs pods again.
    const sc = h.sandboxConfig('after-reboot');
    const sb = await rt3.runPodSandbox(sc);
    const c = await rt3.createContainer(sb, h.containerConfig('again', { command: ['echo', 'again'] }), sc);
    await rt3.startContainer(c);
    await waitFor(async () => (await collectLogs(rt3, c)).some((l) => l.line === 'again'), 'the new container to run');
    await rt3.removePodSandbox(sb);
  });

  it('leaves no mount once released', async () => {
    const rt = h.reopen();
    for (const c of await rt.listContainers()) await rt.removeContainer(c.id);
    for (const s of await rt.listPodSandbox()) await rt.removePodSandbox(s.id);
    await releaseStateDir(h.stateDir);
    const mountinfo = await fs.readFile('/proc/self/mountinfo', 'utf8');
    expect(mountinfo.split('\n').filter((l) => l.includes(h.stateDir) || l.includes(h.root))).toEqual([]);
    expect(await fs.stat(h.stateDir).then(() => true, () => false)).toBe(false);
    // Releasing again (the harness's teardown does) is a no-op.
    expect(await releaseStateDir(h.stateDir)).toBe(`no runtime state dir at ${h.stateDir}`);
  });
});
