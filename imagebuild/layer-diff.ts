// A build step's changes as an OCI layer: the overlay upper directory of the step's working
// rootfs, packed into a tar. overlayfs marks a deletion with a 0/0 character device and a
// directory that hides everything below with the trusted.overlay.opaque=y xattr; the layer
// says the same with ".wh.<name>" and "<dir>/.wh..wh..opq" entries (image-spec layer.md).
// Entries are written in name order with the files' own modes, owners and mtimes, so the
// same tree always packs to the same bytes (what the layer cache and "skip blobs the
// registry has" stand on).
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Header, Pack } from 'tar-stream';
import type { ContentStore } from '../runtime/images/content-store.js';
import { blockGzip } from './block-gzip.js';
import { storeTarLayer } from '../runtime/images/image-writer.js';
import { MEDIA, type Descriptor } from '../runtime/images/media-types.js';

const run = promisify(execFile);

export interface PackedLayer {
  descriptor: Descriptor;
  diffId: string;
  /** Entries written (whiteouts included). */
  entries: number;
  /** Bytes of file content (what an unpack of the layer writes). */
  contentBytes: number;
  /**
   * Whether the upper directory holds nothing the layer leaves out but overlayfs' own
   * bookkeeping (`bookkeeping`): then, that taken off and renamed into place, it is the
   * layer's snapshot. Capabilities, user.* and other attributes make it false.
   */
  sameAsLayer: boolean;
  /** Files carrying each of overlayfs' bookkeeping xattrs (impure, origin, uuid). */
  bookkeeping: Map<string, string[]>;
  /** Entries whose mtime has a fraction of a second, which the tar header (whole seconds) drops. */
  subSecondTimes: { path: string; mtime: Date }[];
}

/** Attributes overlayfs sets on copy-up for its own use: meaningless outside that mount. */
const BOOKKEEPING = new Set(['trusted.overlay.impure', 'trusted.overlay.origin', 'trusted.overlay.uuid']);

/**
 * Directories under `upper` carrying the overlay opaque mark, relative ("a/b"), and whether
 * any other extended attribute is there (overlay's own, capabilities, user.*: none go in a layer).
 */
async function overlayMarks(upper: string): Promise<{ opaque: Set<string>; otherXattrs: boolean; bookkeeping: Map<string, string[]> }> {
  const out = new Set<string>();
  let otherXattrs = false;
  const bookkeeping = new Map<string, string[]>();
  let text: string;
  try {
    ({ stdout: text } = await run('getfattr', ['-R', '-P', '-h', '--absolute-names', '-d', '-m', '-', upper], { maxBuffer: 64 << 20 }));
  } catch (e) {
    // getfattr exits non-zero when some file cannot be read; what it printed still holds.
    text = (e as { stdout?: string }).stdout ?? '';
    if (text === '') throw new Error(`reading overlay marks in ${upper}: ${(e as Error).message}`, { cause: e });
  }
  let file: string | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) file = decodeGetfattrPath(line.slice(8));
    else if (file && /^trusted\.overlay\.opaque="y"$/.test(line)) out.add(path.relative(upper, file));
    else if (file && line !== '') {
      const name = line.slice(0, line.indexOf('=') >>> 0);
      if (BOOKKEEPING.has(name)) bookkeeping.set(name, [...(bookkeeping.get(name) ?? []), file]);
      else otherXattrs = true;
    }
  }
  return { opaque: out, otherXattrs, bookkeeping };
}

/** getfattr writes control, backslash and non-ASCII bytes of names as a backslash and three octal digits. */
function decodeGetfattrPath(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const m = s[i] === '\\' ? /^[0-7]{3}/.exec(s.slice(i + 1)) : null;
    if (m) {
      bytes.push(parseInt(m[0], 8));
      i += 3;
    } else bytes.push(...Buffer.from(s[i]));
  }
  return Buffer.from(bytes).toString();
}

/** Packs `upper` as a gzip layer into `store`. */
export async function packUpperDir(store: ContentStore, upper: string): Promise<PackedLayer> {
  const { opaque, otherXattrs, bookkeeping } = await overlayMarks(upper);
  // Fixed blocks and levels and no gzip timestamp (zlib writes none): same tar, same blob.
  const { blob, diffId, filled: tree } = await storeTarLayer(store, blockGzip, (pack) => packTree(pack, upper, opaque));
  return { descriptor: { mediaType: MEDIA.ociLayerGzip, digest: blob.digest, size: blob.size }, diffId, ...tree, sameAsLayer: !otherXattrs, bookkeeping };
}

type Headers = Partial<Header> & { name: string };

async function packTree(pack: Pack, root: string, opaque: Set<string>): Promise<{ entries: number; contentBytes: number; subSecondTimes: { path: string; mtime: Date }[] }> {
  const hardlinks = new Map<string, string>();
  let count = 0;
  let contentBytes = 0;
  const subSecondTimes: { path: string; mtime: Date }[] = [];
  const put = (h: Headers) => {
    count++;
    const done = (resolve: () => void, reject: (e: Error) => void) => (err?: Error | null) => (err ? reject(err) : resolve());
    // A file entry given no buffer is a stream to be written; empty whiteout files get an empty buffer.
    return new Promise<void>((resolve, reject) => (h.type === 'file' ? pack.entry(h, Buffer.alloc(0), done(resolve, reject)) : pack.entry(h, done(resolve, reject))));
  };
  const walk = async (rel: string): Promise<void> => {
    for (const n of (await readdir(path.join(root, rel))).sort()) {
      const r = rel === '' ? n : `${rel}/${n}`;
      const full = path.join(root, r);
      const st = await lstat(full);
      const base: Headers = { name: r, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
      if (st.mtimeMs % 1000 !== 0 && !(st.isCharacterDevice() && st.rdev === 0)) subSecondTimes.push({ path: full, mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000) });
      if (st.isCharacterDevice() && st.rdev === 0) {
        // overlayfs' whiteout: the name was deleted
        await put({ name: rel === '' ? `.wh.${n}` : `${rel}/.wh.${n}`, type: 'file', size: 0, mode: 0o644, mtime: new Date(0) });
      } else if (st.isDirectory()) {
        await put({ ...base, name: `${r}/`, type: 'directory' });
        if (opaque.has(r)) await put({ name: `${r}/.wh..wh..opq`, type: 'file', size: 0, mode: 0o644, mtime: new Date(0) });
        await walk(r);
      } else if (st.isSymbolicLink()) {
        await put({ ...base, type: 'symlink', linkname: await readlink(full) });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? hardlinks.get(key) : undefined;
        if (first !== undefined) {
          await put({ ...base, type: 'link', linkname: first });
          continue;
        }
        if (st.nlink > 1) hardlinks.set(key, r);
        count++;
        contentBytes += st.size;
        await new Promise<void>((resolve, reject) => {
          const w = pack.entry({ ...base, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
          createReadStream(full).on('error', reject).pipe(w);
        });
      } else {
        // The unpacker refuses these too: an image that carries them could not be pulled.
        throw new Error(`/${r}: device nodes, FIFOs and sockets cannot go into a layer`);
      }
    }
  };
  await walk('');
  return { entries: count, contentBytes, subSecondTimes };
}
