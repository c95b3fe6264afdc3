// SPDY/3.1 framing, as kubectl and the kubelet speak it through moby/spdystream: the nine frame
// types, the header block format, and an incremental decoder for a byte stream.
//
// Why our own framer rather than the npm `spdy-transport`: that package (3.0.0, the last
// release, from 2018) is unmaintained, ships no types, pulls six dependencies (an HTTP/2 HPACK
// implementation and its own buffer classes among them) for a protocol family we use one
// member of, and its SPDY/3.1 flow control waits for WINDOW_UPDATE frames that spdystream never
// sends, so a transfer to kubectl stalls after the first 64 KiB unless its internals are
// patched. The part of SPDY that Kubernetes uses is small: fixed binary frames plus zlib header
// blocks. Writing it ourselves (about 300 lines here) lets us bound everything a hostile peer
// sends and match spdystream's actual behaviour rather than the draft's letter.
//
// Wire shapes (SPDY/3 draft §2.2, big-endian):
//   control frame: [1|version:15][type:16][flags:8][length:24][payload]
//   data frame:    [0|stream-id:31][flags:8][length:24][data]
//   header block (zlib-compressed, see spdy-header-compression.ts):
//                  [count:32] count × ([name-length:32][name][value-length:32][value])
// A header with several values carries them joined by NUL; names are lowercase.
import { HeaderCompressor, HeaderDecompressor } from './spdy-header-compression.js';

export const SPDY_VERSION = 3;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
export const FLAG_SETTINGS_CLEAR = 0x01;

export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  UnsupportedVersion: 4,
  Cancel: 5,
  InternalError: 6,
  FlowControlError: 7,
  StreamInUse: 8,
  StreamAlreadyClosed: 9,
  InvalidCredentials: 10,
  FrameTooLarge: 11,
} as const;

export const GoAwayStatus = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

export const SettingId = {
  UploadBandwidth: 1,
  DownloadBandwidth: 2,
  RoundTripTime: 3,
  MaxConcurrentStreams: 4,
  CurrentCwnd: 5,
  DownloadRetransRate: 6,
  InitialWindowSize: 7,
  ClientCertificateVectorSize: 8,
} as const;

/** Lowercase header names; a header with several values has them joined by "\0", as on the wire. */
export type SpdyHeaders = Record<string, string>;

export interface SpdySetting {
  id: number;
  flags: number;
  value: number;
}

export type SpdyFrame =
  | { type: 'syn_stream'; streamId: number; associatedStreamId: number; priority: number; fin: boolean; unidirectional: boolean; headers: SpdyHeaders }
  | { type: 'syn_reply'; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { type: 'headers'; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; clear: boolean; settings: SpdySetting[] }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'window_update'; streamId: number; delta: number }
  | { type: 'data'; streamId: number; fin: boolean; data: Buffer };

export type HeaderFrame = Extract<SpdyFrame, { headers: SpdyHeaders }>;

export interface SpdyLimits {
  /** Largest frame payload accepted (the protocol allows 16 MiB - 1; Go peers send 32 KiB). */
  maxFrameLength: number;
  /** Largest header block after inflating. */
  maxHeaderBlockBytes: number;
  /** Most headers in one block. */
  maxHeaders: number;
}

export const DEFAULT_LIMITS: SpdyLimits = { maxFrameLength: 1 << 20, maxHeaderBlockBytes: 64 << 10, maxHeaders: 100 };

export const MAX_FRAME_LENGTH = 0xffffff;
const MAX_ID = 0x7fffffff;

/** A peer broke the protocol; `status` is what to answer with (RST_STREAM or GOAWAY). */
export class SpdyProtocolError extends Error {
  constructor(
    message: string,
    readonly status: number = RstStatus.ProtocolError,
  ) {
    super(message);
    this.name = 'SpdyProtocolError';
  }
}

export function isHeaderFrame(frame: SpdyFrame): frame is HeaderFrame {
  return frame.type === 'syn_stream' || frame.type === 'syn_reply' || frame.type === 'headers';
}

// ---- encoding ----

