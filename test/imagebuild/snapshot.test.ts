// A layer a build makes becomes its snapshot by renaming the step's overlay upper directory
// (imagebuild/layer-snapshot.ts) instead of unpacking the blob it just wrote. That snapshot must be
// exactly what unpacking the blob gives — same entries, types, modes, owners, content, mtimes,
// whiteouts and opaque marks — and carry none of overlayfs' bookkeeping attributes, since
// later steps and containers mount it as a lower layer. Built on the real runtime, with steps
// that copy up base directories (overlay then sets origin/impure), delete base files
// (whiteouts) and replace a directory (opaque).
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../imagebuild/builder.js';
import { cleanStaleBuilds } from '../../imagebuild/working-rootfs.js';
import { ImageService } from '../../runtime/image-service.js';
import { chainIds } from '../../runtime/images/snapshots.js';
import { unpackLayer } from '../../runtime/images/unpack.js';
import { chooseRuntime } from '../../runtime/oci/oci-runtime.js';
import { buildBusyboxImage, importImage, openStore } from '../fixtures/images.js';
import { diffTrees, readTree, type TreeEntry } from './tree.js';

const run = promisify(execFile);

let tmp: string;
let root: string;
let images: ImageService;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'skiff-build-snapshot-'));
  root = path.join(tmp, 'root');
  const store = await openStore(path.join(tmp, 'seed'));
  await importImage(root, 'busybox:1', await buildBusyboxImage(store), store);
  images = new ImageService({ root });
});

afterAll(async () => {
  if (images) await cleanStaleBuilds(images, path.join(root, 'build', 'oci-state'), chooseRuntime().path).catch(() => undefined);
  await images?.destroy();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Every path's mtime and xattrs (getfattr's dump, names relative to `dir`). */
async function timesAndXattrs(dir: string, tree: Map<string, TreeEntry>): Promise<string[]> {
  const out: string[] = [];
  // Whiteouts are left out of the times: the unpacker makes them with mknod, at the time it runs.
  for (const [p, e] of tree) if (e.type !== 'other') out.push(`${p} ${(await lstat(path.join(dir, p))).mtimeMs}`);
  const { stdout } = await run('getfattr', ['-R', '-P', '-h', '--absolute-names', '-d', '-m', '-', dir]);
  for (const l of stdout.split('\n')) if (l !== '') out.push(l.startsWith('# file: ') ? `# file: ${path.relative(dir, l.slice(8))}` : l);
  return out.sort();
}

describe('snapshots of built layers', { timeout: 120_000 }, () => {
  it('the renamed upper directory equals the unpacked blob, without overlay bookkeeping', async () => {
    const ctx = path.join(tmp, 'ctx');
    await mkdir(path.join(ctx, 'data/sub'), { recursive: true });
    await writeFile(path.join(ctx, 'data/a.txt'), 'a\n');
    await writeFile(path.join(ctx, 'data/sub/b.txt'), 'b\n'.repeat(1000));
    await writeFile(
      path.join(ctx, 'Dockerfile'),
      [
        'FROM busybox:1',
        'COPY data/ /etc/data/',
        'RUN echo more >> /etc/data/a.txt && rm /etc/data/sub/b.txt && mkdir -p /usr/share/new && echo x > /usr/share/new/x',
        'RUN rm -rf /etc/data/sub && mkdir /etc/data/sub && echo fresh > /etc/data/sub/c.txt && rm -f /bin/ls',
        '',
      ].join('\n'),
    );
    const result = await buildImage({ images, context: ctx, tags: ['snap:1'] });
    const diffIds = result.config.rootfs.diff_ids;
    const chains = chainIds(diffIds);
    const firstBuilt = result.manifest.layers.length - 3; // after the base image's layers
    expect(firstBuilt).toBeGreaterThanOrEqual(1);
    let opaqueSeen = false;
    let whiteoutsSeen = 0;
    for (let i = firstBuilt; i < result.manifest.layers.length; i++) {
      const snap = await images.snapshots.committed(chains[i]);
      if (!snap) throw new Error(`layer ${i} has no snapshot`);
      const dir = images.snapshots.layerDir(snap.id);
      const unpacked = path.join(tmp, `unpacked-${i}`);
      await mkdir(unpacked);
      await unpackLayer(images.content.blobPath(result.manifest.layers[i].digest), unpacked, diffIds[i]);
      // A whiteout's permission bits mean nothing: overlayfs makes them 000, mknod(1) 644.
      const withoutWhiteoutModes = (t: Map<string, TreeEntry>) => new Map([...t].map(([p, e]) => [p, e.type === 'other' ? { ...e, mode: 'n/a' } : e]));
      const [a, b] = [withoutWhiteoutModes(await readTree(dir)), withoutWhiteoutModes(await readTree(unpacked))];
      expect(diffTrees(a, b, ['snapshot', 'unpacked blob'])).toEqual([]);
      const [ta, tb] = [await timesAndXattrs(dir, a), await timesAndXattrs(unpacked, b)];
      expect(ta).toEqual(tb);
      expect(ta.filter((l) => /trusted\.overlay\.(impure|origin|uuid)/.test(l))).toEqual([]);
      opaqueSeen ||= ta.some((l) => l.startsWith('trusted.overlay.opaque'));
      whiteoutsSeen += [...a.values()].filter((e) => e.type === 'other').length;
    }
    // The steps did make the cases under test.
    expect(opaqueSeen).toBe(true);
    expect(whiteoutsSeen).toBeGreaterThanOrEqual(2);
  });
});
