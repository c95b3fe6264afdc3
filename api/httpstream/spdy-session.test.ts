import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { afterThisTest, readAll, socketPair } from './loopback.test-support.js';
import { RstStatus, SpdyFrameDecoder, SpdyFrameEncoder, encodeFrame, type SpdyFrame } from './spdy-framer.js';
import { SpdySession } from './spdy-session.js';
import { SpdyStreamResetError, type SpdyStream } from './spdy-stream.js';

async function sessionPair(onStream: (s: SpdyStream) => void = (s) => s.pipe(s)) {
  const [a, b] = await socketPair();
  const client = new SpdySession(a, { role: 'client' });
  const server = new SpdySession(b, { role: 'server' });
  server.on('stream', onStream);
  return { client, server, clientSocket: a, serverSocket: b };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('SpdySession: our client ↔ our server over loopback TCP', () => {
  it('carries many concurrent streams, each with its headers and its own bytes', async () => {
    const seen: string[] = [];
    const { client } = await sessionPair((s) => {
      seen.push(s.headers.requestid!);
      s.reply({ accepted: 'yes' });
      s.pipe(s);
    });
    const results = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const stream = client.openStream({ streamtype: 'data', port: '8080', requestid: String(i) });
        const reply = await stream.waitForReply();
        const payload = randomBytes(1000 + i * 997);
        stream.end(payload);
        const echoed = await readAll(stream);
        return { id: stream.id, reply, same: echoed.equals(payload) };
      }),
    );
    expect(results.every((r) => r.same && r.reply.accepted === 'yes')).toBe(true);
    expect(results.map((r) => r.id % 2)).toEqual(Array(60).fill(1));
    expect(seen.sort()).toEqual(Array.from({ length: 60 }, (_, i) => String(i)).sort());
  });

  it('moves 10 MiB through one stream intact (sha256), both ways', async () => {
    const { client } = await sessionPair();
    const payload = randomBytes(10 * 1024 * 1024);
    const stream = client.openStream({ streamtype: 'stdin' });
    const echoed = readAll(stream);
    stream.end(payload);
    expect(sha(await echoed)).toBe(sha(payload));
  }, 30_000);

  it('half-closes: after the client’s FIN the server still answers on the same stream', async () => {
    const { client } = await sessionPair(async (s) => {
      const request = await readAll(s);
      s.end(`got ${request.length} bytes`);
    });
    const stream = client.openStream({ streamtype: 'data' });
    stream.end('hello');
    expect((await readAll(stream)).toString()).toBe('got 5 bytes');
  });

  it('resets: the peer’s stream fails with the status, the connection carries on', async () => {
    const { client } = await sessionPair((s) => {
      if (s.headers.streamtype === 'doomed') s.reset(RstStatus.RefusedStream);
      else s.pipe(s);
    });
    const doomed = client.openStream({ streamtype: 'doomed' });
    const [err] = (await once(doomed, 'error')) as [SpdyStreamResetError];
    expect(err).toBeInstanceOf(SpdyStreamResetError);
    expect(err.status).toBe(RstStatus.RefusedStream);
    expect(err.byPeer).toBe(true);
    const fine = client.openStream({ streamtype: 'data' });
    fine.end('still here');
    expect((await readAll(fine)).toString()).toBe('still here');
  });

  it('keeps a slow reader’s window: the sender stops at 64 KiB and other streams flow meanwhile', async () => {
    let gotSlow!: (s: SpdyStream) => void;
    const slowArrived = new Promise<SpdyStream>((resolve) => (gotSlow = resolve));
    const { client } = await sessionPair((s) => {
      if (s.headers.streamtype !== 'slow') return void s.pipe(s);
      s.reply();
      gotSlow(s);
    });
    const sending = client.openStream({ streamtype: 'slow' });
    sending.end(randomBytes(1024 * 1024));
    const slow = await slowArrived;
    await new Promise((r) => setTimeout(r, 200));
    // Nothing read yet: exactly one window arrived and the rest waits at the sender.
    expect(slow.readableLength).toBe(64 * 1024);
    expect(sending.writableLength).toBeGreaterThan(900 * 1024);
    // The connection is not blocked by it.
    const other = client.openStream({ streamtype: 'data' });
    other.end('other stream');
    expect((await readAll(other)).toString()).toBe('other stream');
    // Reading reopens the window until everything has come.
    expect((await readAll(slow)).length).toBe(1024 * 1024);
  });

  it('answers PINGs', async () => {
    const { client, server } = await sessionPair();
    expect(await client.ping()).toBeGreaterThanOrEqual(0);
    expect(await server.ping()).toBeGreaterThanOrEqual(0);
  });

  it('GOAWAY: no new streams, open ones finish, then the socket ends', async () => {
    let held!: SpdyStream;
    const { client, server, clientSocket } = await sessionPair((s) => {
      held = s;
      s.reply();
    });
    const stream = client.openStream({ streamtype: 'data' });
    await stream.waitForReply();
    const goaway = once(client, 'goaway');
    server.close();
    expect((await goaway)[0]).toBe(1);
    expect(() => client.openStream({ streamtype: 'data' })).toThrow(/going away/);
    const echoed = readAll(stream);
    stream.end('last words');
    held.end(await readAll(held));
    expect((await echoed).toString()).toBe('last words');
    await once(clientSocket, 'close');
    expect(client.closed).toBe(true);
  });

  it('sends GOAWAY only after what the streams already wrote (spdystream stops reading at GOAWAY)', async () => {
    const payload = randomBytes(512 * 1024);
    const ref: { server?: SpdySession } = {};
    const pair = await sessionPair((s) => {
      s.end(payload);
      ref.server!.close(undefined, { graceMs: 5000 });
    });
    ref.server = pair.server;
    const stream = pair.client.openStream({ streamtype: 'stdout' });
    let bytesAtGoAway = -1;
    let received = 0;
    stream.on('data', (c: Buffer) => (received += c.length));
    pair.client.on('goaway', () => (bytesAtGoAway = received));
    await once(stream, 'end');
    await new Promise((r) => setTimeout(r, 20));
    expect(received).toBe(payload.length);
    expect(bytesAtGoAway).toBe(payload.length);
  });

  it('GOAWAY with a grace period ends the connection even when a stream never finishes', async () => {
    const { client, server, clientSocket } = await sessionPair((s) => s.reply());
    const stream = client.openStream({ streamtype: 'stdout' });
    await stream.waitForReply();
    stream.resume();
    server.close(undefined, { graceMs: 100 });
    await once(clientSocket, 'close');
    expect(client.closed).toBe(true);
    expect(stream.destroyed || stream.readableEnded).toBe(true);
  });

  it('ends every stream when the socket ends', async () => {
    let serverStream!: SpdyStream;
    const { client, serverSocket, server } = await sessionPair((s) => {
      serverStream = s;
      s.reply();
    });
    const stream = client.openStream({ streamtype: 'data' });
    await stream.waitForReply();
    stream.write('partial');
    await new Promise((r) => setTimeout(r, 50));
    const closed = once(server, 'close');
    client.destroy();
    await closed;
    expect((await readAll(serverStream)).toString()).toBe('partial');
    expect(serverStream.destroyed).toBe(true);
    expect(serverSocket.destroyed || serverSocket.writableEnded).toBe(true);
  });

  it('refuses streams past the concurrency limit and streams with the wrong id parity', async () => {
    const [a, b] = await socketPair();
    const server = new SpdySession(b, { role: 'server', maxConcurrentStreams: 2 });
    server.on('stream', (s) => s.reply());
    const client = new SpdySession(a, { role: 'client' });
    const streams = [0, 1, 2].map(() => client.openStream({ streamtype: 'data' }));
    const [err] = (await once(streams[2]!, 'error')) as [SpdyStreamResetError];
    expect(err.status).toBe(RstStatus.RefusedStream);
    await Promise.all(streams.slice(0, 2).map((s) => s.waitForReply()));
  });
});

