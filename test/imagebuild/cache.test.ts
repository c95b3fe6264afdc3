// The layer cache on the real runtime: a rebuild with nothing changed runs no RUN step and
// gives the same image; changing a file copied late rebuilds from that COPY on and reuses
// every step before it; --no-cache runs everything. A failing RUN names its step and exit
// code and leaves no mount or container behind; what a killed build left, the next one removes;
// --target builds only the stages the target needs.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, type BuildOptions } from '../../imagebuild/builder.js';
import { cleanStaleBuilds } from '../../imagebuild/working-rootfs.js';
import { ImageService } from '../../runtime/image-service.js';
import { chooseRuntime } from '../../runtime/oci/oci-runtime.js';
import { eventually } from '../fixtures/eventually.js';
import { buildBusyboxImage, importImage, openStore } from '../fixtures/images.js';
import { startSkiff } from '../fixtures/process.js';

const run = promisify(execFile);

let tmp: string;
let root: string;
let ctx: string;
let images: ImageService;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'skiff-build-cache-'));
  root = path.join(tmp, 'root');
  const store = await openStore(path.join(tmp, 'seed'));
  await importImage(root, 'busybox:1', await buildBusyboxImage(store), store);
  images = new ImageService({ root });
  ctx = path.join(tmp, 'ctx');
  await mkdir(ctx);
  await writeFile(path.join(ctx, 'early.txt'), 'early\n');
  await writeFile(path.join(ctx, 'late.txt'), 'late v1\n');
  await writeFile(
    path.join(ctx, 'Dockerfile'),
    `FROM busybox:1
COPY early.txt /early.txt
RUN cat /early.txt > /early-copy && echo ran-early
COPY late.txt /late.txt
RUN cat /late.txt > /late-copy && echo ran-late
CMD ["cat", "/late-copy"]
`,
  );
});

