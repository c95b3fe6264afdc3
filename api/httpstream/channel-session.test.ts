import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { Channel, decodeChannelMessage, encodeChannelMessage, encodeCloseSignal, selectWebSocketProtocol } from './channel-protocol.js';
import { ChannelClientSession, ChannelServerSession } from './channel-session.js';
import { afterThisTest, readAll } from './loopback.test-support.js';
import { RemoteCommandProtocol, exitCodeStatus, successStatus } from './remote-command.js';

/** A WebSocket server that runs `serve` for each connection, as an exec handler would. */
async function serveExec(serve: (session: ChannelServerSession) => void | Promise<void>, options = { stdin: true, stdout: true, stderr: true, tty: false }) {
  const server = http.createServer();
  const wss = new WebSocketServer({ server, handleProtocols: (offered) => selectWebSocketProtocol(offered) });
  wss.on('connection', (ws) => void serve(new ChannelServerSession(ws, { ...options, protocol: ws.protocol })));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  afterThisTest(() => {
    wss.close();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return async (protocols: string[] = [RemoteCommandProtocol.V5], stdin = true) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/exec`, protocols);
    const session = new ChannelClientSession(ws, { stdin });
    afterThisTest(() => ws.terminate());
    await once(ws, 'open');
    return session;
  };
}

describe('channel messages', () => {
  it('are [channel byte][data]', () => {
    expect(encodeChannelMessage(Channel.Stdout, 'hi').toString('hex')).toBe('016869');
    expect(decodeChannelMessage(Buffer.from('026869', 'hex'), RemoteCommandProtocol.V4)).toEqual({ kind: 'data', channel: 2, data: Buffer.from('hi') });
  });

  it('read 255 as the close signal only in v5', () => {
    expect(encodeCloseSignal(Channel.Stdin).toString('hex')).toBe('ff00');
    expect(decodeChannelMessage(Buffer.from('ff00', 'hex'), RemoteCommandProtocol.V5)).toEqual({ kind: 'close', channel: 0 });
    expect(decodeChannelMessage(Buffer.from('ff00', 'hex'), RemoteCommandProtocol.V4)).toMatchObject({ kind: 'data', channel: 255 });
    expect(decodeChannelMessage(Buffer.from('ff', 'hex'), RemoteCommandProtocol.V5)).toBeUndefined();
    expect(decodeChannelMessage(Buffer.alloc(0), RemoteCommandProtocol.V5)).toBeUndefined();
  });

  it('negotiates the server’s best of what the client offers', () => {
    expect(selectWebSocketProtocol(['v5.channel.k8s.io'])).toBe('v5.channel.k8s.io'); // kubectl 1.30–1.33
    expect(selectWebSocketProtocol(['channel.k8s.io', 'v4.channel.k8s.io'])).toBe('v4.channel.k8s.io');
    expect(selectWebSocketProtocol(['base64.channel.k8s.io'])).toBe(false);
  });
});

describe('ChannelServerSession ↔ ChannelClientSession over a real WebSocket', () => {
  it('runs a command: stdout, stderr, and exit code 3 through the v5 error channel', async () => {
    const connect = await serveExec(async (s) => {
      s.stdout!.write('out\n');
      s.stderr!.write('err\n');
      await s.finish(exitCodeStatus(3));
    });
    const client = await connect();
    client.stdin!.end();
    const [out, err, result] = await Promise.all([readAll(client.stdout), readAll(client.stderr), client.result]);
    expect(out.toString()).toBe('out\n');
    expect(err.toString()).toBe('err\n');
    expect(result.exitCode).toBe(3);
    expect(result.status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
  });

  it('sends v4 clients the empty "streams ready" message first, v5 clients nothing before output', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server, handleProtocols: (offered) => selectWebSocketProtocol(offered) });
    wss.on('connection', (ws) => {
      const session = new ChannelServerSession(ws, { stdin: false, stdout: true, stderr: true, tty: false, protocol: ws.protocol });
      setTimeout(() => void session.finish(successStatus()), 50);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    afterThisTest(() => {
      wss.close();
      server.close();
    });
    const first = async (protocol: string) => {
      const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/exec`, [protocol]);
      afterThisTest(() => ws.terminate());
      const [data] = (await once(ws, 'message')) as [Buffer];
      return data.toString('hex');
    };
    expect(await first(RemoteCommandProtocol.V4)).toBe('01');
    // v5: the first message is the status on the error channel (3), nothing before it.
    expect((await first(RemoteCommandProtocol.V5)).slice(0, 2)).toBe('03');
  });

  it('half-closes stdin with v5’s close signal and carries 10 MiB through it (sha256)', async () => {
    const connect = await serveExec(async (s) => {
      const hash = createHash('sha256');
      for await (const chunk of s.stdin!) hash.update(chunk as Buffer);
      s.stdout!.write(hash.digest('hex'));
      await s.finish(successStatus());
    });
    const client = await connect();
    const payload = randomBytes(10 * 1024 * 1024);
    const out = readAll(client.stdout);
    // Written in 64 KiB pieces with backpressure honoured, as `skiff exec` piping a file does.
    for (let i = 0; i < payload.length; i += 64 * 1024) {
      if (!client.stdin!.write(payload.subarray(i, i + 64 * 1024))) await once(client.stdin!, 'drain');
    }
    client.stdin!.end();
    expect((await out).toString()).toBe(createHash('sha256').update(payload).digest('hex'));
    expect((await client.result).exitCode).toBe(0);
  }, 30_000);

  it('does not buffer stdin without bound when the command does not read it', async () => {
    let serverStdin!: NodeJS.ReadableStream & { readableLength: number };
    const ready = new Promise<void>((resolve) =>
      void serveExec((s) => {
        serverStdin = s.stdin!;
        resolve();
      }).then(async (connect) => {
        const client = await connect();
        const piece = randomBytes(64 * 1024);
        let writes = 0;
        // Keep writing while the client's stream accepts; it must start refusing.
        while (client.stdin!.write(piece) && writes < 1000) writes++;
        clientWrites = writes;
      }),
    );
    let clientWrites = 0;
    await ready;
    await new Promise((r) => setTimeout(r, 300));
    expect(clientWrites).toBeLessThan(1000);
    // The server's stdin holds at most its high-water mark plus what was in flight.
    expect(serverStdin.readableLength).toBeLessThan(4 * 1024 * 1024);
  });

  it('delivers resize events and the v4 success status', async () => {
    const sizes: unknown[] = [];
    const connect = await serveExec(
      (s) => {
        s.on('resize', async (size) => {
          sizes.push(size);
          if (sizes.length === 2) await s.finish(successStatus());
        });
      },
      { stdin: true, stdout: true, stderr: false, tty: true },
    );
    const client = await connect([RemoteCommandProtocol.V4], false);
    expect(client.protocol).toBe('v4.channel.k8s.io');
    client.resize({ Width: 80, Height: 24 });
    client.resize({ Width: 120, Height: 40 });
    const result = await client.result;
    expect(sizes).toEqual([
      { Width: 80, Height: 24 },
      { Width: 120, Height: 40 },
    ]);
    expect(result).toMatchObject({ exitCode: 0, status: { metadata: {}, status: 'Success' } });
  });
});