export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const merged = new Map<string, string>();
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (name === '') throw new Error('SPDY header names may not be empty');
    const prior = merged.get(name);
    merged.set(name, prior === undefined ? value : `${prior}\0${value}`);
  }
  const parts: Buffer[] = [u32(merged.size)];
  for (const [name, value] of merged) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}

function controlHeader(type: number, flags: number, length: number): Buffer {
  if (length > MAX_FRAME_LENGTH) throw new Error(`SPDY frame payload of ${length} bytes is too long`);
  const b = Buffer.alloc(8);
  b.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  b.writeUInt16BE(type, 2);
  b.writeUInt32BE(((flags & 0xff) << 24 | length) >>> 0, 4);
  return b;
}

function checkId(id: number, what: string, allowZero = false): void {
  if (!Number.isInteger(id) || id < (allowZero ? 0 : 1) || id > MAX_ID) throw new Error(`invalid SPDY ${what} ${id}`);
}

/**
 * A frame with no header block as the buffers to write in order: a DATA frame's 8-byte head and
 * its payload apart, so that the payload is written as it is rather than copied behind the head.
 */
export function encodeFrameParts(frame: Exclude<SpdyFrame, HeaderFrame>): Buffer[] {
  if (frame.type !== 'data') return [encodeFrame(frame)];
  checkId(frame.streamId, 'stream id');
  if (frame.data.length > MAX_FRAME_LENGTH) throw new Error('SPDY data frame too long');
  // From the shared pool: one ArrayBuffer per 8 KiB of heads, not one per frame.
  const head = Buffer.allocUnsafe(8);
  head.writeUInt32BE(frame.streamId, 0);
  head.writeUInt32BE(((frame.fin ? FLAG_FIN : 0) << 24 | frame.data.length) >>> 0, 4);
  return frame.data.length ? [head, frame.data] : [head];
}

/** Encodes a frame that has no header block; header frames need a connection's compressor. */
export function encodeFrame(frame: Exclude<SpdyFrame, HeaderFrame>): Buffer {
  switch (frame.type) {
    case 'data':
      return Buffer.concat(encodeFrameParts(frame));
    case 'rst_stream':
      checkId(frame.streamId, 'stream id');
      return Buffer.concat([controlHeader(FrameType.RstStream, 0, 8), u32(frame.streamId), u32(frame.status)]);
    case 'settings': {
      const parts = [controlHeader(FrameType.Settings, frame.clear ? FLAG_SETTINGS_CLEAR : 0, 4 + 8 * frame.settings.length), u32(frame.settings.length)];
      for (const s of frame.settings) parts.push(u32(((s.flags & 0xff) << 24 | (s.id & 0xffffff)) >>> 0), u32(s.value));
      return Buffer.concat(parts);
    }
    case 'ping':
      return Buffer.concat([controlHeader(FrameType.Ping, 0, 4), u32(frame.id)]);
    case 'goaway':
      checkId(frame.lastGoodStreamId, 'last-good stream id', true);
      return Buffer.concat([controlHeader(FrameType.GoAway, 0, 8), u32(frame.lastGoodStreamId), u32(frame.status)]);
    case 'window_update':
      checkId(frame.streamId, 'stream id', true);
      checkId(frame.delta, 'window delta');
      return Buffer.concat([controlHeader(FrameType.WindowUpdate, 0, 8), u32(frame.streamId), u32(frame.delta)]);
  }
}

/** Encodes the frames one side of a connection sends; owns that side's compression context. */
export class SpdyFrameEncoder {
  readonly #compressor = new HeaderCompressor();

