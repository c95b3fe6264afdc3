// `skiff build` against buildah (Debian's, `buildah bud`) as the oracle: for each Dockerfile
// below, built from the same context on the same base (a busybox image in a local registry),
// the rootfs of skiff's image must equal buildah's — paths, types, modes, owners, content
// hashes, symlink targets — and the configs must agree on Entrypoint, Cmd, Env, WorkingDir,
// User and ExposedPorts.
//
// Differences left out, because buildah adds them and they are not the Dockerfile's doing:
//   - /etc/hosts, /etc/resolv.conf, /etc/hostname and /run: buildah creates these (empty) as
//     mount points for its RUN containers and keeps them in the image; skiff's RUN takes out
//     mount points it had to create. Ignored only when the skiff image lacks them.
//   - the rootfs directory itself (buildah's vfs checkout is 0555, an image root has no entry).
//   - mtimes (not comparable across builders) and the io.buildah.version label.
//   - the order of Env: an ENV that redefines a variable keeps its place in Docker (and skiff)
//     but moves to the end in buildah; the order means nothing to a process, so Env is
//     compared as a sorted list.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../imagebuild/builder.js';
import { ImageService } from '../../runtime/image-service.js';
import { buildBusyboxImage, openStore, pushImage } from '../fixtures/images.js';
import { startRegistry, type RegistryFixture } from '../fixtures/registry.js';
import { Buildah, type OciConfigFields } from './buildah.js';
import { diffTrees, readTree, type TreeEntry } from './tree.js';

const run = promisify(execFile);
const BUILDAH_MOUNT_POINTS = ['/etc/hosts', '/etc/resolv.conf', '/etc/hostname', '/run'];

let reg: RegistryFixture;
let tmp: string;
let images: ImageService;
let buildah: Buildah;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'skiff-oracle-'));
  reg = await startRegistry();
  const store = await openStore(path.join(tmp, 'seed'));
  await pushImage(reg.host, 'busybox:1', store, await buildBusyboxImage(store));
  images = new ImageService({ root: path.join(tmp, 'root') });
  buildah = await Buildah.create();
});

afterAll(async () => {
  await buildah?.destroy();
  await reg?.stop();
  if (tmp) {
    await images?.destroy();
    await rm(tmp, { recursive: true, force: true });
  }
});

interface Case {
  name: string;
  dockerfile: (base: string) => string;
  files?: Record<string, string | { mode?: number; data?: string; link?: string; dir?: boolean }>;
  /** tar.gz archives to make in the context: name -> files in it. */
  archives?: Record<string, Record<string, string>>;
  buildArgs?: Record<string, string>;
}

async function writeContext(c: Case): Promise<string> {
  const dir = path.join(tmp, 'ctx', c.name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'Dockerfile'), c.dockerfile(`${reg.host}/busybox:1`));
  for (const [rel, spec] of Object.entries(c.files ?? {})) {
    const full = path.join(dir, rel);
    await mkdir(path.dirname(full), { recursive: true });
    if (typeof spec === 'string') await writeFile(full, spec);
    else if (spec.link !== undefined) await symlink(spec.link, full);
    else if (spec.dir) await mkdir(full, { recursive: true });
    else await writeFile(full, spec.data ?? '');
    if (typeof spec !== 'string' && spec.mode !== undefined) await chmod(full, spec.mode);
  }
  for (const [name, files] of Object.entries(c.archives ?? {})) {
    const src = path.join(tmp, 'archive-src', name);
    for (const [rel, data] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(src, rel)), { recursive: true });
      await writeFile(path.join(src, rel), data);
    }
    await run('tar', ['-czf', path.join(dir, name), '-C', src, '.']);
  }
  // Context directories as a user's checkout has them, whatever this process's umask.
  await chmod(dir, 0o755);
  return dir;
}

async function skiffTree(tag: string): Promise<Map<string, TreeEntry>> {
  const mnt = path.join(tmp, `view-${tag.replace(/[^a-z0-9]/g, '-')}`);
  await mkdir(mnt, { recursive: true });
  await images.mountImage(tag, mnt);
  try {
    return await readTree(mnt);
  } finally {
    await images.unmountImage(mnt);
  }
}

