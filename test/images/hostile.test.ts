// Hostile layers never touch anything outside their snapshot: each case is pushed to a real
// registry and pulled; the pull fails with a clear error, the sentinel files outside the
// store are untouched, and no snapshot, blob-backed image record or temp dir remains.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile, stat, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRuntimeError } from '../../runtime/cri.js';
import { ImageService } from '../../runtime/image-service.js';
import type { ContentStore } from '../../runtime/images/content-store.js';
import { writeImage, type RawEntry } from '../../runtime/images/image-writer.js';
import { openStore, pushImage } from '../fixtures/images.js';
import { startRegistry, type RegistryFixture } from '../fixtures/registry.js';

describe('hostile layers', () => {
  let reg: RegistryFixture;
  let work: string;
  let store: ContentStore;
  let sentinelDir: string;
  let svc: ImageService;
  const original = 'sentinel: must never change\n';

  beforeAll(async () => {
    reg = await startRegistry();
    work = await mkdtemp(path.join(os.tmpdir(), 'skiff-hostile-'));
    store = await openStore(path.join(work, 'build'));
    sentinelDir = path.join(work, 'sentinel');
    await mkdir(sentinelDir);
    await writeFile(path.join(sentinelDir, 'file'), original);
    // The runtime root sits beside the sentinel, so "../../../sentinel/file" from a snapshot dir reaches it.
    svc = new ImageService({ root: path.join(work, 'runtime') });
  });

  afterAll(async () => {
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const cases: [string, () => RawEntry[], RegExp][] = [
    ['dot-dot path', () => [{ name: '../../../sentinel/file', data: 'pwned' }], /path with "\.\."/],
    ['dot-dot in the middle', () => [{ name: 'a/../../../../sentinel/file', data: 'pwned' }], /path with "\.\."/],
    ['absolute path', () => [{ name: `${sentinelDir}/file`, data: 'pwned' }], /absolute path/],
    ['symlink pointing outside', () => [{ name: 'esc', type: 'symlink', linkname: '../../../sentinel' }], /points outside the image root/],
    ['hardlink pointing outside', () => [{ name: 'hl', type: 'link', linkname: '../../../sentinel/file' }], /path with "\.\."/],
    ['hardlink to an absolute path', () => [{ name: 'hl', type: 'link', linkname: `${sentinelDir}/file` }], /points outside the layer/],
    ['hardlink to a file not in the layer', () => [{ name: 'hl', type: 'link', linkname: 'etc/passwd' }], /not a file earlier in this layer/],
    ['symlink named "."', () => [{ name: '.', type: 'symlink', linkname: sentinelDir }], /in place of the root directory/],
    ['symlink named "/"', () => [{ name: '/', type: 'symlink', linkname: sentinelDir }], /absolute path/],
    ['symlink named "./"', () => [{ name: './', type: 'symlink', linkname: sentinelDir }], /in place of the root directory/],
    ['write through a symlink placed earlier', () => [{ name: 'dir', type: 'symlink', linkname: sentinelDir }, { name: 'dir/file', data: 'pwned' }], /written through the symlink "dir"/],
    ['mkdir through a symlink placed earlier', () => [{ name: 'dir', type: 'symlink', linkname: sentinelDir }, { name: 'dir/sub/', type: 'directory' }], /written through the symlink "dir"/],
    ['whiteout through a symlink placed earlier', () => [{ name: 'dir', type: 'symlink', linkname: sentinelDir }, { name: 'dir/.wh.file', data: '' }], /written through the symlink "dir"/],
    ['character device', () => [{ name: 'null', type: 'character-device', devmajor: 1, devminor: 3 }], /device node "null"/],
    ['block device', () => [{ name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 }], /device node "sda"/],
    ['bare .wh.', () => [{ name: 'x/.wh.', data: '' }], /bare or malformed whiteout/],
    ['duplicate entries', () => [{ name: 'dup', data: 'one' }, { name: 'dup', data: 'two' }], /duplicate entry "dup"/],
    ['overlay xattr smuggled in', () => [{ name: 'f', data: 'x', pax: { 'SCHILY.xattr.trusted.overlay.redirect': '/etc' } }], /overlayfs xattr/],
  ];

  for (const [name, entries, why] of cases) {
    it(`rejects ${name}`, async () => {
      const repo = `hostile-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase().replace(/^-|-$/g, '')}`;
      // A good layer first, so the failure happens with a sibling layer unpacking alongside.
      const img = await writeImage(store, { layers: [{ entries: [{ name: 'ok/', type: 'directory' }, { name: 'ok/file', data: repo }] }, { entries: entries() }] });
      await pushImage(reg.host, `${repo}:v1`, store, img);
      const err = await svc.pullImage({ image: `${reg.host}/${repo}:v1` }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isRuntimeError(err, 'InvalidArgument'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/rejected layer/);
      expect((err as Error).message).toMatch(why);
      expect(await readFile(path.join(sentinelDir, 'file'), 'utf8')).toBe(original);
      expect((await readdir(sentinelDir)).sort()).toEqual(['file']);
      // No partial snapshot: the hostile layer's temp dir is gone and nothing records it.
      expect((await readdir(path.join(work, 'runtime', 'l'))).filter((n) => n.startsWith('tmp-'))).toEqual([]);
      const snaps = await svc.snapshots.list();
      expect(snaps.committed.map((s) => s.diffId)).not.toContain(img.layers[1].diffId);
      expect((await svc.listImages()).map((i) => i.id)).not.toContain(img.configDigest);
    });
  }

  it('rejects a blob whose bytes do not match its digest, keeping nothing of it', async () => {
    const img = await writeImage(store, { layers: [{ entries: [{ name: 'payload', data: 'x'.repeat(5000) }] }] });
    await pushImage(reg.host, 'corrupt:v1', store, img);
    const hex = img.layers[0].descriptor.digest.slice(7);
    const onDisk = path.join(reg.dataDir, 'storage/docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const size = (await stat(onDisk)).size;
    // Same length, different bytes: only the digest check can notice.
    const bytes = await readFile(onDisk);
    bytes[bytes.length - 10] ^= 0xff;
    await writeFile(onDisk, bytes);
    expect((await stat(onDisk)).size).toBe(size);
    await expect(svc.pullImage({ image: `${reg.host}/corrupt:v1` })).rejects.toThrow(/digest mismatch/);
    expect(await svc.content.has(img.layers[0].descriptor.digest)).toBe(false);
    await appendFile(onDisk, Buffer.alloc(0));
  });

  it('still pulls a good image afterwards', async () => {
    const img = await writeImage(store, { layers: [{ entries: [{ name: 'fine', data: 'fine' }] }] });
    await pushImage(reg.host, 'good:v1', store, img);
    expect(await svc.pullImage({ image: `${reg.host}/good:v1` })).toBe(img.configDigest);
  });
});
