// gzip for layer blobs, in independent members of 1 MiB of input each (RFC 1952 allows a
// file of several members; Go's, containers/image's and Node's readers all read them as one
// stream). Two reasons: members compress on libuv's thread pool at the same time (pigz-like,
// with no pigz binary), and a block that does not compress — random data, media, archives —
// is stored (level 0) instead of searched for matches, which is most of deflate's time and
// gains nothing there. Whether a block compresses is probed on its first 64 KiB at level 1.
// Block size and the probe depend only on the bytes, so the same tar always gives the same
// blob (what the layer cache and "skip blobs the registry has" stand on).
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const BLOCK = 1 << 20;
const PROBE = 64 << 10;
/** Below this ratio (compressed / plain) on the probe, a block is worth deflating. */
const WORTH_IT = 0.95;
/** Members in flight: enough to keep both cores of a small machine busy. */
const IN_FLIGHT = 3;
/** Docker's and buildah's default (gzip.DefaultCompression). */
export const GZIP_LEVEL = 6;

const gzip = promisify(zlib.gzip);

/** The level a block gets: GZIP_LEVEL, or 0 when its start does not compress. */
export function blockLevel(block: Buffer): number {
  const probe = block.subarray(0, PROBE);
  return zlib.deflateRawSync(probe, { level: 1 }).length < probe.length * WORTH_IT ? GZIP_LEVEL : 0;
}

/** A pipeline stage: plain bytes in, a multi-member gzip stream out. */
export async function* blockGzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const pending: Promise<Buffer>[] = [];
  const start = (block: Buffer) => pending.push(gzip(block, { level: blockLevel(block) }));
  let parts: Buffer[] = [];
  let have = 0;
  for await (const chunk of source) {
    let c = chunk;
    while (have + c.length >= BLOCK) {
      const take = BLOCK - have;
      parts.push(c.subarray(0, take));
      start(Buffer.concat(parts));
      parts = [];
      have = 0;
      c = c.subarray(take);
      while (pending.length >= IN_FLIGHT) yield (await pending.shift()) as Buffer;
    }
    if (c.length) {
      parts.push(c);
      have += c.length;
    }
  }
  // An empty input still gets one (empty) member: a gzip file has at least one.
  if (have > 0 || pending.length === 0) start(Buffer.concat(parts));
  while (pending.length) yield (await pending.shift()) as Buffer;
}
