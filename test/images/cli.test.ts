// `skiff cri` image verbs end to end on a runtime root: pull from a real registry, images,
// inspect, mount/unmount, rmi by prefix, prune, and clear errors for bad input. The verbs run
// in-process (the same commander program the binary builds) with stdout captured; the crash
// suite runs `skiff cri pull` as a real process. rmi and prune open the root's runtime (they
// ask it which images are in use), which mounts the root's state tmpfs under /run/skiff, and the
// root's removal releases it; pull, images and inspect open none.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerCri } from '../../cmd/cri.js';
import { isTmpfs, stateDirFor } from '../../runtime/state-dir.js';
import { buildBusyboxImage, openStore, pushImage, type WrittenImage } from '../fixtures/images.js';
import { startRegistry, type RegistryFixture } from '../fixtures/registry.js';
import { mountsAt, removeRuntimeRoot } from '../fixtures/runtime-state.js';

async function skiff(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  const program = new Command('skiff').enablePositionalOptions().exitOverride();
  registerCri(program);
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'skiff', ...args]);
    return { out, err, code: Number(process.exitCode ?? 0) };
  } catch (x) {
    return { out, err: err + (x instanceof Error ? x.message : String(x)), code: 1 };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = 0;
  }
}

describe('skiff cri image verbs', () => {
  let reg: RegistryFixture;
  let work: string;
  let root: string;
  let img: WrittenImage;
  let other: WrittenImage;

  beforeAll(async () => {
    reg = await startRegistry();
    work = await mkdtemp(path.join(os.tmpdir(), 'skiff-cli-test-'));
    root = path.join(work, 'runtime');
    const store = await openStore(path.join(work, 'build'));
    img = await buildBusyboxImage(store, { config: { Cmd: ['sleep', '1'] } });
    other = await buildBusyboxImage(store, { extraLayers: [{ entries: [{ name: 'etc/motd', data: 'hi\n' }] }] });
    await pushImage(reg.host, 'tools/busybox:1.36', store, img);
    await pushImage(reg.host, 'tools/other:1', store, other);
  });

  afterAll(async () => {
    await reg?.stop();
    if (work) await removeRuntimeRoot(root).finally(() => rm(work, { recursive: true, force: true }));
  });

  it('pull, images, inspect, mount, rmi, prune', async () => {
    const pull = await skiff('cri', '--root', root, 'pull', `${reg.host}/tools/busybox:1.36`);
    expect(pull.err).toBe(`${img.manifest.layers[0].digest.slice(7, 19)}: Downloaded ${pull.err.match(/Downloaded (\S+)/)?.[1]}\n${img.manifest.layers[0].digest.slice(7, 19)}: Pull complete\n`);
    expect(pull.out).toBe(`Status: Downloaded newer image for ${reg.host}/tools/busybox:1.36\nID: ${img.configDigest}\n`);
    expect((await skiff('cri', '--root', root, 'pull', `${reg.host}/tools/busybox:1.36`)).out).toMatch(/^Status: Image is up to date/);
    expect((await skiff('cri', '--root', root, 'pull', '-q', `${reg.host}/tools/other:1`)).out).toBe(`${other.configDigest}\n`);

    const images = await skiff('cri', '--root', root, 'images');
    const lines = images.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(lines.slice(1).map((l) => l.split(/\s{3,}/).slice(0, 3)).sort()).toEqual(
      [
        [`${reg.host}/tools/busybox`, '1.36', img.configDigest.slice(7, 19)],
        [`${reg.host}/tools/other`, '1', other.configDigest.slice(7, 19)],
      ].sort(),
    );

    const inspect = JSON.parse((await skiff('cri', '--root', root, 'inspect', img.configDigest.slice(7, 12))).out) as { status: { id: string }; info: { config: { cmd: string[] } } };
    expect(inspect.status.id).toBe(img.configDigest);
    expect(inspect.info.config.cmd).toEqual(['sleep', '1']);

    const mnt = path.join(work, 'mnt');
    expect((await skiff('cri', '--root', root, 'mount', `${reg.host}/tools/other:1`, mnt)).code).toBe(0);
    try {
      expect(await readdir(path.join(mnt, 'etc'))).toContain('motd');
    } finally {
      expect((await skiff('cri', '--root', root, 'unmount', mnt)).code).toBe(0);
    }
    expect(await readdir(mnt)).toEqual([]);

    const rmi = await skiff('cri', '--root', root, 'rmi', other.configDigest.slice(7, 13));
    expect(rmi.out).toBe(`Untagged: ${reg.host}/tools/other:1\nDeleted: ${other.configDigest}\n`);
    const prune = await skiff('cri', '--root', root, 'prune');
    expect(prune.out).toMatch(new RegExp(`Deleted Images:\\ndeleted: ${img.configDigest}\\n`));
    expect(prune.out).toMatch(/Total reclaimed space: [\d.]+MB\n$/);
    expect((await skiff('cri', '--root', root, 'images', '-q')).out).toBe('');
  });

  it('answers bad input with a clear error', async () => {
    await mkdir(root, { recursive: true });
    const bad = await skiff('cri', '--root', root, 'pull', 'tools/UPPER:1');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/invalid reference "tools\/UPPER:1": repository name must be lowercase/);
    const missing = await skiff('cri', '--root', root, 'rmi', 'nope:1', 'fff');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope:1: no such image/);
    expect(missing.err).toMatch(/fff: no such image/);
    const notFound = await skiff('cri', '--root', root, 'pull', `${reg.host}/tools/missing:1`);
    expect(notFound.err).toMatch(/manifest tools\/missing:1 not found/);
    const unmount = await skiff('cri', '--root', root, 'unmount', path.join(work, 'not-mounted'));
    expect(unmount.err).toMatch(/not mounted|umount/);
  });

  it("pull, images and inspect open no runtime; prune does, and the root's removal releases its state tmpfs, as the mount table shows", async () => {
    const fresh = path.join(work, 'fresh');
    const stateDir = stateDirFor(fresh);
    try {
      expect((await skiff('cri', '--root', fresh, 'pull', '-q', `${reg.host}/tools/other:1`)).code).toBe(0);
      expect((await skiff('cri', '--root', fresh, 'images', '-q')).out).toBe(`${other.configDigest.slice(7, 19)}\n`);
      expect((await skiff('cri', '--root', fresh, 'inspect', `${reg.host}/tools/other:1`)).code).toBe(0);
      expect(existsSync(stateDir)).toBe(false);
      expect((await skiff('cri', '--root', fresh, 'prune')).code).toBe(0);
      expect(existsSync(stateDir)).toBe(true);
      // Its own tmpfs, unless its parent is one already (a systemd /run).
      expect(await mountsAt(stateDir)).toEqual(isTmpfs(path.dirname(stateDir)) ? [] : [stateDir]);
    } finally {
      await removeRuntimeRoot(fresh);
    }
    expect(await mountsAt(stateDir)).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    expect(existsSync(fresh)).toBe(false);
  });
});
