// COPY and ADD: files from the build context (minus .dockerignore) or from another stage's or
// image's rootfs, copied into the step's working rootfs with Docker's rules for the
// destination (a trailing "/" or several sources make it a directory; a source directory
// contributes its contents, not itself), modes and mtimes kept, owners 0:0 from the context
// (kept from another stage) unless --chown says otherwise. ADD also unpacks a local tar
// archive (plain or gzip) into the destination.
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { chmod, copyFile, lchown, lstat, lutimes, mkdir, mkdtemp, open, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { unpackLayer } from '../runtime/images/unpack.js';
import { secureJoin } from '../runtime/oci/secure-path.js';
import { sha256File, type FileHashes } from './file-hashes.js';

export interface CopySource {
  /** Host path of the source. */
  abs: string;
  /** Its name relative to where it was found (the context or a rootfs). */
  rel: string;
}

export interface CopyOptions {
  /** --chown, resolved; undefined keeps owners (other stages) or gives 0:0 (context). */
  owner?: { uid: number; gid: number };
  /** Copying from another stage or image: owners are kept when there is no --chown. */
  keepOwners: boolean;
  /** --chmod, octal. */
  mode?: number;
  /** Leaves out paths (relative like CopySource.rel) the context excludes. */
  include?: (rel: string) => boolean;
  /** ADD: unpack tar archives. */
  extractArchives: boolean;
}

/** Files hashed at once: reads overlap with hashing and with each other's waits. */
const HASH_PARALLEL = 4;

/**
 * A digest of everything the copy reads (names, types, modes, owners when kept, content): the
 * cache key's part. File contents come from `hashes` when it remembers them unchanged.
 */
export async function hashSources(sources: CopySource[], opts: CopyOptions, hashes?: FileHashes): Promise<string> {
  // The walk fixes the order of the lines; file contents are hashed after it, a few at a time.
  const lines: string[] = [];
  const files: { at: number; abs: string; st: BigIntStats }[] = [];
  const visit = async (abs: string, rel: string, name: string): Promise<void> => {
    if (opts.include && rel !== '' && !opts.include(rel)) return;
    const st = await lstat(abs, { bigint: true });
    const owner = opts.keepOwners ? `${st.uid}:${st.gid}` : '';
    const mode = Number(st.mode) & 0o7777;
    if (st.isDirectory()) {
      lines.push(`D ${name} ${mode} ${owner}\n`);
      for (const n of (await readdir(abs)).sort()) await visit(path.join(abs, n), rel === '' ? n : `${rel}/${n}`, `${name}/${n}`);
    } else if (st.isSymbolicLink()) {
      lines.push(`L ${name} ${owner} ${await readlink(abs)}\n`);
    } else if (st.isFile()) {
      files.push({ at: lines.length, abs, st });
      lines.push(`F ${name} ${mode} ${owner} `);
    } else throw new Error(`${rel}: only files, directories and symlinks can be copied`);
  };
  for (const s of sources) await visit(s.abs, s.rel, s.rel);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++];
      lines[f.at] += `${hashes ? await hashes.hash(f.abs, f.st) : await sha256File(f.abs)}\n`;
    }
  };
  await Promise.all(Array.from({ length: HASH_PARALLEL }, worker));
  const h = createHash('sha256');
  for (const l of lines) h.update(l);
  return `sha256:${h.digest('hex')}`;
}

/**
 * Copies `sources` to `dest` (an absolute path inside `rootfs`; a trailing "/" marks a directory).
 * Returns the number of entries written.
 */
