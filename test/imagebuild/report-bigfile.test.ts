// The BigFile case end to end, through `skiff build` and `skiff image history|inspect` run as a
// user runs them (dist/cmd/skiff.js, one process per command) on one runtime root:
//   - single stage: a big file COPY'd in one layer and rm'd by the next RUN is still shipped;
//     the build warns, and `inspect --waste` names the file, both layers and the bytes;
//   - multi-stage: the same final rootfs built by copying only the result out of a build
//     stage is smaller by the reported waste;
//   - `history` rows line up with the image's layers (sizes, empty layers, newest first).
//
// Tolerance of the size comparison: the file contents differ by exactly the wasted bytes (both
// images end with the same files), so the content totals are compared exactly. The tar streams
// also differ by per-entry headers (512 B each), the padding of the big file to a 512-byte
// block (< 512 B), the whiteout entry, and a second layer's 1024-byte end-of-archive marker:
// uncompressed, the single-stage image may be larger than waste + 0 by at most 8 KiB.
// Compressed, random data does not shrink, so the difference is within 1% of the waste.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageReport } from '../../imagebuild/report/analyze.js';
import { buildBusyboxImage, importImage, openStore } from '../fixtures/images.js';
import { outputsOf, startSkiff } from '../fixtures/process.js';

const BIG = 4 * 1024 * 1024 + 4321;
const HEADER_SLACK = 8 * 1024;

let tmp: string;
let root: string;
let single: ImageReport;
let multi: ImageReport;
let singleBuildErr: string;

async function skiff(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const p = startSkiff(args, { env: { SKIFF_LOG_LEVEL: 'error' } });
  return outputsOf(p);
}

async function ok(...args: string[]): Promise<{ out: string; err: string }> {
  const r = await skiff(...args);
  if (r.code !== 0) throw new Error(`skiff ${args.join(' ')} exited ${r.code}:\n${r.err}${r.out}`);
  return r;
}

