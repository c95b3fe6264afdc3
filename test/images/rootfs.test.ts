// A multi-layer image written by the image writer, pushed to a real registry and pulled back:
// the mounted rootfs shows exactly the expected tree (whiteouts, an opaque directory, a
// deleted directory, a hardlink), while layer A's blob still carries the deleted file's bytes.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, utimes, writeFile, link } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageService } from '../../runtime/image-service.js';
import { writeImage, type WrittenImage } from '../../runtime/images/image-writer.js';
import { mountAll, unmount } from '../../runtime/images/mount.js';
import { buildBusyboxImage, openStore, pushImage } from '../fixtures/images.js';
import { startRegistry, type RegistryFixture } from '../fixtures/registry.js';
import type { ContentStore } from '../../runtime/images/content-store.js';

/** Every path under dir with a short description of what it is. */
async function tree(dir: string, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of (await readdir(path.join(dir, rel))).sort()) {
    const r = rel ? `${rel}/${n}` : n;
    const st = await lstat(path.join(dir, r));
    if (st.isDirectory()) {
      out[r] = 'dir';
      Object.assign(out, await tree(dir, r));
    } else if (st.isSymbolicLink()) out[r] = `-> ${await readlink(path.join(dir, r))}`;
    else out[r] = `file ${st.size}`;
  }
  return out;
}

async function tarNamesAndSizes(blob: string): Promise<Map<string, number>> {
  const ex = tar.extract();
  const out = new Map<string, number>();
  createReadStream(blob).pipe(createGunzip()).pipe(ex as unknown as NodeJS.WritableStream);
  for await (const e of ex) {
    out.set(e.header.name, e.header.size ?? 0);
    e.resume();
  }
  return out;
}