export async function copyInto(rootfs: string, sources: CopySource[], dest: string, opts: CopyOptions): Promise<number> {
  let destIsDir = dest.endsWith('/') || sources.length > 1;
  const destHost = await secureJoin(rootfs, dest);
  const existing = await lstat(destHost).catch(() => undefined);
  if (existing?.isDirectory()) destIsDir = true;
  let count = 0;
  const ownerOf = (st: { uid: number; gid: number }) => opts.owner ?? (opts.keepOwners ? { uid: st.uid, gid: st.gid } : { uid: 0, gid: 0 });

  const copyEntry = async (src: string, rel: string, dst: string): Promise<void> => {
    if (opts.include && rel !== '' && !opts.include(rel)) return;
    const st = await lstat(src);
    const { uid, gid } = ownerOf(st);
    const mode = opts.mode ?? st.mode & 0o7777;
    const there = await lstat(dst).catch(() => undefined);
    if (there && !(there.isDirectory() && st.isDirectory())) await rm(dst, { recursive: true, force: true });
    count++;
    if (st.isDirectory()) {
      if (!there?.isDirectory()) await mkdir(dst);
      for (const n of (await readdir(src)).sort()) await copyEntry(path.join(src, n), rel === '' ? n : `${rel}/${n}`, path.join(dst, n));
      await lchown(dst, uid, gid);
      await chmod(dst, mode);
      await utimes(dst, st.atime, st.mtime);
    } else if (st.isSymbolicLink()) {
      await symlink(await readlink(src), dst);
      await lchown(dst, uid, gid);
      await lutimes(dst, st.atime, st.mtime);
    } else if (st.isFile()) {
      await copyFile(src, dst);
      await lchown(dst, uid, gid);
      await chmod(dst, mode); // after chown, which clears setuid bits
      await utimes(dst, st.atime, st.mtime);
    } else throw new Error(`${rel}: only files, directories and symlinks can be copied`);
  };

  const ensureDir = (dir: string) => makeDirs(rootfs, dir, opts.owner ?? { uid: 0, gid: 0 });

  await keepingParentTimes(rootfs, destHost, async () => {
    for (const s of sources) {
      const st = await lstat(s.abs);
      if (opts.extractArchives && st.isFile() && (await isTarArchive(s.abs))) {
        await ensureDir(destHost);
        count += await extractArchive(s.abs, destHost, rootfs, opts);
      } else if (st.isDirectory()) {
        await ensureDir(destHost);
        for (const n of (await readdir(s.abs)).sort()) await copyEntry(path.join(s.abs, n), s.rel === '' ? n : `${s.rel}/${n}`, await secureJoin(rootfs, path.posix.join(dest, n)));
      } else if (destIsDir) {
        await ensureDir(destHost);
        await copyEntry(s.abs, s.rel, await secureJoin(rootfs, path.posix.join(dest, path.posix.basename(s.rel))));
      } else {
        await ensureDir(path.dirname(destHost));
        await copyEntry(s.abs, s.rel, destHost);
      }
    }
  });
  return count;
}

/**
 * Creates `dir` (a host path inside `rootfs`) and missing parents, owned by `owner`, with a
 * fixed mtime so the same step gives the same layer; an existing component must be a directory.
 */
export async function makeDirs(rootfs: string, dir: string, owner: { uid: number; gid: number }): Promise<void> {
  let cur = rootfs;
  for (const part of path.relative(rootfs, dir).split('/').filter(Boolean)) {
    cur = path.join(cur, part);
    const st = await lstat(cur).catch(() => undefined);
    if (st?.isDirectory()) continue;
    if (st) throw new Error(`/${path.relative(rootfs, cur)} exists and is not a directory`);
    await mkdir(cur, { mode: 0o755 });
    await chmod(cur, 0o755); // whatever the umask
    await lchown(cur, owner.uid, owner.gid);
    await utimes(cur, 0, 0);
  }
}

/** Runs `fn`, then puts back the mtimes of the existing directories on the way to `target` (children change them). */
export async function keepingParentTimes<T>(rootfs: string, target: string, fn: () => Promise<T>): Promise<T> {
  const times = await parentTimes(rootfs, target);
  const out = await fn();
  await restoreTimes(times);
  return out;
}

/** mtimes of the existing directories on the way to `target`, to put back after the copy changed them. */
async function parentTimes(rootfs: string, target: string): Promise<{ p: string; atime: Date; mtime: Date }[]> {
  const out: { p: string; atime: Date; mtime: Date }[] = [];
  let cur = rootfs;
  for (const part of path.relative(rootfs, target).split('/').filter(Boolean)) {
    const st = await lstat(cur).catch(() => undefined);
    if (!st?.isDirectory()) break;
    out.push({ p: cur, atime: st.atime, mtime: st.mtime });
    cur = path.join(cur, part);
  }
  const st = await lstat(cur).catch(() => undefined);
  if (st?.isDirectory()) out.push({ p: cur, atime: st.atime, mtime: st.mtime });
  return out;
}

async function restoreTimes(times: { p: string; atime: Date; mtime: Date }[]): Promise<void> {
  for (const t of times.reverse()) {
    // Only where it changed: touching an unchanged directory would copy it up into the layer.
    const st = await lstat(t.p).catch(() => undefined);
    if (st && st.mtime.getTime() !== t.mtime.getTime()) await utimes(t.p, t.atime, t.mtime);
  }
}

async function isTarArchive(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(265);
    const { bytesRead } = await fh.read(b, 0, b.length, 0);
    if (bytesRead >= 2 && b[0] === 0x1f && b[1] === 0x8b) return /\.(tar\.gz|tgz)$/.test(file);
    return bytesRead >= 262 && b.subarray(257, 262).toString() === 'ustar';
  } finally {
    await fh.close();
  }
}

/** ADD of a tar archive: unpacked (safely, by the layer unpacker) and its tree copied in. */
async function extractArchive(archive: string, destHost: string, rootfs: string, opts: CopyOptions): Promise<number> {
  const tmp = await mkdtemp(path.join(path.dirname(rootfs), 'add-'));
  try {
    const out = path.join(tmp, 'x');
    await mkdir(out);
    await unpackLayer(archive, out);
    // The archive's root stands for a source directory: its contents go into the destination.
    return await copyInto(rootfs, [{ abs: out, rel: '' }], `/${path.relative(rootfs, destHost)}/`, { ...opts, keepOwners: opts.owner === undefined, include: undefined, extractArchives: false });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
