// Reads one layer blob from the content store as a list of tar entries (name, type, size), the
// way the unpacker reads it (tar-stream, gzip by media type) but writing nothing: the report
// only needs what each layer ships. Small regular files are handed to `onSmallFile` with their
// content so the secret rules can look inside without a second pass over the blob.
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { RuntimeError } from '../../runtime/cri.js';
import type { ContentStore } from '../../runtime/images/content-store.js';
import { layerCompression, type Descriptor } from '../../runtime/images/media-types.js';

export type EntryKind = 'file' | 'hardlink' | 'symlink' | 'dir' | 'whiteout' | 'opaque' | 'other';

export interface LayerEntry {
  /** Normalised path without a leading "/" (for whiteouts: the path they delete; for opaque: the directory). */
  path: string;
  kind: EntryKind;
  /** Content bytes (regular files only). */
  size: number;
  /** Hardlink target, normalised. */
  linkTo?: string;
}

export interface LayerListing {
  entries: LayerEntry[];
  /** Bytes of the uncompressed tar stream. */
  tarSize: number;
  /** Sum of regular file content bytes. */
  contentSize: number;
}

/** Files at most this big are read for the content rules. */
export const SMALL_FILE_LIMIT = 64 * 1024;

export function normalisePath(raw: string): string {
  return raw
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

function classify(name: string, type: string | null | undefined): { path: string; kind: EntryKind } {
  const clean = normalisePath(name);
  const slash = clean.lastIndexOf('/');
  const dir = slash < 0 ? '' : clean.slice(0, slash);
  const base = clean.slice(slash + 1);
  if (base === '.wh..wh..opq') return { path: dir, kind: 'opaque' };
  if (base.startsWith('.wh.')) return { path: dir === '' ? base.slice(4) : `${dir}/${base.slice(4)}`, kind: 'whiteout' };
  switch (type) {
    case 'file':
    case 'contiguous-file':
    case undefined:
    case null:
      return { path: clean, kind: 'file' };
    case 'link':
      return { path: clean, kind: 'hardlink' };
    case 'symlink':
      return { path: clean, kind: 'symlink' };
    case 'directory':
      return { path: clean, kind: 'dir' };
    default:
      return { path: clean, kind: 'other' };
  }
}

function decompressor(layer: Descriptor): Transform | undefined {
  const c = layerCompression(layer.mediaType);
  if (c === undefined) throw new RuntimeError('InvalidArgument', `layer ${layer.digest} has media type ${layer.mediaType}, which is not a layer type skiff reads`);
  if (c === 'gzip') return zlib.createGunzip({ chunkSize: 1 << 17 });
  if (c === 'zstd') {
    // zstd arrived in node:zlib in Node 22.15 / 23.8; Node 20 has none.
    const make = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
    if (!make) throw new RuntimeError('InvalidArgument', `layer ${layer.digest} is zstd-compressed; reading it needs Node.js >= 22.15 (this is ${process.version})`);
    return make();
  }
  return undefined;
}

export async function readLayer(content: ContentStore, layer: Descriptor, onSmallFile?: (path: string, data: Buffer) => void): Promise<LayerListing> {
  if (!(await content.has(layer.digest))) throw new RuntimeError('NotFound', `layer ${layer.digest} is not in the content store`);
  const decomp = decompressor(layer);
  let tarSize = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      tarSize += chunk.length;
      cb(null, chunk);
    },
  });
  const extract = tar.extract();
  const entries: LayerEntry[] = [];
  let contentSize = 0;
  let entryFailed = false;
  let streamFailed = false;
  const source = content.createReadStream(layer.digest);
  const consume = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const { path, kind } = classify(h.name, h.type);
      const size = kind === 'file' ? (h.size ?? 0) : 0;
      contentSize += size;
      const e: LayerEntry = { path, kind, size };
      if (kind === 'hardlink' && h.linkname) e.linkTo = normalisePath(h.linkname);
      entries.push(e);
      if (kind === 'file' && onSmallFile && size > 0 && size <= SMALL_FILE_LIMIT) {
        const parts: Buffer[] = [];
        for await (const chunk of entry as AsyncIterable<Buffer>) parts.push(chunk);
        onSmallFile(path, Buffer.concat(parts));
      } else entry.resume();
    }
  })().catch((e: unknown) => {
    // Nobody reads the tar any more: stop the stream so the pipeline ends too.
    if (!streamFailed) entryFailed = true;
    source.destroy();
    throw e;
  });
  const sink = extract as unknown as NodeJS.WritableStream;
  const piping = (decomp ? pipeline(source, decomp, counter, sink) : pipeline(source, counter, sink)).catch((e: unknown) => {
    if (!entryFailed) streamFailed = true;
    throw e;
  });
  const [a, b] = await Promise.allSettled([consume, piping]);
  // Whichever failed first says why; the other only reports a stream cut short.
  const failed = a.status === 'rejected' && (entryFailed || b.status === 'fulfilled') ? a.reason : b.status === 'rejected' ? b.reason : undefined;
  if (failed !== undefined) throw failed instanceof RuntimeError ? failed : new RuntimeError('InvalidArgument', `reading layer ${layer.digest}: ${(failed as Error).message}`, { cause: failed });
  return { entries, tarSize, contentSize };
}
