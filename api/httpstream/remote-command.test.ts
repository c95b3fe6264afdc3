import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readAll, socketPair } from './loopback.test-support.js';
import {
  RemoteCommandProtocol,
  SPDY_REMOTE_COMMAND_PROTOCOLS,
  acceptRemoteCommandStreams,
  decodeStatus,
  encodeStatus,
  encodeTerminalSize,
  exitCodeStatus,
  expectedStreams,
  internalErrorStatus,
  negotiateProtocol,
  openRemoteCommandStreams,
  parseExecQuery,
  parseTerminalSize,
  readResizeStream,
  successStatus,
  type TerminalSize,
} from './remote-command.js';
import { SpdySession } from './spdy-session.js';

// What kubectl sends in X-Stream-Protocol-Version, recorded from each binary.
const KUBECTL_SPDY_OFFERS: Record<string, string[]> = {
  '1.27': ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'],
  '1.28': ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'],
  '1.29': ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'],
};

describe('protocol negotiation', () => {
  it.each(Object.entries(KUBECTL_SPDY_OFFERS))('kubectl %s over SPDY gets the best version it offers', (_version, offer) => {
    expect(negotiateProtocol(offer, SPDY_REMOTE_COMMAND_PROTOCOLS)).toBe(offer[0]);
  });

  it('reads comma-joined offers and answers nothing when nothing matches', () => {
    expect(negotiateProtocol('channel.k8s.io, v3.channel.k8s.io', SPDY_REMOTE_COMMAND_PROTOCOLS)).toBe('v3.channel.k8s.io');
    expect(negotiateProtocol(['v9.channel.k8s.io'], SPDY_REMOTE_COMMAND_PROTOCOLS)).toBeUndefined();
    expect(negotiateProtocol(undefined, SPDY_REMOTE_COMMAND_PROTOCOLS)).toBeUndefined();
  });
});

describe('the exec query and the streams it implies', () => {
  it('parses kubectl’s query', () => {
    const q = new URLSearchParams('command=sh&command=-c&command=exit+3&container=c&stdin=true&stdout=true&stderr=true');
    expect(parseExecQuery(q)).toEqual({ container: 'c', command: ['sh', '-c', 'exit 3'], stdin: true, stdout: true, stderr: true, tty: false });
    expect(parseExecQuery(new URLSearchParams('command=true'))).toEqual({ error: 'you must specify at least 1 of stdin, stdout, stderr' });
  });

  it('lists the streams in kubectl’s order: error first, resize only with a tty from v3', () => {
    const all = { stdin: true, stdout: true, stderr: true, tty: false };
    expect(expectedStreams(all, RemoteCommandProtocol.V4)).toEqual(['error', 'stdin', 'stdout', 'stderr']);
    expect(expectedStreams({ ...all, tty: true }, RemoteCommandProtocol.V4)).toEqual(['error', 'stdin', 'stdout', 'resize']);
    expect(expectedStreams({ ...all, tty: true }, RemoteCommandProtocol.V2)).toEqual(['error', 'stdin', 'stdout']);
  });
});

describe('the error channel', () => {
  it('writes the kubelet’s v4 JSON', () => {
    expect(encodeStatus(successStatus(), RemoteCommandProtocol.V4).toString()).toBe('{"metadata":{},"status":"Success"}');
    expect(JSON.parse(encodeStatus(exitCodeStatus(3), RemoteCommandProtocol.V5).toString())).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('writes bare text before v4, and nothing for success', () => {
    expect(encodeStatus(successStatus(), RemoteCommandProtocol.V1).length).toBe(0);
    expect(encodeStatus(internalErrorStatus('boom'), RemoteCommandProtocol.V3).toString()).toBe('Internal error occurred: boom');
  });

  it('reads what it writes, the way kubectl reads it', () => {
    expect(decodeStatus(Buffer.alloc(0), RemoteCommandProtocol.V4).exitCode).toBe(0);
    expect(decodeStatus(encodeStatus(exitCodeStatus(42), RemoteCommandProtocol.V4), RemoteCommandProtocol.V4).exitCode).toBe(42);
    expect(decodeStatus(encodeStatus(internalErrorStatus('no such container'), RemoteCommandProtocol.V4), RemoteCommandProtocol.V4)).toMatchObject({
      exitCode: 1,
      message: 'Internal error occurred: no such container',
    });
    expect(decodeStatus(Buffer.from('not json'), RemoteCommandProtocol.V4)).toMatchObject({ exitCode: 1 });
  });
});

describe('resize', () => {
  it('parses only well-formed sizes', () => {
    expect(parseTerminalSize('{"Width":80,"Height":24}')).toEqual({ Width: 80, Height: 24 });
    expect(parseTerminalSize('{"Width":-1,"Height":24}')).toBeUndefined();
    expect(parseTerminalSize('{"Width":"80","Height":24}')).toBeUndefined();
    expect(parseTerminalSize('nope')).toBeUndefined();
  });

  it('reads the SPDY resize stream’s newline-separated JSON, across chunk boundaries', () => {
    const stream = new PassThrough();
    const sizes: TerminalSize[] = [];
    readResizeStream(stream, (s) => sizes.push(s));
    const text = encodeTerminalSize({ Width: 80, Height: 24 }) + encodeTerminalSize({ Width: 100, Height: 30 });
    stream.write(text.slice(0, 10));
    stream.write(text.slice(10));
    expect(sizes).toEqual([
      { Width: 80, Height: 24 },
      { Width: 100, Height: 30 },
    ]);
  });
});

describe('remote command over SPDY: our client ↔ our server', () => {
  it('opens kubectl’s streams, runs, and reports the exit code on the error stream', async () => {
    const [socket, serverSocket] = await socketPair();
    const options = { stdin: true, stdout: true, stderr: true, tty: false };
    const protocol = RemoteCommandProtocol.V4;
    const serverSession = new SpdySession(serverSocket, { role: 'server' });
    const clientSession = new SpdySession(socket, { role: 'client' });

    const serverSide = acceptRemoteCommandStreams(serverSession, options, protocol).then(async (streams) => {
      const input: Buffer[] = [];
      for await (const c of streams.stdin!) input.push(c as Buffer);
      streams.stdout!.end(Buffer.concat(input).toString().toUpperCase());
      streams.stderr!.end('warning\n');
      streams.error.end(encodeStatus(exitCodeStatus(7), protocol));
    });
    const client = await openRemoteCommandStreams(clientSession, options, protocol);
    client.stdin!.end('hello');
    const [out, err, status] = (await Promise.all([readAll(client.stdout!), readAll(client.stderr!), readAll(client.error)])).map(String);
    await serverSide;
    expect(out).toBe('HELLO');
    expect(err).toBe('warning\n');
    expect(decodeStatus(Buffer.from(status), protocol).exitCode).toBe(7);
  });
});
