// The image writer: an OCI image from directories (one layer each) and a config, written
// into a content store. Deletions and opaque directories are written as OCI whiteouts
// (image-spec layer.md). Tests and the demo build their images with it, and the pusher
// ships them; `skiff build` will stand on it.
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar, { type Header, type Pack } from 'tar-stream';
import { RuntimeError } from '../cri.js';
import type { ContentStore } from './content-store.js';
import { hashDigest, newHash } from './digest.js';
import { MEDIA, type Descriptor, type Manifest, type OciImageConfig } from './media-types.js';

type Headers = Partial<Header> & { name: string };

/** A raw tar entry (tests build hostile layers with these). */
export interface RawEntry {
  name: string;
  type?: Header['type'];
  data?: Buffer | string;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  devmajor?: number;
  devminor?: number;
  /** PAX records, e.g. { "SCHILY.xattr.user.k": "v" } */
  pax?: Record<string, string>;
}

export interface LayerSpec {
  /** A directory whose tree becomes the layer (modes, owners, mtimes, symlinks, hardlinks). */
  dir?: string;
  /** Paths this layer deletes from the layers below ("etc/old.conf"), written as ".wh.<name>". */
  delete?: string[];
  /** Directories this layer makes opaque (lower contents hidden), written as ".wh..wh..opq". */
  opaque?: string[];
  /** Raw entries written after the above, as they are. */
  entries?: RawEntry[];
  /** gzip (default) or none. */
  compression?: 'gzip' | 'none';
  /** History line for the config ("created_by"). */
  createdBy?: string;
}

export interface ImageConfigInput {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  ExposedPorts?: Record<string, object>;
  User?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
}

export interface WriteImageOptions {
  layers: LayerSpec[];
  config?: ImageConfigInput;
  architecture?: string;
  os?: string;
  /** RFC 3339; a fixed epoch by default so the same input gives the same image. */
  created?: string;
  /** OCI (default) or Docker schema2 media types. */
  format?: 'oci' | 'docker';
  /** gzip level, 1 (fast) to 9; 6 by default. */
  gzipLevel?: number;
}

export interface WrittenLayer {
  descriptor: Descriptor;
  diffId: string;
}

export interface WrittenImage {
  manifest: Manifest;
  manifestBytes: Buffer;
  manifestDigest: string;
  mediaType: string;
  config: OciImageConfig;
  /** The image ID. */
  configDigest: string;
  layers: WrittenLayer[];
}

/** Writes every layer, the config and the manifest into `store`. */
export async function writeImage(store: ContentStore, options: WriteImageOptions): Promise<WrittenImage> {
  const docker = options.format === 'docker';
  const layers: WrittenLayer[] = [];
  for (const spec of options.layers) layers.push(await writeLayer(store, spec, { docker, gzipLevel: options.gzipLevel }));
  const created = options.created ?? '1970-01-01T00:00:00Z';
  const config: OciImageConfig = {
    created,
    architecture: options.architecture ?? 'amd64',
    os: options.os ?? 'linux',
    config: { ...options.config },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: options.layers.map((l) => ({ created, created_by: l.createdBy ?? 'skiff image writer' })),
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = await store.writeBuffer(configBytes);
  const mediaType = docker ? MEDIA.dockerManifest : MEDIA.ociManifest;
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: docker ? MEDIA.dockerConfig : MEDIA.ociConfig, digest: configDigest, size: configBytes.length },
    layers: layers.map((l) => l.descriptor),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = await store.writeBuffer(manifestBytes);
  return { manifest, manifestBytes, manifestDigest, mediaType, config, configDigest, layers };
}

/** A compression stage of a layer pipeline: a zlib stream or an async generator over the tar bytes. */
export type LayerCompressor = NodeJS.ReadWriteStream | ((source: AsyncIterable<Buffer>) => AsyncIterable<Buffer>);

/**
 * Streams the tar that `fill` writes through the diff-ID hash and `compress` into the store,
 * without holding the layer in memory; `fill` must not finalize the pack. On failure nothing
 * half-written is left to be taken for a blob.
 */
