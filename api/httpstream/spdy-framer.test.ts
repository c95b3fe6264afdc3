import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SPDY3_HEADER_DICTIONARY } from './spdy-dictionary.js';
import {
  RstStatus,
  SpdyFrameDecoder,
  SpdyFrameEncoder,
  SpdyProtocolError,
  decodeHeaderBlock,
  encodeFrame,
  encodeHeaderBlock,
  headerValues,
  type SpdyFrame,
} from './spdy-framer.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function adler32(buf: Buffer): number {
  let a = 1;
  let b = 0;
  for (const x of buf) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

// A zlib stream of stored blocks, as our own encoder writes it and as any conforming zlib may:
// the FDICT header Go's compress/zlib emits at BestCompression (78 f9 + the dictionary's
// Adler-32), then stored blocks, each ending byte-aligned as a sync flush does.
function storedBlock(data: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = 0;
  head.writeUInt16LE(data.length, 1);
  head.writeUInt16LE(~data.length & 0xffff, 3);
  return Buffer.concat([head, data]);
}

describe('SPDY/3 dictionary', () => {
  it('is the 1423 bytes whose Adler-32 every SPDY/3 zlib header names', () => {
    expect(SPDY3_HEADER_DICTIONARY.length).toBe(1423);
    expect(adler32(SPDY3_HEADER_DICTIONARY).toString(16)).toBe('e3c6a7c2');
  });
});

describe('frames without header blocks: golden bytes from spdystream’s writer (spdy/write.go)', () => {
  const cases: Array<[string, Exclude<SpdyFrame, { headers: unknown }>, string]> = [
    ['RST_STREAM cancel', { type: 'rst_stream', streamId: 1, status: RstStatus.Cancel }, '8003 0003 00000008 00000001 00000005'],
    ['PING', { type: 'ping', id: 1 }, '8003 0006 00000004 00000001'],
    ['GOAWAY ok', { type: 'goaway', lastGoodStreamId: 0, status: 0 }, '8003 0007 00000008 00000000 00000000'],
    ['WINDOW_UPDATE', { type: 'window_update', streamId: 1, delta: 0x10000 }, '8003 0009 00000008 00000001 00010000'],
    [
      'SETTINGS initial window',
      { type: 'settings', clear: false, settings: [{ id: 7, flags: 0, value: 65536 }] },
      '8003 0004 0000000c 00000001 00000007 00010000',
    ],
    ['DATA with FIN', { type: 'data', streamId: 1, fin: true, data: Buffer.from('hello') }, '00000001 01000005 68656c6c6f'],
    ['DATA empty FIN (spdystream Close)', { type: 'data', streamId: 3, fin: true, data: Buffer.alloc(0) }, '00000003 01000000'],
  ];
  it.each(cases)('%s', async (_name, frame, bytes) => {
    expect(encodeFrame(frame).toString('hex')).toBe(hex(bytes).toString('hex'));
    const decoder = new SpdyFrameDecoder();
    expect(await decoder.push(hex(bytes))).toEqual([frame]);
    decoder.close();
  });
});