async function compare(c: Case): Promise<Map<string, TreeEntry>> {
  const ctx = await writeContext(c);
  const tag = `oracle-${c.name}:1`;
  // The two builders side by side: they share nothing but the read-only context.
  const [built] = await Promise.all([buildImage({ images, context: ctx, tags: [tag], buildArgs: c.buildArgs }), buildah.bud(ctx, tag, c.buildArgs)]);
  const ours = await skiffTree(tag);
  const theirs = await readTree(await buildah.mountImage(tag));
  for (const p of BUILDAH_MOUNT_POINTS) if (!ours.has(p)) theirs.delete(p);
  expect(diffTrees(ours, theirs, ['skiff', 'buildah'])).toEqual([]);
  // The comparison has something to compare: the trees hold the busybox base and more.
  expect(ours.get('/bin/busybox')?.type).toBe('file');

  const want = await buildah.config(tag);
  const got = built.config.config ?? {};
  const pick = (x: Omit<OciConfigFields, 'Labels'>) => ({ Entrypoint: x.Entrypoint ?? null, Cmd: x.Cmd ?? null, Env: [...(x.Env ?? [])].sort(), WorkingDir: x.WorkingDir ?? '', User: x.User ?? '', ExposedPorts: x.ExposedPorts ?? {} });
  expect(pick(got)).toEqual(pick(want));
  return ours;
}

