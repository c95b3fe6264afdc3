// SPDY/3 header blocks are one zlib stream per direction per connection: every SYN_STREAM,
// SYN_REPLY and HEADERS frame carries the next piece of it, each piece ending byte-aligned so
// the peer can read the block whole. So each connection holds one inflate context for what it
// receives, primed with the SPDY/3 dictionary, for as long as the connection lives.
//
// What we send is written as stored (uncompressed) deflate blocks behind the zlib header Go's
// BestCompression writer uses: a valid zlib stream every reader (Go's zlib.NewReaderDict in
// kubectl and the kubelet, Node's inflate) reads, made synchronously in a few bytes of
// framing. Compressing a block of 50-200 bytes saved some 100 bytes per stream and cost a
// job on zlib's thread pool and its wakeup each time: under `npm run bench -- exec` that was
// 9% of the API server's busy time and 15% of `skiff port-forward`'s (a SYN_STREAM pair and a
// SYN_REPLY pair for every forwarded connection).
//
// Node's zlib is asynchronous for a context that outlives one call, so the inflate side queues
// its calls: blocks come out in the order they went in, which is the order the peer wrote them.
import zlib from 'node:zlib';
import { SPDY3_HEADER_DICTIONARY } from './spdy-dictionary.js';

class SyncFlushContext {
  readonly #stream: zlib.Inflate;
  readonly #maxOutput: number;
  #chunks: Buffer[] = [];
  #outputBytes = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #failed: Error | undefined;
  #pending: { resolve: (out: Buffer) => void; reject: (err: Error) => void } | undefined;

  constructor(stream: zlib.Inflate, maxOutput: number) {
    this.#stream = stream;
    this.#maxOutput = maxOutput;
    stream.on('data', (chunk: Buffer) => {
      this.#outputBytes += chunk.length;
      if (this.#outputBytes > this.#maxOutput) this.#fail(new HeaderBlockTooLargeError(this.#maxOutput));
      else this.#chunks.push(chunk);
    });
    stream.on('error', (err: Error) => this.#fail(err));
  }

  /** Runs `input` through the context and returns everything it produced up to a sync flush. */
  run(input: Buffer): Promise<Buffer> {
    const result = this.#tail.then(() => this.#runNow(input));
    this.#tail = result.catch(() => undefined);
    return result;
  }

  #runNow(input: Buffer): Promise<Buffer> {
    if (this.#failed) return Promise.reject(this.#failed);
    this.#chunks = [];
    this.#outputBytes = 0;
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      // The context's every write is cut with Z_SYNC_FLUSH (`flush` below): one job on zlib's
      // thread pool per block, where a write and then a flush() took two.
      this.#stream.write(input, () => {
        const pending = this.#pending;
        this.#pending = undefined;
        pending?.resolve(Buffer.concat(this.#chunks));
      });
    });
  }

  // A failed context is never used again: its stream state is lost, so the connection must end.
  #fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = err;
    this.#chunks = [];
    this.#stream.destroy();
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(err);
  }

  close(): void {
    if (!this.#failed) this.#fail(new Error('SPDY header compression context closed'));
  }
}

export class HeaderBlockTooLargeError extends Error {
  constructor(limit: number) {
    super(`SPDY header block inflates past ${limit} bytes`);
    this.name = 'HeaderBlockTooLargeError';
  }
}

/** The zlib stream header of Go's BestCompression writer, FDICT set, and the SPDY/3 dictionary's Adler-32. */
const ZLIB_HEADER = Buffer.from('78f9e3c6a7c2', 'hex');
/**
 * The empty stored block a sync flush ends with. Go's flate reader hands out a stored block's
 * bytes only once it has read the next block's head (or an empty stored block flushes them),
 * and spdystream's framer fails a frame whose block it had to read past: so every block ends
 * with this mark, as zlib's Z_SYNC_FLUSH output does.
 */
const SYNC_MARK = Buffer.from('000000ffff', 'hex');
/** A stored block holds at most this many bytes (its LEN is 16 bits). */
const STORED_MAX = 0xffff;

/**
 * The sending side's zlib stream: the header once, then each block as non-final stored blocks
 * (BFINAL 0, BTYPE 00, LEN, NLEN, the bytes) and the empty one of a sync flush.
 */
export class HeaderCompressor {
  #started = false;
  #closed = false;

