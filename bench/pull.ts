// `npm run bench -- pull`: a cold pull + unpack of a 5-layer image of about 200 MB from a
// local registry (Debian's docker-registry on 127.0.0.1), against the anchor measured in
// the same run: `skopeo copy docker://... oci:...` followed by `umoci unpack` of the same
// image. Target: ours/theirs <= 0.7. Also a warm pull (everything present): target < 50 ms.
// Each figure is the median of a few runs; every run starts from an empty directory.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ImageService } from '../runtime/image-service.js';
import { writeImage, type LayerSpec } from '../runtime/images/image-writer.js';
import { openStore, pushImage } from '../test/fixtures/images.js';
import { startRegistry } from '../test/fixtures/registry.js';
import { median } from './measure.js';

const run$ = promisify(execFile);

const LAYERS = 5;
const BIG_FILES_PER_LAYER = 4;
const BIG_FILE_BYTES = 10 * 1024 * 1024;
const SMALL_FILES_PER_LAYER = 400;
const COLD_RUNS = 3;
const WARM_RUNS = 10;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** One layer: a few large incompressible files (the bytes) and many small text files (the per-file cost). */
async function layerDir(dir: string, i: number): Promise<LayerSpec> {
  const d = path.join(dir, `layer${i}`);
  await mkdir(path.join(d, `opt/layer${i}/small`), { recursive: true });
  for (let f = 0; f < BIG_FILES_PER_LAYER; f++) await writeFile(path.join(d, `opt/layer${i}/big${f}.bin`), randomBytes(BIG_FILE_BYTES));
  for (let f = 0; f < SMALL_FILES_PER_LAYER; f++) await writeFile(path.join(d, `opt/layer${i}/small/f${f}.txt`), `layer ${i} file ${f}\n`.repeat(50 + (f % 200)));
  return { dir: d, createdBy: `bench layer ${i}` };
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

export async function run(): Promise<Record<string, unknown>> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'skiff-bench-pull-'));
  const reg = await startRegistry();
  try {
    const store = await openStore(path.join(work, 'build'));
    const layers: LayerSpec[] = [];
    for (let i = 0; i < LAYERS; i++) layers.push(await layerDir(work, i));
    const image = await writeImage(store, { layers, config: { Cmd: ['/bin/sh'] }, gzipLevel: 1 });
    await pushImage(reg.host, 'bench/pull:v1', store, image);
    const ref = `${reg.host}/bench/pull:v1`;
    const bytes = image.manifest.layers.reduce((n, l) => n + l.size, 0);
    say(`image: ${LAYERS} layers, ${(bytes / 1e6).toFixed(1)} MB compressed, ${LAYERS * (BIG_FILES_PER_LAYER + SMALL_FILES_PER_LAYER)} files; registry ${reg.host}`);

    const ours: number[] = [];
    const theirs: number[] = [];
    let warm: number[] = [];
    for (let r = 0; r < COLD_RUNS; r++) {
      const root = path.join(work, `skiff-${r}`);
      const svc = new ImageService({ root });
      const [ms] = await timed(() => svc.pullImage({ image: ref }));
      ours.push(ms);
      say(`skiff cold pull+unpack #${r + 1}: ${ms.toFixed(0)} ms`);
      if (r === 0) {
        for (let w = 0; w < WARM_RUNS; w++) warm.push((await timed(() => svc.pullImage({ image: ref })))[0]);
        warm = warm.slice(1); // the first warm pull opens the keep-alive connection
        say(`skiff warm pull (all present), median of ${warm.length}: ${median(warm).toFixed(1)} ms`);
      }
      await rm(root, { recursive: true, force: true });

      const oci = path.join(work, `oci-${r}`);
      const bundle = path.join(work, `bundle-${r}`);
      const [ts] = await timed(async () => {
        await run$('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${oci}:bench`]);
        await run$('umoci', ['unpack', '--image', `${oci}:bench`, bundle]);
      });
      theirs.push(ts);
      say(`skopeo copy + umoci unpack #${r + 1}: ${ts.toFixed(0)} ms`);
      await rm(oci, { recursive: true, force: true });
      await rm(bundle, { recursive: true, force: true });
    }
    const ratio = median(ours) / median(theirs);
    const result = {
      benchmark: 'pull',
      layers: LAYERS,
      compressedBytes: bytes,
      coldPullMs: Math.round(median(ours)),
      anchorSkopeoUmociMs: Math.round(median(theirs)),
      ratio: Number(ratio.toFixed(3)),
      ratioTarget: 0.7,
      ratioOk: ratio <= 0.7,
      warmPullMs: Number(median(warm).toFixed(1)),
      warmTargetMs: 50,
      warmOk: median(warm) < 50,
      runs: COLD_RUNS,
    };
    say(`ratio skiff/anchor: ${ratio.toFixed(3)} (target <= 0.7); warm pull ${median(warm).toFixed(1)} ms (target < 50 ms)`);
    return result;
  } finally {
    await reg.stop();
    await rm(work, { recursive: true, force: true });
  }
}
