// Crash safety: `skiff cri pull` killed with SIGKILL in the middle of a blob leaves a store
// that the next pull completes (resuming the partial download with a Range request), and a
// half-written blob is never trusted: a corrupt partial is caught by the digest check and
// fetched again. A pull opens no container runtime: nothing of it is left under /run/skiff.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageService } from '../../runtime/image-service.js';
import { writeImage, type WrittenImage } from '../../runtime/images/image-writer.js';
import { unmount } from '../../runtime/images/mount.js';
import { stateDirFor } from '../../runtime/state-dir.js';
import { openStore, pushImage } from '../fixtures/images.js';
import { startSkiff } from '../fixtures/process.js';
import { startRegistry, type RegistryFixture } from '../fixtures/registry.js';
import { mountsAt, removeRuntimeRoot } from '../fixtures/runtime-state.js';

describe('crash safety', () => {
  let reg: RegistryFixture;
  let work: string;
  let root: string;
  let image: WrittenImage;
  const payload = randomBytes(2_000_000);
  const small = randomBytes(50_000);
  const stallAt = 1_500_000;

  beforeAll(async () => {
    reg = await startRegistry({ stallBlobsAfter: stallAt });
    work = await mkdtemp(path.join(os.tmpdir(), 'skiff-crash-test-'));
    root = path.join(work, 'runtime');
    const store = await openStore(path.join(work, 'build'));
    image = await writeImage(store, {
      layers: [
        { entries: [{ name: 'big.bin', data: payload }], compression: 'none' },
        { entries: [{ name: 'small.bin', data: small }], compression: 'none' },
      ],
    });
    await pushImage(reg.directHost, 'big:v1', store, image);
  });

  afterAll(async () => {
    await reg?.stop();
    if (work) await removeRuntimeRoot(root).finally(() => rm(work, { recursive: true, force: true }));
  });

  it('kill -9 mid-pull, then the next pull completes from what was left', async () => {
    const [big, smallLayer] = image.manifest.layers;
    // A half-written, corrupt partial of the small layer, as a crash could leave after a disk error.
    await mkdir(path.join(root, 'content', 'ingest'), { recursive: true });
    await writeFile(path.join(root, 'content', 'ingest', smallLayer.digest.slice(7)), randomBytes(10_000));

    const child = startSkiff(['cri', '--root', root, 'pull', `${reg.host}/big:v1`]);
    const partial = path.join(root, 'content', 'ingest', big.digest.slice(7));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const st = await stat(partial).catch(() => undefined);
      const smallDone = await stat(path.join(root, 'content', 'blobs', 'sha256', smallLayer.digest.slice(7))).catch(() => undefined);
      if (st && st.size >= 1 << 20 && smallDone) break;
      if (Date.now() > deadline) throw new Error(`the pull never stalled: ${child.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await child.kill9();
    // What the killed pull left: a partial (writes go out in ~1 MB batches) and its dead owner's lock, no blob, no image.
    const left = (await stat(partial)).size;
    expect(left).toBeGreaterThanOrEqual(1 << 20);
    expect(left).toBeLessThanOrEqual(stallAt);
    expect(await readFile(`${partial}.lock`, 'utf8')).toBe(String(child.pid));

    const svc = new ImageService({ root });
    expect(await svc.content.has(big.digest)).toBe(false);
    expect(await svc.listImages()).toEqual([]);
    // The corrupt partial of the small layer was resumed, failed its digest check, and was fetched whole.
    const smallGets = reg.requests.filter((r) => r.method === 'GET' && r.path.endsWith(smallLayer.digest));
    expect(smallGets.map((r) => r.range)).toEqual(['bytes=10000-', undefined]);
    reg.requests.length = 0;
    expect(await svc.pullImage({ image: `${reg.host}/big:v1` })).toBe(image.configDigest);
    const bigGets = reg.requests.filter((r) => r.method === 'GET' && r.path.endsWith(big.digest));
    expect(bigGets.map((r) => r.range)).toEqual([`bytes=${left}-`]);

    const mnt = path.join(work, 'mnt');
    await mkdir(mnt);
    await svc.mountImage(`${reg.host}/big:v1`, mnt);
    try {
      const sum = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      expect(sum(await readFile(path.join(mnt, 'big.bin')))).toBe(sum(payload));
      expect(sum(await readFile(path.join(mnt, 'small.bin')))).toBe(sum(small));
    } finally {
      await unmount(mnt);
    }
    await svc.prune();
    expect(await readdir(path.join(root, 'content', 'ingest'))).toEqual([]);
    expect((await readdir(path.join(root, 'l'))).filter((n) => n.startsWith('tmp-'))).toEqual([]);

    // The pulls opened no runtime (only rmi and prune ask it which images are in use): no state dir.
    const stateDir = stateDirFor(root);
    expect(await mountsAt(stateDir)).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    await removeRuntimeRoot(root);
    expect(await mountsAt(stateDir)).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
  });
});