  /** The next piece of the stream: `block` whole, readable by the peer as soon as it arrives. */
  compress(block: Buffer): Buffer {
    if (this.#closed) throw new Error('SPDY header compression context closed');
    const pieces = Math.max(1, Math.ceil(block.length / STORED_MAX));
    const head = this.#started ? 0 : ZLIB_HEADER.length;
    const out = Buffer.allocUnsafe(head + pieces * 5 + block.length + SYNC_MARK.length);
    let at = 0;
    if (!this.#started) at += ZLIB_HEADER.copy(out, 0);
    this.#started = true;
    for (let offset = 0, i = 0; i < pieces; i++) {
      const length = Math.min(STORED_MAX, block.length - offset);
      out[at] = 0;
      out.writeUInt16LE(length, at + 1);
      out.writeUInt16LE(~length & 0xffff, at + 3);
      at += 5;
      at += block.copy(out, at, offset, offset + length);
      offset += length;
    }
    SYNC_MARK.copy(out, at);
    return out;
  }

  close(): void {
    this.#closed = true;
  }
}

/** How far back a deflate block may reach: what zlib needs of the history to read on. */
const WINDOW = 32 * 1024;

/**
 * The receiving side's context. A hostile peer can send a few bytes that inflate to gigabytes,
 * so output past `maxBlockBytes` fails the block, and with it the context for good: the stream
 * cannot be resynchronised, so the connection must end.
 *
 * A stream of stored blocks (our own peers', HeaderCompressor) is read here synchronously, no
 * zlib job per block; the first block that is anything else (kubectl's and the kubelet's
 * compressed ones) moves the stream to zlib's inflate, primed with the last 32 KiB the stored
 * blocks carried (all a deflate block can refer back to), for good.
 */
export class HeaderDecompressor {
  readonly #maxBlockBytes: number;
  #inflate: SyncFlushContext | undefined;
  #started = false;
  #history = Buffer.alloc(0);
  #failed: Error | undefined;

  constructor(maxBlockBytes: number) {
    this.#maxBlockBytes = maxBlockBytes;
  }

  decompress(block: Buffer): Promise<Buffer> {
    if (this.#inflate) return this.#inflate.run(block);
    if (this.#failed) return Promise.reject(this.#failed);
    const stored = this.#readStored(block);
    if (!stored) return this.#toInflate().run(block);
    if (stored.length > this.#maxBlockBytes) {
      this.#failed = new HeaderBlockTooLargeError(this.#maxBlockBytes);
      return Promise.reject(this.#failed);
    }
    this.#history = this.#history.length + stored.length <= WINDOW ? Buffer.concat([this.#history, stored]) : Buffer.concat([this.#history, stored]).subarray(-WINDOW);
    return Promise.resolve(stored);
  }

  /** The bytes of a block made of stored blocks alone (after the stream's header, the first time); undefined for anything else. */
  #readStored(block: Buffer): Buffer | undefined {
    let at = 0;
    if (!this.#started) {
      if (block.length < ZLIB_HEADER.length || !block.subarray(0, ZLIB_HEADER.length).equals(ZLIB_HEADER)) return undefined;
      at = ZLIB_HEADER.length;
    }
    const pieces: Buffer[] = [];
    while (at < block.length) {
      // BFINAL 0, BTYPE 00 and zero padding: one byte of 0; then LEN and its complement.
      if (block.length - at < 5 || block[at] !== 0) return undefined;
      const length = block.readUInt16LE(at + 1);
      if ((length ^ 0xffff) !== block.readUInt16LE(at + 3) || block.length - at - 5 < length) return undefined;
      pieces.push(block.subarray(at + 5, at + 5 + length));
      at += 5 + length;
    }
    this.#started = true;
    return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
  }

  // zlib from here on: when stored blocks came first, it reads them again (as the start of a
  // stream of its own: the header, the history's last window, a sync flush) and its output is
  // dropped, so that what follows may refer back into them.
  #toInflate(): SyncFlushContext {
    const inflate = new SyncFlushContext(zlib.createInflate({ dictionary: SPDY3_HEADER_DICTIONARY, flush: zlib.constants.Z_SYNC_FLUSH }), this.#maxBlockBytes);
    // (Under a limit below 32 KiB only what the limit lets one block hold is read again.)
    const history = this.#history.subarray(Math.max(0, this.#history.length - this.#maxBlockBytes));
    if (this.#started) inflate.run(new HeaderCompressor().compress(history)).catch(() => undefined);
    this.#inflate = inflate;
    this.#history = Buffer.alloc(0);
    return inflate;
  }

  close(): void {
    this.#inflate?.close();
    this.#failed ??= new Error('SPDY header compression context closed');
  }
}
