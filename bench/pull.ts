// `npm run bench -- pull`: a cold pull + unpack of a 5-layer image of about 200 MB from a
// local registry (Debian's docker-registry on 127.0.0.1), skiff's ImageService in this
// process, against the anchor measured in the same run: `skopeo copy docker://... oci:...`
// followed by `umoci raw unpack` of the same image into a root filesystem, both commands
// started from this process with child_process (skiff's pull starts no command). `raw unpack`
// rather than `unpack`: `umoci unpack` also writes a bundle's config.json and computes an mtree
// manifest of the whole tree (hashing every file), work skiff's unpack does not do.
// Cold pulls run in alternating rounds (SKIFF_BENCH_PULL_ROUNDS, at least 3), each from an
// empty directory, reported as the median ratio skiff/anchor with its spread
// (bench/rounds.ts); target <= 0.7. Also a warm pull (everything present), the median of
// several in the first round's store: target < 50 ms. No literature figures.
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
import { compare, summary } from './rounds.js';

const run$ = promisify(execFile);

const LAYERS = 5;
const BIG_FILES_PER_LAYER = 4;
const BIG_FILE_BYTES = 10 * 1024 * 1024;
const SMALL_FILES_PER_LAYER = 400;
const ROUNDS = Number(process.env.SKIFF_BENCH_PULL_ROUNDS ?? 3);
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

    let warm: number[] = [];
    const cold = await compare({
      name: 'coldPull',
      unit: 'ms',
      rounds: ROUNDS,
      target: 0.7,
      skiff: {
        label: 'skiff pull+unpack',
        async measure(r) {
          const root = path.join(work, `skiff-${r}`);
          const svc = new ImageService({ root });
          try {
            const [ms] = await timed(() => svc.pullImage({ image: ref }));
            if (r === 0) {
              for (let w = 0; w < WARM_RUNS; w++) warm.push((await timed(() => svc.pullImage({ image: ref })))[0]);
              warm = warm.slice(1); // the first warm pull opens the keep-alive connection
            }
            return ms;
          } finally {
            await rm(root, { recursive: true, force: true });
          }
        },
      },
      anchor: {
        label: 'skopeo copy + umoci raw unpack',
        async measure(r) {
          const oci = path.join(work, `oci-${r}`);
          const rootfs = path.join(work, `rootfs-${r}`);
          try {
            const [ms] = await timed(async () => {
              await run$('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${oci}:bench`]);
              await run$('umoci', ['raw', 'unpack', '--image', `${oci}:bench`, rootfs]);
            });
            return ms;
          } finally {
            await rm(oci, { recursive: true, force: true });
            await rm(rootfs, { recursive: true, force: true });
          }
        },
      },
    });
    const warmMs = median(warm);
    say(`skiff warm pull (all present), median of ${warm.length}: ${warmMs.toFixed(1)} ms (spread ${Math.min(...warm).toFixed(1)}..${Math.max(...warm).toFixed(1)}; target < 50 ms)`);
    return {
      benchmark: 'pull',
      layers: LAYERS,
      compressedBytes: bytes,
      anchor: 'skopeo copy + umoci raw unpack',
      coldPull: summary(cold),
      warmPullMs: Number(warmMs.toFixed(1)),
      warmRuns: warm.length,
      warmTargetMs: 50,
      warmOk: warmMs < 50,
    };
  } finally {
    await reg.stop();
    await rm(work, { recursive: true, force: true });
  }
}
