// Removing images as Docker does — by reference, full ID, or a unique ID prefix of 3+
// characters; an ambiguous prefix names the candidates; an image in use is refused unless
// forced — and prune freeing space while keeping what containers use.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRuntimeError } from '../../runtime/cri.js';
import { ImageService } from '../../runtime/image-service.js';
import type { ContentStore } from '../../runtime/images/content-store.js';
import { writeImage, type WrittenImage } from '../../runtime/images/image-writer.js';
import { mountAll, unmount } from '../../runtime/images/mount.js';
import { buildBusyboxImage, importImage, openStore } from '../fixtures/images.js';

describe('rmi and prune', () => {
  let work: string;
  let root: string;
  let store: ContentStore;
  let a: WrittenImage;
  let b: WrittenImage;
  let c: WrittenImage;
  const used = new Set<string>();
  let svc: ImageService;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'skiff-remove-test-'));
    root = path.join(work, 'runtime');
    store = await openStore(path.join(work, 'build'));
    // Two images whose IDs share their first three hex digits: found by trying labels.
    const seen = new Map<string, WrittenImage>();
    const payload = randomBytes(200_000);
    for (let i = 0; ; i++) {
      const img = await writeImage(store, { layers: [{ entries: [{ name: 'payload', data: payload }], compression: 'none' }], config: { Labels: { try: String(i) } } });
      const p = img.configDigest.slice(7, 10);
      const other = seen.get(p);
      if (other) {
        a = other;
        b = img;
        break;
      }
      seen.set(p, img);
    }
    c = await buildBusyboxImage(store);
    await importImage(root, 'example.com/a:1', a, store);
    await importImage(root, 'example.com/b:1', b, store);
    await importImage(root, 'example.com/c:v1', c, store);
    await importImage(root, 'example.com/c:v2', c, store);
    svc = new ImageService({ root, inUse: async () => used });
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('refuses an ambiguous prefix, naming the candidates', async () => {
    const prefix = a.configDigest.slice(7, 10);
    const err = await svc.removeImage({ image: prefix }).catch((e: unknown) => e);
    expect(isRuntimeError(err, 'InvalidArgument'), String(err)).toBe(true);
    expect((err as Error).message).toContain(a.configDigest.slice(7, 19));
    expect((err as Error).message).toContain(b.configDigest.slice(7, 19));
    expect((err as Error).message).toContain('example.com/a:1');
    expect(await svc.listImages()).toHaveLength(3);
  });

  it('removes by a unique short prefix', async () => {
    let n = 3;
    while (a.configDigest.slice(7, 7 + n) === b.configDigest.slice(7, 7 + n)) n++;
    await svc.removeImage({ image: a.configDigest.slice(7, 7 + n) });
    const ids = (await svc.listImages()).map((i) => i.id);
    expect(ids).not.toContain(a.configDigest);
    expect(ids).toContain(b.configDigest);
    // Its blobs went with it (b shares the layer, so that one stays).
    expect(await svc.content.has(a.configDigest)).toBe(false);
    expect(await svc.content.has(a.layers[0].descriptor.digest)).toBe(true);
    expect(isRuntimeError(await svc.removeImage({ image: 'ab' }).catch((e: unknown) => e), 'NotFound')).toBe(true);
    expect(isRuntimeError(await svc.removeImage({ image: a.configDigest }).catch((e: unknown) => e), 'NotFound')).toBe(true);
  });

  it('untags, and refuses to remove the last tag of an image in use unless forced', async () => {
    used.add(c.configDigest);
    await svc.removeImage({ image: 'example.com/c:v1' });
    const err = await svc.removeImage({ image: 'example.com/c:v2' }).catch((e: unknown) => e);
    expect(isRuntimeError(err, 'FailedPrecondition'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/in use by a container/);
    const err2 = await svc.removeImage({ image: c.configDigest.slice(7, 15) }).catch((e: unknown) => e);
    expect(isRuntimeError(err2, 'FailedPrecondition'), String(err2)).toBe(true);
    const [img] = await svc.listImages({ image: { image: 'example.com/c' } });
    expect(img.repoTags).toEqual(['example.com/c:v2']);
  });

  it('prune removes unused images and unreferenced blobs and snapshots, keeping images in use', async () => {
    const stray = await svc.content.writeBuffer(randomBytes(100_000));
    const before = (await svc.imageFsInfo())[0];
    const result = await svc.prune();
    expect(result.imagesDeleted).toEqual([b.configDigest]);
    // b's 200 kB layer (uncompressed tar blob + its unpacked snapshot) and the stray blob.
    expect(result.spaceReclaimed).toBeGreaterThan(200_000 * 2 + 100_000);
    const after = (await svc.imageFsInfo())[0];
    expect(before.usedBytes - after.usedBytes).toBeGreaterThanOrEqual(result.spaceReclaimed * 0.9);
    expect(after.inodesUsed).toBeLessThan(before.inodesUsed);
    expect(await svc.content.has(stray)).toBe(false);
    expect(await svc.content.has(b.layers[0].descriptor.digest)).toBe(false);
    expect((await svc.listImages()).map((i) => i.id)).toEqual([c.configDigest]);
    const snaps = await svc.snapshots.list();
    expect(snaps.committed.map((s) => s.diffId)).toEqual([c.layers[0].diffId]);
    expect(await readdir(path.join(root, 'l'))).toHaveLength(1);
  });

  it('prune keeps what a pull in another process holds a lease on', async () => {
    const blob = await svc.content.writeBuffer(randomBytes(10_000));
    // The parent of this test process is alive: its lease file counts.
    await mkdir(path.join(root, 'leases'), { recursive: true });
    await writeFile(path.join(root, 'leases', `${process.ppid}.json`), JSON.stringify([blob]));
    await svc.prune();
    expect(await svc.content.has(blob)).toBe(true);
    await rm(path.join(root, 'leases', `${process.ppid}.json`));
    await svc.prune();
    expect(await svc.content.has(blob)).toBe(false);
  });

  it('a forced removal keeps the layers a container stands on until it is gone', async () => {
    const key = `ctr-${process.pid}`;
    const mounts = await svc.prepareRootfs(key, c.configDigest);
    await svc.removeImage({ image: 'example.com/c:v2' }, { force: true });
    expect(await svc.listImages()).toEqual([]);
    // Asking again (a runtime restart) still answers for the existing container.
    expect(await svc.prepareRootfs(key, c.configDigest)).toEqual(mounts);
    const mnt = path.join(work, 'mnt');
    await mkdir(mnt);
    await mountAll(mounts, mnt);
    try {
      expect(await readdir(path.join(mnt, 'bin'))).toContain('busybox');
    } finally {
      await unmount(mnt);
    }
    await svc.removeRootfs(key);
    const r = await svc.prune();
    expect(r.imagesDeleted).toEqual([]);
    expect(r.spaceReclaimed).toBeGreaterThan(1_000_000); // the busybox layer and its blob
    expect(await readdir(path.join(root, 'l'))).toEqual([]);
    expect(await readdir(path.join(root, 'content', 'blobs', 'sha256'))).toEqual([]);
  });
});
