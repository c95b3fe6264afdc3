// `npm run bench -- build`: a cold and a warm (cached) build of one Dockerfile with `skiff
// build` (the CLI from dist, as a user runs it) against the anchor measured in the same run:
// `buildah bud --layers` with a private --root/--runroot (overlay storage driver, or vfs
// where overlay is refused) and --isolation chroot. The base image (busybox) comes from a
// local registry the bench starts, so both builders pull it over loopback on a cold build.
// Both builders run as commands started from this process with child_process. Cold: every
// build starts from an empty root. Warm: the same build again in the root the first cold round
// left (every step answered from the layer cache). Each is measured in alternating rounds
// (SKIFF_BENCH_BUILD_ROUNDS, at least 3), reported as the median ratio skiff/buildah with its
// spread (bench/rounds.ts). Targets: cold <= 1.0, warm <= 0.5. skiff's per-phase times
// (imagebuild/trace.ts) of its first cold and warm build are printed too, to show where its
// time goes. No literature figures.
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
import { compare, summary } from './rounds.js';

const run$ = promisify(execFile);

const ROUNDS = Number(process.env.SKIFF_BENCH_BUILD_ROUNDS ?? 3);
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
  const buildahRoots: BuildahRoot[] = [];
  try {
    const store = await openStore(path.join(work, 'base'));
    await pushImage(reg.host, 'bench/busybox:v1', store, await buildBusyboxImage(store));
    const base = `${reg.host}/bench/busybox:v1`;
    const context = path.join(work, 'context');
    await writeContext(context, base);
    const driver = await buildahDriver(work);
    say(`Dockerfile: FROM ${base}, COPY 16 MB in 304 files, 2 RUN steps, 4 config lines; buildah storage driver ${driver}`);

    // SKIFF_BUILD_TRACE: per-phase times on stderr (imagebuild/trace.ts), kept for the first cold and warm build.
    const traces: { cold?: string; warm?: string } = {};
    const skiffBuild = async (root: string, kind: 'cold' | 'warm') => {
      const r = await run$(process.execPath, [SKIFF, 'build', '--root', root, '-t', 'localhost/bench/app:v1', '-q', context], { maxBuffer: 1 << 24, env: { ...process.env, SKIFF_BUILD_TRACE: '1' } });
      traces[kind] ??= r.stderr.split('\n').filter((l) => l.startsWith('trace ')).join('\n');
    };
    const buildahBuild = (b: BuildahRoot) =>
      run$('buildah', ['--root', b.root, '--runroot', b.runroot, '--storage-driver', driver, 'bud', '--layers', '--isolation', 'chroot', '--tls-verify=false', '--quiet', '-t', 'localhost/bench/app:v1', context], { maxBuffer: 1 << 24 });

    // The first cold round's roots stay for the warm rounds.
    const warmSkiffRoot = path.join(work, 'skiff-0');
    const warmBuildah = { root: path.join(work, 'buildah-0'), runroot: path.join(work, 'buildah-run-0'), driver };
    buildahRoots.push(warmBuildah);
    const cold = await compare({
      name: 'coldBuild',
      unit: 'ms',
      rounds: ROUNDS,
      target: 1.0,
      skiff: {
        label: 'skiff build',
        async measure(r) {
          const root = path.join(work, `skiff-${r}`);
          const ms = await timed(() => skiffBuild(root, 'cold'));
          if (r > 0) await rm(root, { recursive: true, force: true });
          return ms;
        },
      },
      anchor: {
        label: 'buildah bud --layers',
        async measure(r) {
          const b = r === 0 ? warmBuildah : { root: path.join(work, `buildah-${r}`), runroot: path.join(work, `buildah-run-${r}`), driver };
          const ms = await timed(() => buildahBuild(b));
          if (r > 0) await removeBuildahRoot(b);
          return ms;
        },
      },
    });
    const warm = await compare({
      name: 'warmBuild',
      unit: 'ms',
      rounds: ROUNDS,
      target: 0.5,
      skiff: { label: 'skiff build', measure: () => timed(() => skiffBuild(warmSkiffRoot, 'warm')) },
      anchor: { label: 'buildah bud --layers', measure: () => timed(() => buildahBuild(warmBuildah)) },
    });
    say(`skiff phases, first cold build (ms since process start):\n${traces.cold}`);
    say(`skiff phases, first warm build:\n${traces.warm}`);
    return { benchmark: 'build', buildahDriver: driver, coldBuild: summary(cold), warmBuild: summary(warm) };
  } finally {
    for (const b of buildahRoots) await removeBuildahRoot(b);
    await reg.stop();
    await rm(work, { recursive: true, force: true });
  }
}

interface BuildahRoot {
  root: string;
  runroot: string;
  driver: string;
}

/** buildah leaves its layers mounted under overlay storage until told; unmount, then delete. */
async function removeBuildahRoot(b: BuildahRoot): Promise<void> {
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