  /** Header frames must be encoded in the order they are sent: each continues the zlib stream. */
  encode(frame: SpdyFrame): Promise<Buffer> {
    try {
      return Promise.resolve(this.encodeSync(frame));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** encode(), at once: the header blocks' stored zlib blocks need no thread pool (spdy-header-compression.ts). */
  encodeSync(frame: SpdyFrame): Buffer {
    if (!isHeaderFrame(frame)) return encodeFrame(frame);
    checkId(frame.streamId, 'stream id');
    const block = this.#compressor.compress(encodeHeaderBlock(frame.headers));
    const flags = (frame.fin ? FLAG_FIN : 0) | (frame.type === 'syn_stream' && frame.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
    if (frame.type === 'syn_stream') {
      checkId(frame.associatedStreamId, 'associated stream id', true);
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(frame.streamId, 0);
      fixed.writeUInt32BE(frame.associatedStreamId, 4);
      fixed.writeUInt8((frame.priority & 0x7) << 5, 8);
      return Buffer.concat([controlHeader(FrameType.SynStream, flags, 10 + block.length), fixed, block]);
    }
    const type = frame.type === 'syn_reply' ? FrameType.SynReply : FrameType.Headers;
    return Buffer.concat([controlHeader(type, flags, 4 + block.length), u32(frame.streamId), block]);
  }

  close(): void {
    this.#compressor.close();
  }
}

// ---- decoding ----

export function decodeHeaderBlock(block: Buffer, limits: Pick<SpdyLimits, 'maxHeaders'> = DEFAULT_LIMITS): SpdyHeaders {
  let offset = 0;
  const need = (n: number) => {
    if (offset + n > block.length) throw new SpdyProtocolError('truncated SPDY header block');
  };
  const readString = (): string => {
    need(4);
    const length = block.readUInt32BE(offset);
    offset += 4;
    need(length);
    const s = block.toString('utf8', offset, offset + length);
    offset += length;
    return s;
  };
  need(4);
  const count = block.readUInt32BE(0);
  offset = 4;
  if (count > limits.maxHeaders) throw new SpdyProtocolError(`SPDY header block has ${count} headers, more than ${limits.maxHeaders}`);
  const headers: SpdyHeaders = Object.create(null) as SpdyHeaders;
  for (let i = 0; i < count; i++) {
    const name = readString();
    const value = readString();
    if (name === '' || name !== name.toLowerCase()) throw new SpdyProtocolError(`invalid SPDY header name ${JSON.stringify(name)}`);
    if (Object.hasOwn(headers, name)) throw new SpdyProtocolError(`duplicate SPDY header ${JSON.stringify(name)}`);
    headers[name] = value;
  }
  if (offset !== block.length) throw new SpdyProtocolError('trailing bytes after SPDY header block');
  return headers;
}

/**
 * Turns a received byte stream into frames. `push` may be called with any split of the bytes;
 * it resolves to the frames completed so far, in order. Calls are queued, because header blocks
 * must be inflated in order. After a rejection the decoder (and the connection) is unusable.
 * Unknown control frame types (CREDENTIAL, NOOP, anything newer) are skipped, as the draft says.
 */
export class SpdyFrameDecoder {
  readonly #limits: SpdyLimits;
  readonly #decompressor: HeaderDecompressor;
  #chunks: Buffer[] = [];
  #length = 0;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(limits: Partial<SpdyLimits> = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
    this.#decompressor = new HeaderDecompressor(this.#limits.maxHeaderBlockBytes);
  }

  push(chunk: Buffer): Promise<SpdyFrame[]> {
    const result = this.#tail.then(() => this.#decode(chunk));
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Bytes received but not yet part of a whole frame (for tests and for detecting truncation). */
  get pendingBytes(): number {
    return this.#length;
  }

  close(): void {
    this.#decompressor.close();
  }

  async #decode(chunk: Buffer): Promise<SpdyFrame[]> {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
    }
    const frames: SpdyFrame[] = [];
    while (this.#length >= 8) {
      const head = this.#peek(8);
      const length = head.readUInt32BE(4) & 0xffffff;
      if (length > this.#limits.maxFrameLength) {
        throw new SpdyProtocolError(`SPDY frame of ${length} bytes exceeds the ${this.#limits.maxFrameLength}-byte limit`, RstStatus.FrameTooLarge);
      }
      if ((head[0]! & 0x80) !== 0) {
        const version = head.readUInt16BE(0) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`, RstStatus.UnsupportedVersion);
      }
      if (this.#length < 8 + length) break;
      const frame = this.#take(8 + length);
      const decoded = await this.#decodeFrame(frame);
      if (decoded) frames.push(decoded);
    }
    return frames;
  }

  #peek(n: number): Buffer {
    if (this.#chunks[0]!.length < n) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!.subarray(0, n);
  }

  #take(n: number): Buffer {
    if (this.#chunks[0]!.length < n) this.#chunks = [Buffer.concat(this.#chunks)];
    const first = this.#chunks[0]!;
    const out = first.subarray(0, n);
    if (first.length === n) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
    this.#length -= n;
    return out;
  }

  async #decodeFrame(frame: Buffer): Promise<SpdyFrame | undefined> {
    const word = frame.readUInt32BE(0);
    const flags = frame[4]!;
    const payload = frame.subarray(8);
    if ((word & 0x80000000) === 0) {
      const streamId = word & MAX_ID;
      if (streamId === 0) throw new SpdyProtocolError('SPDY data frame for stream 0');
      return { type: 'data', streamId, fin: (flags & FLAG_FIN) !== 0, data: payload };
    }
    const type = word & 0xffff;
    const exact = (n: number) => {
      if (payload.length !== n) throw new SpdyProtocolError(`SPDY control frame type ${type} with length ${payload.length}, want ${n}`);
    };
    const atLeast = (n: number) => {
      if (payload.length < n) throw new SpdyProtocolError(`SPDY control frame type ${type} with length ${payload.length}, want at least ${n}`);
    };
    const fin = (flags & FLAG_FIN) !== 0;
    switch (type) {
      case FrameType.SynStream: {
        atLeast(10);
        const streamId = nonZeroId(payload.readUInt32BE(0));
        const headers = await this.#headers(payload.subarray(10));
        return {
          type: 'syn_stream',
          streamId,
          associatedStreamId: payload.readUInt32BE(4) & MAX_ID,
          priority: payload[8]! >> 5,
          fin,
          unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0,
          headers,
        };
      }
      case FrameType.SynReply:
      case FrameType.Headers: {
        atLeast(4);
        const streamId = nonZeroId(payload.readUInt32BE(0));
        const headers = await this.#headers(payload.subarray(4));
        return { type: type === FrameType.SynReply ? 'syn_reply' : 'headers', streamId, fin, headers };
      }
      case FrameType.RstStream:
        exact(8);
        return { type: 'rst_stream', streamId: nonZeroId(payload.readUInt32BE(0)), status: payload.readUInt32BE(4) };
      case FrameType.Settings: {
        atLeast(4);
        const count = payload.readUInt32BE(0);
        exact(4 + 8 * count);
        const settings: SpdySetting[] = [];
        for (let i = 0; i < count; i++) {
          const idWord = payload.readUInt32BE(4 + 8 * i);
          settings.push({ flags: idWord >>> 24, id: idWord & 0xffffff, value: payload.readUInt32BE(8 + 8 * i) });
        }
        return { type: 'settings', clear: (flags & FLAG_SETTINGS_CLEAR) !== 0, settings };
      }
      case FrameType.Ping:
        exact(4);
        return { type: 'ping', id: payload.readUInt32BE(0) };
      case FrameType.GoAway:
        exact(8);
        return { type: 'goaway', lastGoodStreamId: payload.readUInt32BE(0) & MAX_ID, status: payload.readUInt32BE(4) };
      case FrameType.WindowUpdate:
        exact(8);
        return { type: 'window_update', streamId: payload.readUInt32BE(0) & MAX_ID, delta: payload.readUInt32BE(4) & MAX_ID };
      default:
        return undefined;
    }
  }

  async #headers(compressed: Buffer): Promise<SpdyHeaders> {
    let block: Buffer;
    try {
      block = await this.#decompressor.decompress(compressed);
    } catch (err) {
      throw new SpdyProtocolError(`bad SPDY header block: ${(err as Error).message}`);
    }
    return decodeHeaderBlock(block, this.#limits);
  }
}

function nonZeroId(word: number): number {
  const id = word & MAX_ID;
  if (id === 0) throw new SpdyProtocolError('SPDY frame for stream 0');
  return id;
}

/** The values of a header that may carry several, NUL-separated on the wire. */
export function headerValues(headers: SpdyHeaders, name: string): string[] {
  const value = headers[name.toLowerCase()];
  return value === undefined ? [] : value.split('\0');
}