describe('header blocks', () => {
  it('encodes the uncompressed block as spdystream does: 32-bit counts and lengths, lowercase names', () => {
    expect(encodeHeaderBlock({ streamType: 'error' }).toString('hex')).toBe(
      hex('00000001 0000000a') .toString('hex') + Buffer.from('streamtype').toString('hex') + '00000005' + Buffer.from('error').toString('hex'),
    );
  });

  it('joins several values with NUL and splits them back', () => {
    const block = decodeHeaderBlock(encodeHeaderBlock({ 'x-stream-protocol-version': 'v4.channel.k8s.io\0v3.channel.k8s.io' }));
    expect(headerValues(block, 'X-Stream-Protocol-Version')).toEqual(['v4.channel.k8s.io', 'v3.channel.k8s.io']);
  });

  it('starts the compressed stream with the zlib header Go’s BestCompression writer uses (78 f9) and the dictionary id', async () => {
    const encoder = new SpdyFrameEncoder();
    const syn = await encoder.encode({ type: 'syn_stream', streamId: 1, associatedStreamId: 0, priority: 0, fin: false, unidirectional: false, headers: { streamtype: 'error' } });
    expect(syn.subarray(0, 4).toString('hex')).toBe('80030001');
    expect(syn.readUInt32BE(4) & 0xffffff).toBe(syn.length - 8);
    expect(syn.subarray(8, 18).toString('hex')).toBe('00000001000000000000');
    expect(syn.subarray(18, 24).toString('hex')).toBe('78f9e3c6a7c2');
    // Any zlib reader primed with the dictionary (Go's zlib.NewReaderDict) reads it.
    const inflated = zlib.inflateSync(syn.subarray(18), { dictionary: SPDY3_HEADER_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(decodeHeaderBlock(inflated)).toEqual({ streamtype: 'error' });
    encoder.close();
  });

  it('lays out SYN_REPLY and HEADERS as spdystream’s writer does: type, FIN flag, length 4 + block, stream id', async () => {
    const encoder = new SpdyFrameEncoder();
    const reply = await encoder.encode({ type: 'syn_reply', streamId: 2, fin: true, headers: {} });
    expect(reply.subarray(0, 5).toString('hex')).toBe('8003000201');
    expect(reply.readUInt32BE(4) & 0xffffff).toBe(reply.length - 8);
    expect(reply.readUInt32BE(8)).toBe(2);
    const headers = await encoder.encode({ type: 'headers', streamId: 5, fin: false, headers: { a: 'b' } });
    expect(headers.subarray(0, 5).toString('hex')).toBe('8003000800');
    // One zlib stream across both frames: a fresh reader of the concatenated blocks gets both.
    const inflated = zlib.inflateSync(Buffer.concat([reply.subarray(12), headers.subarray(12)]), {
      dictionary: SPDY3_HEADER_DICTIONARY,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    expect(inflated.toString('hex')).toBe(encodeHeaderBlock({}).toString('hex') + encodeHeaderBlock({ a: 'b' }).toString('hex'));
    encoder.close();
  });

  it('keeps one compression context per direction across frames', async () => {
    const encoder = new SpdyFrameEncoder();
    const decoder = new SpdyFrameDecoder();
    const frames: SpdyFrame[] = [];
    for (let id = 1; id <= 9; id += 2) {
      frames.push({ type: 'syn_stream', streamId: id, associatedStreamId: 0, priority: 0, fin: false, unidirectional: false, headers: { streamtype: id === 1 ? 'error' : 'stdout', port: '8080' } });
    }
    const wire: Buffer[] = [];
    for (const f of frames) wire.push(await encoder.encode(f));
    // The second block is a continuation: it has no zlib header and cannot be read alone.
    expect(wire[1]!.subarray(18, 20).toString('hex')).not.toBe('78f9');
    expect(() => zlib.inflateSync(wire[1]!.subarray(18), { dictionary: SPDY3_HEADER_DICTIONARY })).toThrow();
    // Fed byte by byte, the decoder still gets every frame back in order.
    const got: SpdyFrame[] = [];
    for (const b of Buffer.concat(wire)) got.push(...(await decoder.push(Buffer.from([b]))));
    expect(got).toEqual(frames);
    encoder.close();
    decoder.close();
  });

  it('reads a stream written by another deflater (stored blocks, as any conforming zlib may write)', async () => {
    const zheader = Buffer.concat([hex('78f9'), hex('e3c6a7c2')]);
    const one = storedBlock(encodeHeaderBlock({ streamtype: 'error' }));
    const two = storedBlock(encodeHeaderBlock({ streamtype: 'stdin' }));
    const syn = (id: number, block: Buffer) => {
      const head = hex(`8003 0001 ${(10 + block.length).toString(16).padStart(8, '0')}`);
      return Buffer.concat([head, hex(`${id.toString(16).padStart(8, '0')} 00000000 0000`), block]);
    };
    const decoder = new SpdyFrameDecoder();
    const frames = await decoder.push(Buffer.concat([syn(1, Buffer.concat([zheader, one])), syn(3, two)]));
    expect(frames.map((f) => (f.type === 'syn_stream' ? [f.streamId, f.headers.streamtype] : []))).toEqual([
      [1, 'error'],
      [3, 'stdin'],
    ]);
    decoder.close();
  });
});

describe('hostile input', () => {
  const rejects = async (bytes: Buffer, limits = {}, status: number = RstStatus.ProtocolError) => {
    const decoder = new SpdyFrameDecoder(limits);
    const err = await decoder.push(bytes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpdyProtocolError);
    expect((err as SpdyProtocolError).status).toBe(status);
    decoder.close();
  };

  it('waits for the rest of a truncated frame', async () => {
    const decoder = new SpdyFrameDecoder();
    expect(await decoder.push(hex('8003 0006 00000004 0000'))).toEqual([]);
    expect(decoder.pendingBytes).toBe(10);
    expect(await decoder.push(hex('0007'))).toEqual([{ type: 'ping', id: 7 }]);
    decoder.close();
  });

  it('refuses an oversized frame from its header alone, before buffering it', () =>
    rejects(hex('00000001 00100001'), { maxFrameLength: 1 << 20 }, RstStatus.FrameTooLarge));

  it('refuses a control frame of another SPDY version', () => rejects(hex('8002 0006 00000004 00000001'), {}, RstStatus.UnsupportedVersion));

  it('refuses fixed-size frames of the wrong size and frames for stream 0', async () => {
    await rejects(hex('8003 0006 00000005 0000000100'));
    await rejects(hex('8003 0003 00000008 00000000 00000001'));
    await rejects(hex('00000000 00000001 ff'));
    await rejects(hex('8003 0004 0000000c 00000002 00000007 00010000'));
  });

  it('skips unknown control frame types (CREDENTIAL, NOOP, anything newer)', async () => {
    const decoder = new SpdyFrameDecoder();
    const frames = await decoder.push(Buffer.concat([hex('8003 000a 00000003 aabbcc'), hex('8003 00ff 00000000'), hex('8003 0006 00000004 00000002')]));
    expect(frames).toEqual([{ type: 'ping', id: 2 }]);
    decoder.close();
  });

  it('refuses a header block that inflates past the limit (a zlib bomb)', async () => {
    // Compressed as a peer's deflater would (ours writes stored blocks): a few KiB that inflate to 1 MiB.
    const block = zlib.deflateSync(encodeHeaderBlock({ big: 'x'.repeat(1 << 20) }), { level: 9, dictionary: SPDY3_HEADER_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const syn = Buffer.concat([hex(`8003 0001 ${(10 + block.length).toString(16).padStart(8, '0')} 00000001 00000000 0000`), block]);
    expect(syn.length).toBeLessThan(8 << 10);
    await rejects(syn, { maxHeaderBlockBytes: 64 << 10 });
  });

  it('reads stored blocks itself and a compressed block after them through zlib, which may refer back into them', async () => {
    const decoder = new SpdyFrameDecoder();
    const first = { streamtype: 'data', port: '8080', requestid: 'a-long-request-id-0001' };
    const second = { streamtype: 'error', port: '8080', requestid: 'a-long-request-id-0002' };
    const headersFrame = (block: Buffer) => Buffer.concat([hex(`8003 0008 ${(4 + block.length).toString(16).padStart(8, '0')} 00000001`), block]);
    // Ours: the stream's header and a stored block. Then a peer's deflater that has seen the same
    // history compresses the next block against it (its own output for the first is dropped).
    const stored = new SpdyFrameEncoder();
    const one = (await stored.encode({ type: 'headers', streamId: 1, fin: false, headers: first })).subarray(12);
    stored.close();
    const deflate = zlib.createDeflate({ level: 9, dictionary: SPDY3_HEADER_DICTIONARY });
    const flushed = (input: Buffer) =>
      new Promise<Buffer>((resolve) => {
        const out: Buffer[] = [];
        const take = (c: Buffer) => out.push(c);
        deflate.on('data', take);
        deflate.write(input);
        deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          deflate.off('data', take);
          resolve(Buffer.concat(out));
        });
      });
    await flushed(encodeHeaderBlock(first));
    const two = await flushed(encodeHeaderBlock(second));
    deflate.close();
    expect(two[0]! & 0x06).not.toBe(0); // a compressed block, not a stored one
    expect(two.length).toBeLessThan(encodeHeaderBlock(second).length);
    const frames = await decoder.push(Buffer.concat([headersFrame(one), headersFrame(two)]));
    expect(frames.map((f) => (f.type === 'headers' ? f.headers : undefined))).toEqual([first, second]);
    decoder.close();
  });

  it('writes its own header blocks as stored zlib blocks, split at 64 KiB, that any inflater reads back', async () => {
    const encoder = new SpdyFrameEncoder();
    const decoder = new SpdyFrameDecoder({ maxHeaderBlockBytes: 1 << 20, maxFrameLength: 1 << 20 });
    const big = { type: 'headers', streamId: 3, fin: false, headers: { big: 'y'.repeat(70_000) } } as const;
    const small = { type: 'syn_reply', streamId: 3, fin: true, headers: { a: 'b' } } as const;
    const wire = [await encoder.encode(big), await encoder.encode(small)];
    // Header (78 f9 + dictionary id), then BFINAL 0 / BTYPE 00, LEN and its complement, the
    // bytes, and the empty stored block of a sync flush (without it Go's reader holds the bytes back).
    const plain = encodeHeaderBlock(big.headers);
    expect(wire[0]!.subarray(12, 23).toString('hex')).toBe('78f9e3c6a7c200ffff0000');
    expect(wire[0]!.length).toBe(12 + 6 + 2 * 5 + plain.length + 5);
    expect(wire[0]!.subarray(-5).toString('hex')).toBe('000000ffff');
    expect(wire[1]!.subarray(12, 13).toString('hex')).toBe('00');
    expect(await decoder.push(Buffer.concat(wire))).toEqual([big, small]);
    const inflated = zlib.inflateSync(Buffer.concat([wire[0]!.subarray(12), wire[1]!.subarray(12)]), { dictionary: SPDY3_HEADER_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(inflated.equals(Buffer.concat([plain, encodeHeaderBlock(small.headers)]))).toBe(true);
    encoder.close();
    decoder.close();
  });

  it('refuses too many headers, uppercase or duplicate names, and garbage compressed bytes', async () => {
    const encoder = new SpdyFrameEncoder();
    const many: Record<string, string> = {};
    for (let i = 0; i < 101; i++) many[`h${i}`] = 'v';
    await rejects(await encoder.encode({ type: 'headers', streamId: 1, fin: false, headers: many }));
    encoder.close();
    expect(() => decodeHeaderBlock(Buffer.concat([hex('00000001 00000001'), Buffer.from('A'), hex('00000000')]))).toThrow(SpdyProtocolError);
    const dup = Buffer.concat([hex('00000002'), hex('00000001'), Buffer.from('a'), hex('00000000'), hex('00000001'), Buffer.from('a'), hex('00000000')]);
    expect(() => decodeHeaderBlock(dup)).toThrow(/duplicate/);
    expect(() => decodeHeaderBlock(hex('00000001 000000ff'))).toThrow(/truncated/);
    await rejects(hex('8003 0002 0000000c 00000001 0102030405060708'));
  });
});
