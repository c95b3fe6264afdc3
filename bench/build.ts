// `npm run bench -- build`: a cold and a warm (cached) build of one Dockerfile with `skiff
// build` (the CLI from dist, as a user runs it) against the anchor measured in the same run:
// `buildah bud --layers` with a private --root/--runroot (overlay storage driver, or vfs
// where overlay is refused) and --isolation chroot. The base image (busybox) comes from a
// local registry the bench starts, so both builders pull it over loopback on a cold build.
// Cold: every run starts from an empty root. Warm: the same build again in the root a cold
// run left (every step answered from the layer cache). Targets: skiff/buildah cold <= 1.0,
// warm <= 0.5. Each figure is the median of a few runs. skiff's per-phase times (imagebuild/trace.ts)
// of the first cold and warm run are printed too, to show where its time goes.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildBusyboxImage, openStore, pushImage } from '../test/fixtures/images.js';
import { startRegistry } from '../test/fixtures/registry.js';
import { repoRoot, skiffEntry } from '../test/fixtures/process.js';
import { median } from './measure.js';

const run$ = promisify(execFile);

const COLD_RUNS = 3;
const WARM_RUNS = 3;
const ROOT = repoRoot;
const SKIFF = skiffEntry;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A context of the usual shape: sources copied in, a RUN that makes files, config lines. */
async function writeContext(dir: string, base: string): Promise<void> {
  await mkdir(path.join(dir, 'app/lib'), { recursive: true });
  for (let i = 0; i < 4; i++) await writeFile(path.join(dir, `app/blob${i}.bin`), randomBytes(4 * 1024 * 1024));
  for (let i = 0; i < 300; i++) await writeFile(path.join(dir, `app/lib/m${i}.js`), `export const v${i} = ${i};\n`.repeat(20 + (i % 50)));
  await writeFile(
    path.join(dir, 'Dockerfile'),
    [
      `FROM ${base}`,
      'ENV APP_HOME=/app',
      'WORKDIR /app',
      'COPY app/ /app/',
      'RUN mkdir -p /var/cache/app && for i in $(seq 1 200); do echo "line $i" > /var/cache/app/f$i; done',
      'RUN dd if=/dev/zero of=/tmp/scratch bs=1024 count=2048 2>/dev/null && rm /tmp/scratch',
      'LABEL org.opencontainers.image.title=bench',
      'CMD ["sh"]',
      '',
    ].join('\n'),
  );
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** overlay when the kernel lets buildah use it on this file system, vfs otherwise. */
async function buildahDriver(work: string): Promise<'overlay' | 'vfs'> {
  const root = path.join(work, 'probe-root');
  const runroot = path.join(work, 'probe-runroot');
  try {
    await run$('buildah', ['--root', root, '--runroot', runroot, '--storage-driver', 'overlay', 'images']);
    return 'overlay';
  } catch {
    return 'vfs';
  } finally {
    await run$('buildah', ['--root', root, '--runroot', runroot, '--storage-driver', 'overlay', 'rm', '--all']).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    await rm(runroot, { recursive: true, force: true });
  }
}

async function ensureDist(): Promise<void> {
  // Incremental: nearly free when dist/ is current. Another area's type error still emits.
  await run$(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT }).catch(() => undefined);
  if (!existsSync(path.join(ROOT, 'dist/cmd/build.js'))) throw new Error('dist/cmd/build.js is missing: `skiff build` is not built');
}

