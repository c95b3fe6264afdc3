// Unpacking one layer into its own snapshot directory, safely. The directory starts empty
// and the layer may only ever create things under it:
//   - names are normalised; absolute names and any ".." component are rejected;
//   - every parent of an entry must be a directory this layer created (or an implicit one),
//     never a symlink, so nothing is written through a symlink placed earlier in the same
//     layer (CVE-2014-6407, CVE-2021-32760 family); files are opened O_EXCL|O_NOFOLLOW too;
//   - a symlink named "." or "/" (CVE-2021-29136), relative symlinks whose target climbs out
//     of the root, hardlinks to anything outside this layer, device nodes, a bare ".wh.",
//     duplicate entries, and layer-supplied overlay xattrs are all rejected.
// OCI whiteouts become overlayfs ones (image-spec layer.md): ".wh.<name>" a 0/0 character
// device named <name>, ".wh..wh..opq" the trusted.overlay.opaque=y xattr on the directory.
// Node has no mknod(2) or setxattr(2), so those go through mknod(1) and setfattr(1) in one
// batch per layer. The diffID (sha256 of the uncompressed tar) is checked at the end; the
// caller unpacks into a temporary directory and deletes it on any error.
import { execFile } from 'node:child_process';
import { constants, createReadStream } from 'node:fs';
import { chown, lchown, link, lutimes, mkdir, open, symlink, utimes, chmod, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import { RuntimeError } from '../cri.js';
import { hashDigest, newHash } from './digest.js';

const run = promisify(execFile);

export interface UnpackResult {
  diffId: string;
  /** Bytes of regular file content written. */
  size: number;
  entries: number;
}

type Kind = 'dir' | 'implicit-dir' | 'file' | 'symlink' | 'whiteout';

function hostile(why: string): RuntimeError {
  return new RuntimeError('InvalidArgument', `rejected layer: ${why}`);
}

/** Checks and normalises an entry name; returns "" for the layer root itself. */
export function cleanName(raw: string): string {
  if (raw.includes('\0')) throw hostile(`entry name with a NUL byte ${JSON.stringify(raw)}`);
  if (raw.startsWith('/')) throw hostile(`absolute path ${JSON.stringify(raw)}`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw hostile(`path with ".." ${JSON.stringify(raw)}`);
  return parts.join('/');
}

async function sniff(file: string): Promise<'gzip' | 'zstd' | 'none'> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    if (bytesRead >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
    if (bytesRead >= 4 && b.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await fh.close();
  }
}

function decompressor(kind: 'gzip' | 'zstd' | 'none'): Transform | undefined {
  if (kind === 'gzip') return zlib.createGunzip({ chunkSize: 1 << 17 });
  if (kind === 'zstd') {
    // zstd arrived in node:zlib in Node 22.15 / 23.8; Node 20 has none.
    const make = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
    if (!make) throw new RuntimeError('InvalidArgument', `zstd-compressed layers need Node.js >= 22.15 (this is ${process.version}); push the image with gzip layers`);
    return make();
  }
  return undefined;
}

/** Unpacks the layer blob at `blobPath` into the (empty, existing) directory `target`. */
export async function unpackLayer(blobPath: string, target: string, expectedDiffId?: string): Promise<UnpackResult> {
  const decomp = decompressor(await sniff(blobPath));
  const hash = newHash();
  const hasher = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const state = new LayerState(target);
  const extract = tar.extract();
  const source: Readable = createReadStream(blobPath, { highWaterMark: 1 << 20 });
  let entryFailed = false;
  let streamFailed = false;
  const consume = (async () => {
    for await (const entry of extract) {
      await state.add(entry.header, entry as unknown as AsyncIterable<Buffer>);
      // Drain whatever the entry handler did not read (directories, links).
      entry.resume();
    }
  })().catch((e: unknown) => {
    // Stop reading the blob at the first rejected entry (unless the stream itself broke first).
    if (!streamFailed) entryFailed = true;
    source.destroy();
    if (e instanceof RuntimeError) throw e;
    // The file system said no (ENOSPC, ENAMETOOLONG, ...): not the layer's fault, but say where.
    throw new RuntimeError('Internal', `unpacking layer ${path.basename(blobPath)}: ${(e as Error).message}`, { cause: e });
  });
  const piping = (decomp ? pipeline(source, decomp, hasher, extract as unknown as NodeJS.WritableStream) : pipeline(source, hasher, extract as unknown as NodeJS.WritableStream)).catch((e: unknown) => {
    if (!entryFailed) streamFailed = true;
    throw e instanceof RuntimeError ? e : new RuntimeError('InvalidArgument', `corrupt layer ${path.basename(blobPath)}: ${(e as Error).message}`, { cause: e });
  });
  const [a, b] = await Promise.allSettled([consume, piping]);
  // Whichever failed first says why; the other then only reports a stream cut short.
  if (a.status === 'rejected' && (entryFailed || b.status === 'fulfilled')) throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  await state.finish();
  const diffId = hashDigest(hash);
  if (expectedDiffId !== undefined && diffId !== expectedDiffId) throw new RuntimeError('InvalidArgument', `layer diffID mismatch: the config says ${expectedDiffId}, the uncompressed layer is ${diffId}`);
  return { diffId, size: state.bytes, entries: state.count };
}

class LayerState {
  readonly root: string;
  readonly kinds = new Map<string, Kind>();
  readonly dirMeta: { p: string; mode: number; uid: number; gid: number; mtime: Date }[] = [];
  readonly whiteouts: string[] = [];
  readonly opaque: string[] = [];
  readonly xattrs: { p: string; name: string; value: string }[] = [];
  bytes = 0;
  count = 0;

  constructor(root: string) {
    this.root = root;
  }

  /** Makes sure every ancestor of `name` is a directory of this layer, creating implicit ones. */
  async parents(name: string): Promise<void> {
    const parts = name.split('/');
    let cur = '';
    for (let i = 0; i < parts.length - 1; i++) {
      cur = cur === '' ? parts[i] : `${cur}/${parts[i]}`;
      const k = this.kinds.get(cur);
      if (k === 'dir' || k === 'implicit-dir') continue;
      if (k === 'symlink') throw hostile(`${JSON.stringify(name)} would be written through the symlink ${JSON.stringify(cur)}`);
      if (k !== undefined) throw hostile(`${JSON.stringify(name)} is under ${JSON.stringify(cur)}, which is not a directory`);
      await mkdir(path.join(this.root, cur), { mode: 0o755 });
      this.kinds.set(cur, 'implicit-dir');
    }
  }

  claim(name: string, kind: Kind): void {
    const had = this.kinds.get(name);
    // A directory entry may follow the implicit creation of the same directory (children listed first).
    if (had !== undefined && !(had === 'implicit-dir' && kind === 'dir')) throw hostile(`duplicate entry ${JSON.stringify(name)}`);
    this.kinds.set(name, kind);
  }

  async add(h: Header, data: AsyncIterable<Buffer>): Promise<void> {
    this.count++;
    const name = cleanName(h.name);
    const type = h.type ?? 'file';
    const pax = (h.pax ?? {}) as Record<string, string>;
    if (name === '') {
      if (type !== 'directory') throw hostile(`a ${type} named ${JSON.stringify(h.name)} in place of the root directory`);
      return; // the root's own metadata belongs to the snapshot, not the layer
    }
    const base = path.posix.basename(name);
    const dir = path.posix.dirname(name) === '.' ? '' : path.posix.dirname(name);
    const full = path.join(this.root, name);
    if (base.startsWith('.wh.')) {
      await this.parents(name);
      if (base === '.wh..wh..opq') {
        if (dir === '') throw hostile('an opaque marker for the root directory');
        if (this.opaque.includes(dir)) throw hostile(`duplicate entry ${JSON.stringify(name)}`);
        this.opaque.push(dir);
        return;
      }
      if (base.startsWith('.wh..wh.')) return; // AUFS bookkeeping (.wh..wh.plnk, ...): no meaning in OCI
      const victim = base.slice(4);
      if (victim === '' || victim === '.' || victim === '..') throw hostile(`bare or malformed whiteout ${JSON.stringify(h.name)}`);
      const vname = dir === '' ? victim : `${dir}/${victim}`;
      this.claim(vname, 'whiteout');
      this.whiteouts.push(path.join(this.root, vname));
      return;
    }
    await this.parents(name);
    for (const [k, v] of Object.entries(pax)) {
      if (!k.startsWith('SCHILY.xattr.')) continue;
      const xname = k.slice('SCHILY.xattr.'.length);
      if (xname.startsWith('trusted.overlay.') || xname.startsWith('user.overlay.')) throw hostile(`${JSON.stringify(name)} carries the overlayfs xattr ${xname}`);
      this.xattrs.push({ p: full, name: xname, value: v });
    }
    const mode = (h.mode ?? 0o644) & 0o7777;
    const uid = h.uid ?? 0;
    const gid = h.gid ?? 0;
    const mtime = h.mtime ?? new Date(0);
    switch (type) {
      case 'directory': {
        this.claim(name, 'dir');
        await mkdir(full, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw e;
        });
        this.dirMeta.push({ p: full, mode, uid, gid, mtime });
        return;
      }
      case 'file':
      case 'contiguous-file': {
        this.claim(name, 'file');
        const fh = await open(full, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        try {
          // Batched into ~1 MB writes: tar-stream hands out small slices.
          let pending: Buffer[] = [];
          let pendingBytes = 0;
          const flush = async () => {
            const buf = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
            pending = [];
            pendingBytes = 0;
            let done = 0;
            while (done < buf.length) done += (await fh.write(buf, done, buf.length - done)).bytesWritten;
          };
          for await (const chunk of data) {
            pending.push(chunk);
            pendingBytes += chunk.length;
            this.bytes += chunk.length;
            if (pendingBytes >= 1 << 20) await flush();
          }
          if (pendingBytes > 0) await flush();
          await fh.chown(uid, gid);
          await fh.chmod(mode); // after chown: chown clears setuid bits
          await fh.utimes(mtime, mtime);
        } finally {
          await fh.close();
        }
        return;
      }
      case 'symlink': {
        const target = h.linkname ?? '';
        if (target === '') throw hostile(`symlink ${JSON.stringify(name)} without a target`);
        if (target.includes('\0')) throw hostile(`symlink ${JSON.stringify(name)} with a NUL byte in its target`);
        // Absolute targets are resolved inside the container's root at run time; relative ones
        // must not climb above the layer root, lexically.
        if (!target.startsWith('/')) {
          const depth = (dir === '' ? [] : dir.split('/')).length;
          let level = depth;
          for (const part of target.split('/')) {
            if (part === '..') level--;
            else if (part !== '' && part !== '.') level++;
            if (level < 0) throw hostile(`symlink ${JSON.stringify(name)} -> ${JSON.stringify(target)} points outside the image root`);
          }
        }
        this.claim(name, 'symlink');
        await symlink(target, full);
        await lchown(full, uid, gid);
        await lutimes(full, mtime, mtime);
        return;
      }
      case 'link': {
        const raw = h.linkname ?? '';
        if (raw.startsWith('/')) throw hostile(`hardlink ${JSON.stringify(name)} -> ${JSON.stringify(raw)} points outside the layer`);
        const target = cleanName(raw);
        const tk = this.kinds.get(target);
        if (target === '' || (tk !== 'file' && tk !== 'symlink')) throw hostile(`hardlink ${JSON.stringify(name)} -> ${JSON.stringify(raw)}: the target is not a file earlier in this layer`);
        this.claim(name, 'file');
        await link(path.join(this.root, target), full);
        return;
      }
      case 'character-device':
      case 'block-device':
        throw hostile(`device node ${JSON.stringify(name)} (${type} ${h.devmajor ?? 0}:${h.devminor ?? 0}); images may not carry devices`);
      default:
        throw hostile(`unsupported entry type ${type} for ${JSON.stringify(name)}`);
    }
  }

  /** Whiteouts, opaque markers, xattrs, then directory metadata deepest first (children change mtimes). */
  async finish(): Promise<void> {
    for (let i = 0; i < this.whiteouts.length; i += 200) {
      const batch = this.whiteouts.slice(i, i + 200);
      await run('/bin/sh', ['-c', 'for p do mknod "$p" c 0 0 || exit 1; done', 'sh', ...batch]);
    }
    const xattrs = [...this.opaque.map((d) => ({ p: path.join(this.root, d), name: 'trusted.overlay.opaque', value: 'y' })), ...this.xattrs];
    if (xattrs.length > 0) {
      // setfattr --restore reads getfattr's dump format: "# file: P" then name="value" lines.
      const dump = xattrs.map((x) => `# file: ${encodePath(x.p)}\n${x.name}=0s${Buffer.from(x.value, 'latin1').toString('base64')}\n`).join('\n');
      const file = path.join(this.root, '..', `.xattrs-${process.pid}-${Math.random().toString(36).slice(2)}`);
      await writeFile(file, dump);
      try {
        await run('setfattr', ['-h', `--restore=${file}`]);
      } catch (e) {
        throw new RuntimeError('Internal', `setting xattrs (setfattr from the attr package): ${(e as Error).message}`, { cause: e });
      } finally {
        await rm(file, { force: true });
      }
    }
    for (const d of this.dirMeta.sort((a, b) => b.p.length - a.p.length)) {
      await chown(d.p, d.uid, d.gid);
      await chmod(d.p, d.mode);
      await utimes(d.p, d.mtime, d.mtime);
    }
  }
}

/** getfattr's escaping of file names in dumps: octal for control, backslash and non-ASCII bytes. */
function encodePath(p: string): string {
  let out = '';
  for (const b of Buffer.from(p)) out += b < 0x21 || b > 0x7e || b === 0x5c ? `\\${b.toString(8).padStart(3, '0')}` : String.fromCharCode(b);
  return out;
}
