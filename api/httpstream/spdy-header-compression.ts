// SPDY/3 header blocks are one zlib stream per direction per connection: every SYN_STREAM,
// SYN_REPLY and HEADERS frame carries the next piece of it, cut with Z_SYNC_FLUSH. So each
// connection holds one deflate context for what it sends and one inflate context for what it
// receives, primed with the SPDY/3 dictionary, and both live as long as the connection.
//
// Node's zlib is asynchronous for a context that outlives one call, so both classes queue their
// calls: blocks come out in the order they went in, which is the order the peer must read them.
import zlib from 'node:zlib';
import { SPDY3_HEADER_DICTIONARY } from './spdy-dictionary.js';

class SyncFlushContext {
  readonly #stream: zlib.Deflate | zlib.Inflate;
  readonly #maxOutput: number;
  #chunks: Buffer[] = [];
  #outputBytes = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #failed: Error | undefined;
  #pending: { resolve: (out: Buffer) => void; reject: (err: Error) => void } | undefined;

  constructor(stream: zlib.Deflate | zlib.Inflate, maxOutput: number) {
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

/** The sending side's deflate context. Level 9 as spdystream uses (zlib.BestCompression). */
export class HeaderCompressor {
  readonly #context = new SyncFlushContext(
    zlib.createDeflate({ level: 9, dictionary: SPDY3_HEADER_DICTIONARY, flush: zlib.constants.Z_SYNC_FLUSH }),
    Number.MAX_SAFE_INTEGER,
  );

  compress(block: Buffer): Promise<Buffer> {
    return this.#context.run(block);
  }

  close(): void {
    this.#context.close();
  }
}

/**
 * The receiving side's inflate context. A hostile peer can send a few bytes that inflate to
 * gigabytes, so output past `maxBlockBytes` fails the block, and with it the context for good:
 * the stream cannot be resynchronised, so the connection must end.
 */
export class HeaderDecompressor {
  readonly #context: SyncFlushContext;

  constructor(maxBlockBytes: number) {
    this.#context = new SyncFlushContext(zlib.createInflate({ dictionary: SPDY3_HEADER_DICTIONARY, flush: zlib.constants.Z_SYNC_FLUSH }), maxBlockBytes);
  }

  decompress(block: Buffer): Promise<Buffer> {
    return this.#context.run(block);
  }

  close(): void {
    this.#context.close();
  }
}