export async function storeTarLayer<T>(store: ContentStore, compress: LayerCompressor, fill: (pack: Pack) => Promise<T>): Promise<{ blob: { digest: string; size: number }; diffId: string; filled: T }> {
  const pack = tar.pack();
  const diffHash = newHash();
  const hashDiff = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      diffHash.update(chunk);
      cb(null, chunk);
    },
  });
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const piping = pipeline(pack, hashDiff, compress, out);
  const storing = store.writeStream(out);
  let filled: T;
  try {
    filled = await fill(pack);
    pack.finalize();
  } catch (e) {
    pack.destroy(e as Error);
    await Promise.allSettled([piping, storing]);
    throw e;
  }
  const [, blob] = await Promise.all([piping, storing]);
  return { blob, diffId: hashDigest(diffHash), filled };
}

async function writeLayer(store: ContentStore, spec: LayerSpec, opts: { docker: boolean; gzipLevel?: number }): Promise<WrittenLayer> {
  const gzip = spec.compression !== 'none';
  const { blob, diffId } = await storeTarLayer(store, gzip ? createGzip({ level: opts.gzipLevel ?? 6 }) : new PassThrough(), async (pack) => {
    if (spec.dir) await packTree(pack, spec.dir);
    for (const d of spec.delete ?? []) await addEntry(pack, { name: whiteoutName(d, false), data: '' });
    for (const d of spec.opaque ?? []) await addEntry(pack, { name: whiteoutName(d, true), data: '' });
    for (const e of spec.entries ?? []) await addEntry(pack, e);
  });
  const mediaType = opts.docker ? MEDIA.dockerLayerGzip : gzip ? MEDIA.ociLayerGzip : MEDIA.ociLayer;
  if (opts.docker && !gzip) throw new RuntimeError('InvalidArgument', 'Docker schema2 layers are gzip-compressed');
  return { descriptor: { mediaType, digest: blob.digest, size: blob.size }, diffId };
}

function whiteoutName(p: string, opaque: boolean): string {
  const clean = path.posix.normalize(p).replace(/^\/+|\/+$/g, '');
  if (clean === '' || clean === '.' || clean.startsWith('..')) throw new RuntimeError('InvalidArgument', `cannot write a whiteout for ${JSON.stringify(p)}`);
  if (opaque) return `${clean}/.wh..wh..opq`;
  const dir = path.posix.dirname(clean);
  const base = path.posix.basename(clean);
  return dir === '.' ? `.wh.${base}` : `${dir}/.wh.${base}`;
}

function addEntry(pack: Pack, e: RawEntry): Promise<void> {
  const type = e.type ?? 'file';
  const data = e.data === undefined ? undefined : Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data);
  const header: Headers = {
    name: e.name,
    type,
    mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
    uid: e.uid ?? 0,
    gid: e.gid ?? 0,
    mtime: e.mtime ?? new Date(0),
    size: type === 'file' ? (data?.length ?? 0) : 0,
  };
  if (e.linkname !== undefined) header.linkname = e.linkname;
  if (e.devmajor !== undefined) header.devmajor = e.devmajor;
  if (e.devminor !== undefined) header.devminor = e.devminor;
  if (e.pax) header.pax = e.pax;
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    if (type === 'file') pack.entry(header, data ?? Buffer.alloc(0), done);
    else pack.entry(header, done);
  });
}

/** Walks a directory in name order and packs it; files with several links become hardlinks. */
async function packTree(pack: Pack, root: string): Promise<void> {
  const seen = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(path.join(root, rel))).sort();
    for (const n of names) {
      const r = rel === '' ? n : `${rel}/${n}`;
      const full = path.join(root, r);
      const st = await lstat(full);
      const base: Headers = { name: r, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
      if (st.isDirectory()) {
        await entryDone(pack, { ...base, name: `${r}/`, type: 'directory' });
        await walk(r);
      } else if (st.isSymbolicLink()) {
        await entryDone(pack, { ...base, type: 'symlink', linkname: await readlink(full) });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? seen.get(key) : undefined;
        if (first !== undefined) {
          await entryDone(pack, { ...base, type: 'link', linkname: first });
          continue;
        }
        if (st.nlink > 1) seen.set(key, r);
        await new Promise<void>((resolve, reject) => {
          const w = pack.entry({ ...base, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
          createReadStream(full).on('error', reject).pipe(w);
        });
      } else {
        throw new RuntimeError('InvalidArgument', `image writer: ${full} is a special file; only files, directories and symlinks are written`);
      }
    }
  };
  await walk('');
}

function entryDone(pack: Pack, header: Headers): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, (err) => (err ? reject(err) : resolve())));
}