// A peer written straight from frames, as spdystream behaves: it never sends SETTINGS or
// WINDOW_UPDATE, and it ignores ours.
describe('SpdySession against a spdystream-like peer', () => {
  async function rawPeer() {
    const [ours, theirs] = await socketPair();
    const frames: SpdyFrame[] = [];
    const decoder = new SpdyFrameDecoder({ maxFrameLength: 1 << 24 });
    theirs.on('data', (c: Buffer) => void decoder.push(c).then((f) => frames.push(...f)));
    const encoder = new SpdyFrameEncoder();
    const send = async (f: SpdyFrame) => theirs.write(await encoder.encode(f));
    afterThisTest(() => {
      encoder.close();
      decoder.close();
    });
    return { ours, theirs, frames, send };
  }

  it('sends past 64 KiB without waiting for WINDOW_UPDATE (spdystream never sends one)', async () => {
    const peer = await rawPeer();
    const session = new SpdySession(peer.ours, { role: 'server' });
    const got = once(session, 'stream') as Promise<[SpdyStream]>;
    await peer.send({ type: 'syn_stream', streamId: 1, associatedStreamId: 0, priority: 0, fin: false, unidirectional: false, headers: { streamtype: 'stdout' } });
    const [stream] = await got;
    stream.end(randomBytes(300 * 1024));
    await once(stream, 'finish');
    await new Promise((r) => setTimeout(r, 100));
    const data = peer.frames.filter((f) => f.type === 'data');
    expect(data.reduce((n, f) => n + (f.type === 'data' ? f.data.length : 0), 0)).toBe(300 * 1024);
    expect(peer.frames.find((f) => f.type === 'syn_reply')).toBeDefined();
    expect(peer.frames.findIndex((f) => f.type === 'syn_reply')).toBeLessThan(peer.frames.findIndex((f) => f.type === 'data'));
    expect(data.at(-1)).toMatchObject({ fin: true });
  });

  it('bounds what it buffers when the peer ignores our window: it stops reading the socket', async () => {
    const peer = await rawPeer();
    const session = new SpdySession(peer.ours, { role: 'server' });
    const got = once(session, 'stream') as Promise<[SpdyStream]>;
    await peer.send({ type: 'syn_stream', streamId: 1, associatedStreamId: 0, priority: 0, fin: false, unidirectional: false, headers: { streamtype: 'stdin' } });
    const [stream] = await got;
    const chunk = randomBytes(32 * 1024);
    for (let i = 0; i < 128; i++) peer.theirs.write(encodeFrame({ type: 'data', streamId: 1, fin: i === 127, data: chunk }));
    await new Promise((r) => setTimeout(r, 200));
    // At most one window plus the frame that crossed it; the rest waits in the socket buffers.
    expect(stream.readableLength).toBeLessThanOrEqual(64 * 1024 + 32 * 1024);
    expect((await readAll(stream)).length).toBe(128 * 32 * 1024);
  });

  it('refuses a hostile peer’s bad frame with GOAWAY and closes', async () => {
    const peer = await rawPeer();
    const session = new SpdySession(peer.ours, { role: 'server' });
    const closed = once(session, 'close');
    peer.theirs.write(Buffer.from('8002000600000004000000001', 'hex'));
    const [err] = await closed;
    expect(String(err)).toMatch(/version/);
    await new Promise((r) => setTimeout(r, 50));
    expect(peer.frames.find((f) => f.type === 'goaway')).toMatchObject({ status: 1 });
  });
});