describe('pull and mount a multi-layer image', () => {
  let reg: RegistryFixture;
  let work: string;
  let store: ContentStore;
  let image: WrittenImage;
  const big = randomBytes(300_000);

  beforeAll(async () => {
    reg = await startRegistry();
    work = await mkdtemp(path.join(os.tmpdir(), 'skiff-rootfs-test-'));
    store = await openStore(path.join(work, 'build'));
    // Layer A: files, a directory to delete later, a directory to make opaque, a hardlink pair.
    const a = path.join(work, 'a');
    await mkdir(path.join(a, 'data/keep'), { recursive: true });
    await writeFile(path.join(a, 'data/big.bin'), big);
    await writeFile(path.join(a, 'data/keep/k.txt'), 'kept\n');
    await mkdir(path.join(a, 'gone/deep'), { recursive: true });
    await writeFile(path.join(a, 'gone/deep/x'), 'x');
    await mkdir(path.join(a, 'opq'), { recursive: true });
    await writeFile(path.join(a, 'opq/old1'), 'old1');
    await writeFile(path.join(a, 'opq/old2'), 'old2');
    await writeFile(path.join(a, 'hl-a'), 'same inode\n');
    await link(path.join(a, 'hl-a'), path.join(a, 'hl-b'));
    await writeFile(path.join(a, 'setuid'), '#!/bin/sh\n');
    await chmod(path.join(a, 'setuid'), 0o4755);
    await utimes(path.join(a, 'data/keep/k.txt'), new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
    await symlink('keep/k.txt', path.join(a, 'data/link'));
    // Layer B: deletes data/big.bin and gone/, makes opq/ opaque with one new file, adds a file.
    const b = path.join(work, 'b');
    await mkdir(path.join(b, 'opq'), { recursive: true });
    await writeFile(path.join(b, 'opq/new'), 'new');
    await writeFile(path.join(b, 'added.txt'), 'layer b\n');
    image = await buildBusyboxImage(store, {
      extraLayers: [{ dir: a }, { dir: b, delete: ['data/big.bin', 'gone'], opaque: ['opq'] }],
      config: { Entrypoint: ['/bin/sh'], Cmd: ['-c', 'echo hi'], Env: ['A=1'], WorkingDir: '/data', User: '0:0', Labels: { l: 'v' } },
    });
    await pushImage(reg.host, 'multi:v1', store, image);
  });

  afterAll(async () => {
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('mounts exactly the expected tree, and layer A still ships the deleted bytes', async () => {
    const root = path.join(work, 'runtime');
    const svc = new ImageService({ root });
    const events: string[] = [];
    const id = await svc.pullImage({ image: `${reg.host}/multi:v1` }, { onProgress: (p) => events.push(`${p.kind}:${p.status}`) });
    expect(id).toBe(image.configDigest);
    expect(events).toContain('layer:downloading');
    expect(events).toContain('layer:extracted');

    const mnt = path.join(work, 'mnt');
    await mkdir(mnt);
    await svc.mountImage(`${reg.host}/multi:v1`, mnt);
    try {
      const t = await tree(mnt);
      expect(t['data/big.bin']).toBeUndefined();
      expect(t['gone']).toBeUndefined();
      expect(t['gone/deep/x']).toBeUndefined();
      expect(Object.keys(t).filter((k) => k.startsWith('opq/'))).toEqual(['opq/new']);
      expect(t['data/keep/k.txt']).toBe('file 5');
      expect(t['data/link']).toBe('-> keep/k.txt');
      expect(t['added.txt']).toBe('file 8');
      expect(t['bin/sh']).toBe('-> busybox');
      expect(await readFile(path.join(mnt, 'data/link'), 'utf8')).toBe('kept\n');
      const [ha, hb] = await Promise.all([stat(path.join(mnt, 'hl-a')), stat(path.join(mnt, 'hl-b'))]);
      expect(ha.ino).toBe(hb.ino);
      expect(ha.nlink).toBe(2);
      expect((await stat(path.join(mnt, 'setuid'))).mode & 0o7777).toBe(0o4755);
      expect((await stat(path.join(mnt, 'data/keep/k.txt'))).mtime.toISOString()).toBe('2001-02-03T04:05:06.000Z');
      expect((await stat(path.join(mnt, 'tmp'))).mode & 0o7777).toBe(0o1777);
    } finally {
      await unmount(mnt);
    }

    // The file deleted in layer B is still in layer A's blob, byte for byte.
    const layerA = image.manifest.layers[1];
    const entries = await tarNamesAndSizes(svc.content.blobPath(layerA.digest));
    expect(entries.get('data/big.bin')).toBe(big.length);
    expect(layerA.size).toBeGreaterThan(big.length); // random bytes do not compress

    // The image config reaches the runtime.
    const local = await svc.getImage(`${reg.host}/multi:v1`);
    expect(local.config).toMatchObject({ entrypoint: ['/bin/sh'], cmd: ['-c', 'echo hi'], env: ['A=1'], workingDir: '/data', user: '0:0', labels: { l: 'v' } });
    expect(local.repoDigest).toBe(`${reg.host}/multi@${image.manifestDigest}`);

    // A container's rootfs: writable upper over the layers; writes do not reach the layers.
    const mounts = await svc.prepareRootfs(`c-${process.pid}`, id);
    const rw = path.join(work, 'rw');
    await mkdir(rw);
    await mountAll(mounts, rw);
    try {
      await writeFile(path.join(rw, 'added.txt'), 'changed');
      await rm(path.join(rw, 'data/keep/k.txt'));
    } finally {
      await unmount(rw);
    }
    await svc.mountImage(id.slice(7, 19), mnt);
    try {
      expect(await readFile(path.join(mnt, 'added.txt'), 'utf8')).toBe('layer b\n');
      expect(await readFile(path.join(mnt, 'data/keep/k.txt'), 'utf8')).toBe('kept\n');
    } finally {
      await unmount(mnt);
    }
    await svc.removeRootfs(`c-${process.pid}`);
  });

  it('writes and pulls Docker schema2 images too', async () => {
    const docker = await writeImage(store, { layers: [{ entries: [{ name: 'hello', data: 'docker\n' }] }], format: 'docker' });
    await pushImage(reg.host, 'docker:v1', store, docker);
    const svc = new ImageService({ root: path.join(work, 'runtime-docker') });
    expect(await svc.pullImage({ image: `${reg.host}/docker:v1` })).toBe(docker.configDigest);
    const st = await svc.imageStatus({ image: `${reg.host}/docker:v1` }, true);
    expect(st.image?.repoTags).toEqual([`${reg.host}/docker:v1`]);
    expect(st.info?.manifest).toMatchObject({ mediaType: 'application/vnd.docker.distribution.manifest.v2+json' });
  });
});
