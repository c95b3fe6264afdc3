// Unpack on the real file system (as root): overlay whiteouts and opaque markers, xattrs,
// owners and modes, the diffID check, and clear errors for corrupt or truncated blobs.
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRuntimeError } from '../cri.js';
import { ContentStore } from './content-store.js';
import { writeImage, type LayerSpec } from './image-writer.js';
import { unpackLayer } from './unpack.js';

const run = promisify(execFile);

describe('unpackLayer', () => {
  let work: string;
  let store: ContentStore;
  let n = 0;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'skiff-unpack-test-'));
    store = new ContentStore(path.join(work, 'store'));
    await store.init();
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function layer(spec: LayerSpec): Promise<{ blob: string; diffId: string; target: string }> {
    const img = await writeImage(store, { layers: [spec] });
    const target = path.join(work, `t${n++}`);
    await mkdir(target);
    return { blob: store.blobPath(img.layers[0].descriptor.digest), diffId: img.layers[0].diffId, target };
  }

  it('turns OCI whiteouts into overlay whiteouts and opaque dirs, and keeps owners, modes and xattrs', async () => {
    const l = await layer({
      entries: [
        { name: 'etc/', type: 'directory', mode: 0o750, uid: 7, gid: 8 },
        { name: 'etc/app.conf', data: 'x', mode: 0o640, uid: 1000, gid: 1001, pax: { 'SCHILY.xattr.user.skiff': 'hello' } },
        { name: 'etc/.wh.old.conf', data: '' },
        { name: 'var/cache/.wh..wh..opq', data: '' },
        { name: '.wh..wh.plnk', data: '' },
      ],
    });
    const r = await unpackLayer(l.blob, l.target, l.diffId);
    expect(r.diffId).toBe(l.diffId);
    const wh = await lstat(path.join(l.target, 'etc/old.conf'));
    expect(wh.isCharacterDevice()).toBe(true);
    expect(wh.rdev).toBe(0);
    const conf = await lstat(path.join(l.target, 'etc/app.conf'));
    expect([conf.mode & 0o7777, conf.uid, conf.gid]).toEqual([0o640, 1000, 1001]);
    const etc = await lstat(path.join(l.target, 'etc'));
    expect([etc.mode & 0o7777, etc.uid, etc.gid]).toEqual([0o750, 7, 8]);
    const { stdout: x } = await run('getfattr', ['--only-values', '-n', 'user.skiff', path.join(l.target, 'etc/app.conf')]);
    expect(x).toBe('hello');
    const { stdout: opq } = await run('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', path.join(l.target, 'var/cache')]);
    expect(opq).toBe('y');
    await expect(lstat(path.join(l.target, '.wh..wh.plnk'))).rejects.toThrow(/ENOENT/);
  });

  it('checks the diffID', async () => {
    const l = await layer({ entries: [{ name: 'a', data: 'a' }] });
    const err = await unpackLayer(l.blob, l.target, `sha256:${'0'.repeat(64)}`).catch((e: unknown) => e);
    expect(isRuntimeError(err, 'InvalidArgument')).toBe(true);
    expect(String(err)).toMatch(/diffID mismatch/);
  });

  it('fails clearly on a corrupt or truncated blob', async () => {
    const l = await layer({ entries: [{ name: 'a', data: Buffer.alloc(100_000, 7) }, { name: 'b', data: 'b' }] });
    const bytes = await readFile(l.blob);
    const corrupt = path.join(work, 'corrupt.gz');
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(bytes.length / 2)] ^= 0xff;
    await writeFile(corrupt, flipped);
    const e1 = await unpackLayer(corrupt, l.target).catch((e: unknown) => e);
    expect(isRuntimeError(e1)).toBe(true);
    expect(String(e1)).toMatch(/corrupt layer/);
    const truncated = path.join(work, 'truncated.gz');
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await rm(l.target, { recursive: true });
    await mkdir(l.target);
    const e2 = await unpackLayer(truncated, l.target).catch((e: unknown) => e);
    expect(isRuntimeError(e2)).toBe(true);
    expect(String(e2)).toMatch(/corrupt layer/);
  });

  it('says plainly when zstd layers cannot be read by this Node.js', async () => {
    const blob = path.join(work, 'layer.zst');
    // zstd frame magic, then junk: enough to be recognised as zstd.
    await writeFile(blob, Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(64, 1)]));
    const target = path.join(work, `t${n++}`);
    await mkdir(target);
    const err = await unpackLayer(blob, target).catch((e: unknown) => e);
    expect(isRuntimeError(err, 'InvalidArgument')).toBe(true);
    const hasZstd = typeof (await import('node:zlib') as unknown as { createZstdDecompress?: unknown }).createZstdDecompress === 'function';
    expect(String(err)).toMatch(hasZstd ? /corrupt layer/ : /zstd-compressed layers need Node.js >= 22.15/);
  });

  it('unpacks a plain (uncompressed) tar', async () => {
    const l = await layer({ entries: [{ name: 'plain', data: 'plain' }], compression: 'none' });
    await unpackLayer(l.blob, l.target, l.diffId);
    expect(await readFile(path.join(l.target, 'plain'), 'utf8')).toBe('plain');
  });
});