async function context(name: string, dockerfile: string, files: Record<string, Buffer>): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const [f, data] of Object.entries(files)) await writeFile(path.join(dir, f), data);
  await writeFile(path.join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'skiff-report-bigfile-'));
  root = path.join(tmp, 'root');
  const store = await openStore(path.join(tmp, 'seed'));
  await importImage(root, 'localhost/report/busybox:1', await buildBusyboxImage(store), store);
  const big = randomBytes(BIG);
  const singleCtx = await context('single', ['FROM localhost/report/busybox:1', 'COPY big.bin /big.bin', 'RUN wc -c < /big.bin > /size.txt && rm /big.bin', 'CMD ["cat", "/size.txt"]', ''].join('\n'), { 'big.bin': big });
  const multiCtx = await context(
    'multi',
    ['FROM localhost/report/busybox:1 AS work', 'COPY big.bin /big.bin', 'RUN wc -c < /big.bin > /size.txt', '', 'FROM localhost/report/busybox:1', 'COPY --from=work /size.txt /size.txt', 'CMD ["cat", "/size.txt"]', ''].join('\n'),
    { 'big.bin': big },
  );
  singleBuildErr = (await ok('build', '--root', root, '-t', 'localhost/report/bigfile:single', singleCtx)).err;
  await ok('build', '--root', root, '-t', 'localhost/report/bigfile:multi', multiCtx);
  single = JSON.parse((await ok('image', 'inspect', '--waste', '--format', 'json', '--root', root, 'localhost/report/bigfile:single')).out) as ImageReport;
  multi = JSON.parse((await ok('image', 'inspect', '--waste', '--format', 'json', '--root', root, 'localhost/report/bigfile:multi')).out) as ImageReport;
}, 180_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('BigFile', () => {
  it('reports the big file as wasted: shipped by the COPY layer, deleted by the RUN layer', () => {
    expect(single.waste.entries).toEqual([{ path: '/big.bin', size: BIG, layer: 1, hiddenBy: 2, how: 'deleted' }]);
    expect(single.waste.totalBytes).toBe(BIG);
    expect(single.history.find((h) => h.layer === 1)?.createdBy).toContain('COPY');
    expect(single.history.find((h) => h.layer === 2)?.createdBy).toContain('rm /big.bin');
    expect(multi.waste).toEqual({ totalBytes: 0, estimatedCompressedBytes: 0, entries: [] });
  });

  it('the multi-stage image is smaller by the wasted bytes', () => {
    expect(single.size.content - multi.size.content).toBe(single.waste.totalBytes);
    const tarDiff = single.size.uncompressed - multi.size.uncompressed;
    expect(tarDiff).toBeGreaterThanOrEqual(single.waste.totalBytes);
    expect(tarDiff - single.waste.totalBytes).toBeLessThanOrEqual(HEADER_SLACK);
    const gzDiff = single.size.compressed - multi.size.compressed;
    expect(Math.abs(gzDiff - single.waste.totalBytes)).toBeLessThanOrEqual(single.waste.totalBytes * 0.01);
    expect(Math.abs(single.waste.estimatedCompressedBytes - gzDiff)).toBeLessThanOrEqual(single.waste.totalBytes * 0.01);
  });

  it('skiff build warned about the waste; the text report names file, layers and total', async () => {
    expect(singleBuildErr).toMatch(/WARNING: 4\.2MB wasted: .*\/big\.bin 4\.2MB, added in layer 2 \(COPY [^)]*\), deleted in layer 3 \(RUN wc -c < \/big\.bin > \/size\.txt && rm \/big\.bin\)/);
    const { out } = await ok('image', 'inspect', '--waste', '--root', root, 'localhost/report/bigfile:single');
    expect(out).toContain(`Wasted: 4.2MB (${BIG} bytes) in 1 file(s)`);
    expect(out).toMatch(/\/big\.bin\s+4\.2MB\s+2: COPY .*\s+3: RUN wc -c .*\(deleted\)/);
    expect(out).toContain(`${single.size.compressed} bytes`);
  });

  it('history lists every config history entry newest first, layer rows with their layer sizes', async () => {
    const { out } = await ok('image', 'history', '--root', root, '--human', 'false', '--no-trunc', 'localhost/report/bigfile:single');
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    const rows = lines.slice(1);
    // busybox-static, COPY, RUN, CMD: the base's one entry and three steps.
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatch(new RegExp(`^${single.id}\\s.*CMD \\["cat", "/size.txt"\\]\\s+0\\s*$`));
    expect(rows[1]).toMatch(/^<missing>\s.*\/bin\/sh -c wc -c < \/big\.bin > \/size\.txt && rm \/big\.bin\s+(\d+)\s*$/);
    // The RUN layer holds /size.txt: `wc -c` wrote the size in decimal and a newline.
    expect(Number(/\s(\d+)\s*$/.exec(rows[1])![1])).toBe(`${BIG}\n`.length);
    expect(rows[2]).toMatch(new RegExp(`^<missing>\\s.*COPY .*\\s${BIG}\\s*$`));
    expect(rows[3]).toMatch(/^<missing>\s.*busybox-static\s+\d+\s*$/);
    const quiet = await ok('image', 'history', '-q', '--root', root, 'localhost/report/bigfile:single');
    expect(quiet.out).toBe(`${single.id.slice(7, 19)}\n<missing>\n<missing>\n<missing>\n`);
    const human = await ok('image', 'history', '--root', root, 'localhost/report/bigfile:single');
    expect(human.out.split('\n')[3]).toMatch(/COPY .*…\s+4\.2MB\s*$/);
  });

  it('history and inspect of an unknown image fail with a clear error', async () => {
    const r = await skiff('image', 'history', '--root', root, 'localhost/report/nope:1');
    expect(r.code).toBe(1);
    expect(r.err).toContain('no such image: localhost/report/nope:1');
    const i = await skiff('image', 'inspect', '--root', root, 'localhost/report/bigfile:multi', 'localhost/report/nope:1');
    expect(i.code).toBe(1);
    expect(i.err).toContain('no such image: localhost/report/nope:1');
    const shown = JSON.parse(i.out) as { Id: string; RepoTags: string[]; Config: { Cmd: string[] }; RootFS: { Layers: string[] }; Manifest: { layers: unknown[] } }[];
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ Id: multi.id, RepoTags: ['localhost/report/bigfile:multi'], Config: { Cmd: ['cat', '/size.txt'] } });
    expect(shown[0].RootFS.Layers).toHaveLength(2);
    expect(shown[0].Manifest.layers).toHaveLength(2);
  });
});