export async function run(): Promise<Record<string, unknown>> {
  await ensureDist();
  const work = await mkdtemp(path.join(os.tmpdir(), 'skiff-bench-build-'));
  const reg = await startRegistry();
  const buildahRoots: { root: string; runroot: string; driver: string }[] = [];
  try {
    const store = await openStore(path.join(work, 'base'));
    await pushImage(reg.host, 'bench/busybox:v1', store, await buildBusyboxImage(store));
    const base = `${reg.host}/bench/busybox:v1`;
    const context = path.join(work, 'context');
    await writeContext(context, base);
    const driver = await buildahDriver(work);
    say(`Dockerfile: FROM ${base}, COPY 16 MB in 304 files, 2 RUN steps, 4 config lines; buildah storage driver ${driver}`);

    // SKIFF_BUILD_TRACE: per-phase times on stderr (imagebuild/trace.ts), shown for the first cold and warm run.
    const traces: string[] = [];
    const skiffBuild = async (root: string) => {
      const r = await run$(process.execPath, [SKIFF, 'build', '--root', root, '-t', 'localhost/bench/app:v1', '-q', context], { maxBuffer: 1 << 24, env: { ...process.env, SKIFF_BUILD_TRACE: '1' } });
      traces.push(r.stderr.split('\n').filter((l) => l.startsWith('trace ')).join('\n'));
    };
    const buildahBuild = (root: string, runroot: string) =>
      run$('buildah', ['--root', root, '--runroot', runroot, '--storage-driver', driver, 'bud', '--layers', '--isolation', 'chroot', '--tls-verify=false', '--quiet', '-t', 'localhost/bench/app:v1', context], { maxBuffer: 1 << 24 });

    const cold = { skiff: [] as number[], buildah: [] as number[] };
    const warm = { skiff: [] as number[], buildah: [] as number[] };
    for (let r = 0; r < COLD_RUNS; r++) {
      const root = path.join(work, `skiff-${r}`);
      cold.skiff.push(await timed(() => skiffBuild(root)));
      if (r === 0) for (let w = 0; w < WARM_RUNS; w++) warm.skiff.push(await timed(() => skiffBuild(root)));
      say(`skiff build cold #${r + 1}: ${cold.skiff[r].toFixed(0)} ms${r === 0 ? `; warm: ${warm.skiff.map((x) => x.toFixed(0)).join(', ')} ms` : ''}`);
      await rm(root, { recursive: true, force: true });

      const b = { root: path.join(work, `buildah-${r}`), runroot: path.join(work, `buildah-run-${r}`), driver };
      buildahRoots.push(b);
      cold.buildah.push(await timed(() => buildahBuild(b.root, b.runroot)));
      if (r === 0) for (let w = 0; w < WARM_RUNS; w++) warm.buildah.push(await timed(() => buildahBuild(b.root, b.runroot)));
      say(`buildah bud cold #${r + 1}: ${cold.buildah[r].toFixed(0)} ms${r === 0 ? `; warm: ${warm.buildah.map((x) => x.toFixed(0)).join(', ')} ms` : ''}`);
      await removeBuildahRoot(b);
    }
    say(`skiff phases, cold #1 (ms since process start):\n${traces[0]}`);
    say(`skiff phases, warm #1:\n${traces[1]}`);
    const coldRatio = median(cold.skiff) / median(cold.buildah);
    const warmRatio = median(warm.skiff) / median(warm.buildah);
    say(`cold: skiff ${median(cold.skiff).toFixed(0)} ms, buildah ${median(cold.buildah).toFixed(0)} ms, ratio ${coldRatio.toFixed(3)} (target <= 1.0)`);
    say(`warm: skiff ${median(warm.skiff).toFixed(0)} ms, buildah ${median(warm.buildah).toFixed(0)} ms, ratio ${warmRatio.toFixed(3)} (target <= 0.5)`);
    return {
      benchmark: 'build',
      buildahDriver: driver,
      coldSkiffMs: Math.round(median(cold.skiff)),
      coldBuildahMs: Math.round(median(cold.buildah)),
      coldRatio: Number(coldRatio.toFixed(3)),
      coldTarget: 1.0,
      coldOk: coldRatio <= 1.0,
      warmSkiffMs: Math.round(median(warm.skiff)),
      warmBuildahMs: Math.round(median(warm.buildah)),
      warmRatio: Number(warmRatio.toFixed(3)),
      warmTarget: 0.5,
      warmOk: warmRatio <= 0.5,
      coldRuns: COLD_RUNS,
      warmRuns: WARM_RUNS,
    };
  } finally {
    for (const b of buildahRoots) await removeBuildahRoot(b);
    await reg.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/** buildah leaves its layers mounted under overlay storage until told; unmount, then delete. */
async function removeBuildahRoot(b: { root: string; runroot: string; driver: string }): Promise<void> {
  if (!existsSync(b.root)) return;
  const g = ['--root', b.root, '--runroot', b.runroot, '--storage-driver', b.driver];
  await run$('buildah', [...g, 'rm', '--all']).catch(() => undefined);
  await run$('buildah', [...g, 'rmi', '--all', '--force']).catch(() => undefined);
  // The overlay driver keeps a mount of its layer store under the root; lazily unmount what is left there.
  const { stdout } = await run$('findmnt', ['-rn', '-o', 'TARGET']).catch(() => ({ stdout: '' }));
  for (const m of stdout.split('\n').filter((t) => t.startsWith(b.root) || t.startsWith(b.runroot)).sort().reverse()) await run$('umount', ['-l', m]).catch(() => undefined);
  await rm(b.root, { recursive: true, force: true });
  await rm(b.runroot, { recursive: true, force: true });
}