describe('skiff build agrees with buildah', { timeout: 120_000 }, () => {
  it('single stage: COPY of files, directories and globs with .dockerignore, RUN, ENV, WORKDIR, USER, EXPOSE, ENTRYPOINT/CMD', async () => {
    await compare({
      name: 'single',
      files: {
        'app/main.sh': { data: '#!/bin/sh\necho main\n', mode: 0o755 },
        'app/conf/settings.ini': 'a=1\n',
        'app/conf/secret.key': 'do not ship\n',
        'app/link': { link: 'main.sh' },
        'notes-1.txt': 'one\n',
        'notes-2.txt': 'two\n',
        'notes-3.md': 'three\n',
        'private.txt': 'excluded\n',
        '.dockerignore': 'private.txt\n**/*.key\n',
      },
      archives: { 'bundle.tar.gz': { 'lib/a.txt': 'from the archive\n', 'b.txt': 'b\n' } },
      dockerfile: (base) => `# syntax=docker/dockerfile:1
FROM ${base}
ENV APP_HOME=/srv/app \\
    GREETING="hello world"
COPY app $APP_HOME/
COPY notes-*.txt /srv/notes/
COPY ["notes-3.md", "/srv/notes/readme.md"]
ADD bundle.tar.gz /opt/bundle/
WORKDIR $APP_HOME
RUN echo "$GREETING" > greeting.txt && chmod 600 greeting.txt \\
 && mkdir -p /var/data && ln -s /srv/app/greeting.txt /var/data/g \\
 && chown -R 65534:65534 /var/data
USER nobody
EXPOSE 8080 53/udp
ENTRYPOINT ["/srv/app/main.sh"]
CMD ["--port", "8080"]
`,
    });
  });

  it('multi-stage: COPY --from a stage (owners kept, --chown), only the target stage ships', async () => {
    const tree = await compare({
      name: 'multi',
      files: { 'src/input.txt': 'raw input\n' },
      dockerfile: (base) => `FROM ${base} AS builder
COPY src /src
RUN mkdir -p /out/bin && tr a-z A-Z < /src/input.txt > /out/result.txt \\
 && echo '#!/bin/sh' > /out/bin/tool && chmod 750 /out/bin/tool && chown -R 1000:1000 /out \\
 && echo junk > /builder-only

FROM ${base}
COPY --from=builder /out /opt/out
COPY --from=builder --chown=65534:65534 /out/result.txt /home/result.txt
COPY --from=${base} /etc/passwd /base-passwd
CMD /opt/out/bin/tool
`,
    });
    expect(tree.has('/builder-only')).toBe(false);
    expect(tree.get('/opt/out/result.txt')).toMatchObject({ uid: 1000, gid: 1000 });
    expect(tree.get('/home/result.txt')).toMatchObject({ uid: 65534, gid: 65534 });
  });

  it('FROM scratch without RUN: files from an image and the context only', async () => {
    const tree = await compare({
      name: 'scratch',
      files: { 'etc/app.conf': 'x=1\n', 'bin/run': { data: '#!/bin/busybox sh\n', mode: 0o755 } },
      dockerfile: (base) => `FROM scratch
COPY --from=${base} /bin/busybox /bin/busybox
COPY . /
ENTRYPOINT ["/bin/run"]
`,
    });
    expect([...tree.keys()].sort()).toEqual(['/Dockerfile', '/bin', '/bin/busybox', '/bin/run', '/etc', '/etc/app.conf']);
  });

  it('whiteouts: files and directories of earlier layers and of the base deleted, a directory replaced', async () => {
    const tree = await compare({
      name: 'whiteouts',
      dockerfile: (base) => `FROM ${base}
RUN mkdir -p /data/keep /data/drop/deep /data/swap/old && echo k > /data/keep/f && echo d > /data/drop/deep/f \\
 && echo o > /data/swap/old/f && echo x > /data/file-gone && echo y > /data/file-stays
RUN rm -rf /data/drop /data/file-gone /etc/group /bin/wc \\
 && rm -rf /data/swap && mkdir -p /data/swap/new && echo n > /data/swap/new/f
RUN rm -rf /var && mkdir /var && echo fresh > /var/only
`,
    });
    // Each RUN is its own layer in skiff's image: these hold only if its whiteouts work.
    for (const gone of ['/data/drop', '/data/file-gone', '/etc/group', '/bin/wc', '/data/swap/old']) expect(tree.has(gone)).toBe(false);
    for (const kept of ['/data/keep/f', '/data/file-stays', '/data/swap/new/f', '/var/only']) expect(tree.get(kept)?.type).toBe('file');
  });

  it('ARG before FROM and in a stage, --build-arg, ENV from ARG, relative WORKDIR, USER by name in RUN', async () => {
    await compare({
      name: 'args',
      buildArgs: { VERSION: '2.5', UNUSED_HERE: 'x' },
      dockerfile: (base) => `ARG BASE=${base}
FROM $BASE
ARG VERSION=1.0
ARG FLAVOR=plain
ENV APP_VERSION=$VERSION APP_FLAVOR=\${FLAVOR:-none} PATH=/opt/tools:$PATH
WORKDIR /work
WORKDIR sub/dir
RUN echo "$VERSION $FLAVOR $APP_VERSION" > info.txt && pwd >> info.txt
USER nobody:nogroup
RUN echo "$(id -u):$(id -g)" > /tmp/who && ls -ld /tmp/who | cut -c1-10 >> /tmp/who
USER 65534
CMD echo $APP_VERSION
`,
    });
  });
  it('edge rules: --chown into new directories, a file to a new name, a top-level symlink source, WORKDIR as a user', async () => {
    await compare({
      name: 'edges',
      files: { 'f.txt': 'f\n', 'target.txt': 't\n', 'ln': { link: 'target.txt' }, 'tree/a/b.txt': 'b\n', 'tree/c.txt': 'c\n' },
      dockerfile: (base) => `FROM ${base}
COPY --chown=65534:65534 f.txt /new/nested/dir/
COPY f.txt /renamed
COPY ln /from-link
COPY --chown=nobody tree /owned/
RUN mkdir -m 700 /locked
COPY tree /locked/
USER nobody
WORKDIR /home/nobody/work
`,
    });
  });
  it('more edge rules: a directory to a new path, --chmod, ADD of a plain file, hardlinks, a symlinked destination, exec-form RUN, ENTRYPOINT dropping the base CMD', async () => {
    await compare({
      name: 'edges2',
      files: { 'private/x.txt': { data: 'x\n', mode: 0o600 }, private: { dir: true, mode: 0o750 }, 'plain.txt': 'p\n', 'run.sh': 'echo run\n' },
      dockerfile: (base) => `FROM ${base}
COPY private /copied-private
COPY --chmod=755 run.sh /usr/local/bin/run.sh
ADD plain.txt /added/
RUN ["/bin/sh", "-c", "mkdir /real && ln -s /real /alias && echo h > /real/h1 && ln /real/h1 /real/h2"]
COPY plain.txt /alias/
USER nobody
COPY plain.txt /as-root.txt
ENV A="quoted \\"value\\"" B=two\\ words
ENTRYPOINT ["/bin/sh"]
`,
    });
  });
});
