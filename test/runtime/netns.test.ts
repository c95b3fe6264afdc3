// Pinned namespaces, made by the spawn companion itself or (switched off) by `ip`, and the
// placeholder file left when the maker is killed before it mounts (a kill -9 of the kubelet
// mid-sandbox): teardown removes both kinds. Root filesystems mounted and unmounted the same
// two ways.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createNetns, deleteNetns, isNetnsMounted, netnsPath } from '../../runtime/network/netns.js';
import { runCommand } from '../../runtime/oci/command.js';
import { isMountPoint, mountRootfs, unmountAll } from '../../runtime/oci/mount.js';

const ways = [
  { way: 'the spawn companion', helper: undefined },
  { way: 'commands (companion switched off)', helper: '0' },
];

describe.each(ways)('pinned network namespaces, made by $way', ({ helper }) => {
  const names: string[] = [];
  afterEach(async () => {
    delete process.env.SKIFF_SPAWN_HELPER;
    for (const n of names.splice(0)) await deleteNetns(n);
  });
  const use = () => {
    if (helper === undefined) delete process.env.SKIFF_SPAWN_HELPER;
    else process.env.SKIFF_SPAWN_HELPER = helper;
  };

  it('makes a new namespace with lo up and nothing else in it, and refuses a name in use', async () => {
    use();
    const name = `skiff-t${process.pid}-${helper ?? 'c'}-lo`;
    names.push(name);
    expect(await createNetns(name)).toBe(netnsPath(name));
    expect(isNetnsMounted(netnsPath(name))).toBe(true);
    const links = await runCommand('ip', ['-n', name, '-o', 'link', 'show']);
    expect(links.code).toBe(0);
    const lines = links.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
    // lo answers: 127.0.0.1 is there and reachable inside the namespace
    const ping = await runCommand('ip', ['netns', 'exec', name, 'busybox', 'ping', '-c', '1', '-W', '2', '127.0.0.1']);
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
    // not this process's namespace
    const inside = await runCommand('ip', ['netns', 'exec', name, 'readlink', '/proc/self/ns/net']);
    expect(inside.stdout.trim()).not.toBe(readlinkSync('/proc/self/ns/net'));
    const again = await createNetns(name).catch((e: unknown) => e);
    expect((again as Error).message).toMatch(new RegExp(`network namespace ${name}: .*File exists`));
    await deleteNetns(name);
    expect(existsSync(netnsPath(name))).toBe(false);
  });

  it('tells a pinned namespace from a cut-short placeholder, and deletes both', async () => {
    use();
    const real = `skiff-t${process.pid}-${helper ?? 'c'}-real`;
    const stub = `skiff-t${process.pid}-${helper ?? 'c'}-stub`;
    names.push(real, stub);
    await createNetns(real);
    writeFileSync(netnsPath(stub), '', { mode: 0 });
    expect(isNetnsMounted(netnsPath(real))).toBe(true);
    expect(isNetnsMounted(netnsPath(stub))).toBe(false);
    await deleteNetns(stub);
    await deleteNetns(real);
    expect(existsSync(netnsPath(stub))).toBe(false);
    expect(existsSync(netnsPath(real))).toBe(false);
    await deleteNetns(real); // idempotent
  });

  it('mounts an overlay root filesystem, says why one cannot be mounted, and unmounts it', async () => {
    use();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'skiff-mount-'));
    try {
      for (const d of ['lower', 'upper', 'work', 'rootfs']) mkdirSync(path.join(dir, d));
      writeFileSync(path.join(dir, 'lower', 'from-lower'), 'layer\n');
      const target = path.join(dir, 'rootfs');
      const opts = (lower: string) => [`lowerdir=${lower}`, `upperdir=${dir}/upper`, `workdir=${dir}/work`];
      await mountRootfs([{ type: 'overlay', source: 'overlay', options: opts(`${dir}/lower`) }], target);
      expect(await isMountPoint(target)).toBe(true);
      expect(readFileSync(path.join(target, 'from-lower'), 'utf8')).toBe('layer\n');
      writeFileSync(path.join(target, 'written'), 'x');
      expect(existsSync(path.join(dir, 'upper', 'written'))).toBe(true);
      await unmountAll(target);
      expect(await isMountPoint(target)).toBe(false);
      const bad = await mountRootfs([{ type: 'overlay', source: 'overlay', options: opts(`${dir}/no-such-layer`) }], target).catch((e: unknown) => e);
      expect((bad as Error).message).toMatch(new RegExp(`mount -t overlay overlay ${target}: .+`));
      expect(await isMountPoint(target)).toBe(false);
    } finally {
      await unmountAll(path.join(dir, 'rootfs'));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