afterAll(async () => {
  // Should a test fail half-way, what a killed build left must not outlive the suite.
  if (images) await cleanStaleBuilds(images, path.join(root, 'build', 'oci-state'), chooseRuntime().path).catch(() => undefined);
  await images?.destroy();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function build(extra: Partial<BuildOptions> = {}) {
  let text = '';
  const output = new Writable({
    write(chunk: Buffer, _e, cb) {
      text += chunk.toString();
      cb();
    },
  });
  const result = await buildImage({ images, context: ctx, tags: ['cached:1'], output, ...extra });
  return { result, text, summary: result.steps.map((s) => `${s.instruction.split(' ')[0]} ${s.cached ? 'cached' : 'built'}${s.ran ? ' ran' : ''}`) };
}

async function readInImage(ref: string, file: string): Promise<string> {
  const mnt = path.join(tmp, 'view');
  await mkdir(mnt, { recursive: true });
  await images.mountImage(ref, mnt);
  try {
    return await readFile(path.join(mnt, file), 'utf8');
  } finally {
    await images.unmountImage(mnt);
  }
}

describe('skiff build layer cache', { timeout: 120_000 }, () => {
  it('builds everything the first time, then nothing when nothing changed', async () => {
    const first = await build();
    expect(first.summary).toEqual(['COPY built', 'RUN built ran', 'COPY built', 'RUN built ran']);
    expect(first.text).toMatch(/^ran-early$/m);
    expect(first.text).toMatch(/^ran-late$/m);

    const second = await build();
    expect(second.summary).toEqual(['COPY cached', 'RUN cached', 'COPY cached', 'RUN cached']);
    expect(second.text.match(/---> Using cache/g)).toHaveLength(4);
    expect(second.text).not.toMatch(/^ran-early$/m);
    // Same layers, same config: the same image.
    expect(second.result.imageId).toBe(first.result.imageId);
    expect(second.result.manifest.layers).toEqual(first.result.manifest.layers);
  });

  it('a changed file copied late rebuilds from its COPY on, and only that', async () => {
    const before = await build();
    await writeFile(path.join(ctx, 'late.txt'), 'late v2\n');
    const after = await build();
    expect(after.summary).toEqual(['COPY cached', 'RUN cached', 'COPY built', 'RUN built ran']);
    expect(after.text).not.toMatch(/^ran-early$/m);
    expect(after.text).toMatch(/^ran-late$/m);
    // The first two layers (base + COPY early + RUN early) are shared, the rest are new.
    const [b, a] = [before.result.manifest.layers, after.result.manifest.layers];
    expect(a.slice(0, 3)).toEqual(b.slice(0, 3));
    expect(a[3].digest).not.toBe(b[3].digest);
    expect(await readInImage('cached:1', 'late-copy')).toBe('late v2\n');
  });

  it('--no-cache runs every step again', async () => {
    const r = await build({ noCache: true });
    expect(r.summary).toEqual(['COPY built', 'RUN built ran', 'COPY built', 'RUN built ran']);
  });

  it('a failing RUN names the step and its exit code and leaves no mount or container behind', async () => {
    const bad = path.join(tmp, 'bad');
    await mkdir(bad, { recursive: true });
    await writeFile(path.join(bad, 'Dockerfile'), 'FROM busybox:1\nRUN echo about to fail && exit 3\n');
    await expect(buildImage({ images, context: bad, tags: ['bad:1'] })).rejects.toThrow(/Dockerfile:2: RUN echo about to fail && exit 3: .*returned a non-zero code: 3/);
    const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(root));
    expect(mounts).toEqual([]);
    const { stdout } = await run('runc', ['--root', path.join(root, 'build', 'oci-state'), 'list', '-q']);
    expect(stdout.trim()).toBe('');
    expect((await images.listImages()).flatMap((i) => i.repoTags)).not.toContain('docker.io/library/bad:1');
  });

  it('a build killed in the middle of a RUN leaves a container and mounts that the next build takes down', async () => {
    const slow = path.join(tmp, 'slow');
    await mkdir(slow, { recursive: true });
    await writeFile(path.join(slow, 'Dockerfile'), 'FROM busybox:1\nRUN echo started && sleep 60\n');
    const p = startSkiff(['build', '--root', root, '-t', 'slow:1', slow], { env: { ...process.env, SKIFF_LOG_LEVEL: 'error' } });
    const stateRoot = path.join(root, 'build', 'oci-state');
    const containers = async () => (await run('runc', ['--root', stateRoot, 'list', '-q'])).stdout.split('\n').filter(Boolean);
    const buildMounts = async () => (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(path.join(root, 'build')));
    try {
      // The command's own line, not the STEP line that quotes it: the container is running.
      await eventually(() => /^started$/m.test(p.output()), 'the RUN step to print started', 30_000, { intervalMs: 100 });
      expect(p.output()).toMatch(/^started$/m);
    } finally {
      await p.kill9();
    }
    expect(await containers()).toHaveLength(1);
    expect(await buildMounts()).not.toEqual([]);

    const next = await build();
    expect(next.summary).toEqual(['COPY cached', 'RUN cached', 'COPY cached', 'RUN cached']);
    expect(await containers()).toEqual([]);
    expect(await buildMounts()).toEqual([]);
  });
  it('--target builds the named stage and only the stages it needs', async () => {
    const multi = path.join(tmp, 'multi');
    await mkdir(multi, { recursive: true });
    await writeFile(
      path.join(multi, 'Dockerfile'),
      `FROM busybox:1 AS unused
RUN echo never > /never
FROM busybox:1 AS tools
RUN echo tools > /tools
FROM busybox:1 AS app
COPY --from=tools /tools /from-tools
RUN echo app > /app
`,
    );
    const stagesBuilt = (r: { steps: { stage: string }[] }) => [...new Set(r.steps.map((s) => s.stage))];
    const app = await buildImage({ images, context: multi, tags: ['multi:app'] });
    expect(stagesBuilt(app)).toEqual(['tools', 'app']);
    const tools = await buildImage({ images, context: multi, tags: ['multi:tools'], target: 'tools' });
    expect(stagesBuilt(tools)).toEqual(['tools']);
    expect(await readInImage('multi:tools', 'tools')).toBe('tools\n');
    expect(await readInImage('multi:app', 'from-tools')).toBe('tools\n');
    await expect(buildImage({ images, context: multi, tags: ['multi:x'], target: 'nope' })).rejects.toThrow(/target stage "nope" could not be found/);
  });
});
