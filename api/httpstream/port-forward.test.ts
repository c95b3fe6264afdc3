import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  PORT_FORWARD_WEBSOCKET_PROTOCOL,
  PORT_FORWARD_WEBSOCKET_TOKEN,
  PortForwardServer,
  WebSocketStream,
  openPortForwardStreams,
  parsePortForwardError,
  parsePortForwardHeaders,
  portForwardErrorText,
  portForwardHeaders,
  prepareTunnelUpgrade,
  selectTunnelProtocol,
  type PortForwardPair,
} from './port-forward.js';
import { afterThisTest, readAll, socketPair } from './loopback.test-support.js';
import { SpdySession } from './spdy-session.js';
import { SpdyStreamResetError } from './spdy-stream.js';

async function tcpSessions(timeoutMs?: number) {
  const [socket, serverSocket] = await socketPair();
  const serverSession = new SpdySession(serverSocket, { role: 'server' });
  return { client: new SpdySession(socket, { role: 'client' }), forwarder: new PortForwardServer(serverSession, { timeoutMs }) };
}

describe('port-forward headers', () => {
  it('are what kubectl sends: streamtype, port, requestid', () => {
    expect(portForwardHeaders('error', 8080, '0')).toEqual({ streamtype: 'error', port: '8080', requestid: '0' });
  });

  it('are checked as the kubelet checks them', () => {
    expect(parsePortForwardHeaders({ streamtype: 'data', port: '80', requestid: '7' }, 3)).toEqual({ type: 'data', port: 80, requestId: '7' });
    expect(parsePortForwardHeaders({ streamtype: 'data' }, 3)).toEqual({ error: '"port" header is required' });
    expect(parsePortForwardHeaders({ streamtype: 'data', port: '0' }, 3)).toHaveProperty('error');
    expect(parsePortForwardHeaders({ streamtype: 'data', port: '70000' }, 3)).toHaveProperty('error');
    expect(parsePortForwardHeaders({ streamtype: 'stdin', port: '80' }, 3)).toEqual({ error: 'invalid stream type "stdin"' });
    // An old client without requestID: error stream 5 and data stream 7 make request "5".
    expect(parsePortForwardHeaders({ streamtype: 'error', port: '80' }, 5)).toMatchObject({ requestId: '5' });
    expect(parsePortForwardHeaders({ streamtype: 'data', port: '80' }, 7)).toMatchObject({ requestId: '5' });
  });

  it('error text reads as text or as the newer JSON', () => {
    const text = portForwardErrorText(80, 'web', 'uid-1', 'connection refused');
    expect(parsePortForwardError(Buffer.from(text))).toEqual({ message: 'error forwarding port 80 to pod web, uid uid-1: connection refused', closeConnection: false });
    expect(parsePortForwardError(Buffer.from('{"closeConnection":true,"message":"boom"}'))).toEqual({ message: 'boom', closeConnection: true });
    expect(parsePortForwardError(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('PortForwardServer over SPDY', () => {
  it('pairs each request’s streams, many at once, and forwards both ways', async () => {
    const { client, forwarder } = await tcpSessions();
    const pairs: PortForwardPair[] = [];
    forwarder.on('pair', (pair) => {
      pairs.push(pair);
      pair.data.pipe(pair.data);
      pair.error.end();
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const { data, error } = await openPortForwardStreams(client, 8000 + i, String(i));
        const payload = randomBytes(50_000);
        data.end(payload);
        const [echo, err] = await Promise.all([readAll(data), readAll(error)]);
        return echo.equals(payload) && err.length === 0;
      }),
    );
    expect(results.every(Boolean)).toBe(true);
    expect(pairs.map((p) => [p.requestId, p.port]).sort()).toEqual(Array.from({ length: 20 }, (_, i) => [String(i), 8000 + i]).sort());
  });

  it('writes the error text on the error stream when forwarding fails', async () => {
    const { client, forwarder } = await tcpSessions();
    forwarder.on('pair', (pair) => {
      pair.error.end(portForwardErrorText(pair.port, 'web', 'uid-1', 'connection refused'));
      pair.data.end();
    });
    const { data, error } = await openPortForwardStreams(client, 81, '0');
    data.resume();
    expect(parsePortForwardError(await readAll(error))?.message).toMatch(/error forwarding port 81 to pod web/);
  });

  it('refuses a stream with bad headers, and times out a pair left incomplete', async () => {
    const { client } = await tcpSessions(100);
    const bad = client.openStream({ streamtype: 'data', port: 'http' });
    const [err] = (await once(bad, 'error')) as [SpdyStreamResetError];
    expect(err).toBeInstanceOf(SpdyStreamResetError);
    const lonely = client.openStream(portForwardHeaders('error', 80, '9'));
    lonely.end();
    expect((await readAll(lonely)).toString()).toMatch(/timed out waiting for streams/);
  });
});

describe('KEP-4006: port-forward’s SPDY inside a WebSocket', () => {
  async function tunnelServer() {
    const server = http.createServer();
    const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered, req) => selectTunnelProtocol(offered, req) });
    server.on('upgrade', (req, socket, head) => {
      prepareTunnelUpgrade(req);
      wss.handleUpgrade(req, socket, head, (ws) => {
        const forwarder = new PortForwardServer(new SpdySession(new WebSocketStream(ws), { role: 'server' }));
        forwarder.on('pair', (pair) => {
          const hash = createHash('sha256');
          pair.data.on('data', (c: Buffer) => hash.update(c));
          pair.data.on('end', () => pair.data.end(hash.digest('hex')));
          pair.error.end();
        });
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    afterThisTest(() => {
      wss.close();
      server.close();
    });
    return (server.address() as net.AddressInfo).port;
  }

  it('answers kubectl’s offer, which `ws` alone would refuse, with the exact subprotocol', async () => {
    const port = await tunnelServer();
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: '/api/v1/namespaces/default/pods/web/portforward',
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Protocol': PORT_FORWARD_WEBSOCKET_PROTOCOL,
      },
    });
    req.end();
    const [res, socket] = (await once(req, 'upgrade')) as [http.IncomingMessage, net.Socket];
    socket.destroy();
    expect(res.statusCode).toBe(101);
    expect(res.headers['sec-websocket-protocol']).toBe('SPDY/3.1+portforward.k8s.io');
  });

  it('runs a SpdySession on each end of a WebSocket and moves 2 MiB intact', async () => {
    const port = await tunnelServer();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/namespaces/default/pods/web/portforward`, [PORT_FORWARD_WEBSOCKET_TOKEN]);
    const tunnel = new WebSocketStream(ws);
    afterThisTest(() => ws.terminate());
    await once(ws, 'open');
    const client = new SpdySession(tunnel, { role: 'client' });
    expect(await client.ping()).toBeGreaterThanOrEqual(0);
    const { data } = await openPortForwardStreams(client, 8080, '0');
    const payload = randomBytes(2 * 1024 * 1024);
    data.end(payload);
    expect((await readAll(data)).toString()).toBe(createHash('sha256').update(payload).digest('hex'));
    client.close();
    await once(ws, 'close');
  });
});
