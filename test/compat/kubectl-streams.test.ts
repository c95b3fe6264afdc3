// The real kubectl (Go, moby/spdystream, gorilla/websocket) against api/httpstream alone: a
// tiny HTTP server answers discovery and the pod, and serves exec and port-forward upgrades
// with our SPDY session, channel protocol and KEP-4006 tunnel. No kubelet, no API server: this
// proves the protocol layer speaks what each kubectl speaks, before anything is built on it.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { selectWebSocketProtocol } from '../../api/httpstream/channel-protocol.js';
import { ChannelServerSession } from '../../api/httpstream/channel-session.js';
import { PORT_FORWARD_PROTOCOL, PortForwardServer, WebSocketStream, prepareTunnelUpgrade, selectTunnelProtocol } from '../../api/httpstream/port-forward.js';
import {
  SPDY_REMOTE_COMMAND_PROTOCOLS,
  acceptRemoteCommandStreams,
  encodeStatus,
  exitCodeStatus,
  parseExecQuery,
  successStatus,
  type RemoteCommandStatus,
} from '../../api/httpstream/remote-command.js';
import { SpdySession } from '../../api/httpstream/spdy-session.js';
import { spdyHandshake } from '../../api/httpstream/spdy-upgrade.js';
import { haveTool } from '../fixtures/tools.js';
import { kubectlBinary } from './kubectl-harness.js';

const EXEC_VERSIONS = ['1.27', '1.29', '1.30', '1.33'].filter((v) => haveTool(kubectlBinary(v)));
const PORT_FORWARD_VERSIONS = ['1.27', '1.30', '1.31', '1.33'].filter((v) => haveTool(kubectlBinary(v)));

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] }, status: { phase: 'Running' } };

// The "command": `upper CODE` uppercases stdin to stdout, says one line on stderr, exits CODE.
function run(command: string[], stdin: string): { stdout: string; stderr: string; status: RemoteCommandStatus } {
  const code = Number(command[1] ?? 0);
  return { stdout: stdin.toUpperCase(), stderr: 'from stderr\n', status: code ? exitCodeStatus(code) : successStatus() };
}

function readText(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return Promise.resolve('');
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    stream.on('end', () => resolve(text));
    stream.on('error', () => resolve(text));
  });
}

async function serveSpdyExec(req: http.IncomingMessage, socket: Duplex, head: Buffer, url: URL) {
  const request = parseExecQuery(url.searchParams);
  const handshake = spdyHandshake(req.headers, SPDY_REMOTE_COMMAND_PROTOCOLS);
  socket.write(handshake.response);
  if (!handshake.ok || 'error' in request) return void socket.end();
  if (head.length) socket.unshift(head);
  const session = new SpdySession(socket, { role: 'server' });
  const streams = await acceptRemoteCommandStreams(session, request, handshake.protocol);
  const result = run(request.command, await readText(streams.stdin));
  streams.stdout?.end(result.stdout);
  streams.stderr?.end(result.stderr);
  streams.error.end(encodeStatus(result.status, handshake.protocol));
  session.close(undefined, { graceMs: 2000 });
}

function servePortForward(session: SpdySession) {
  new PortForwardServer(session).on('pair', (pair) => {
    pair.data.pipe(pair.data);
    pair.data.on('close', () => pair.error.end());
  });
}

let server: http.Server;
let dir: string;
let kubeconfig: string;

beforeAll(async () => {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered, req) => (req.url?.includes('/portforward') ? selectTunnelProtocol(offered, req) : selectWebSocketProtocol(offered)),
  });
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (o: unknown) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(o));
    };
    if (url.pathname === '/api') return json({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
    if (url.pathname === '/apis') return json({ kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    if (url.pathname === '/api/v1') return json({ kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get'] }] });
    if (url.pathname === '/api/v1/namespaces/default/pods/p') return json(pod);
    res.statusCode = 404;
    res.end('{}');
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const websocket = req.headers.upgrade?.toLowerCase() === 'websocket';
    if (url.pathname.endsWith('/exec')) {
      if (!websocket) return void serveSpdyExec(req, socket, head, url);
      const request = parseExecQuery(url.searchParams);
      if ('error' in request) return void socket.destroy();
      wss.handleUpgrade(req, socket, head, async (ws) => {
        const session = new ChannelServerSession(ws, { ...request, protocol: ws.protocol });
        const result = run(request.command, await readText(session.stdin));
        session.stdout?.end(result.stdout);
        session.stderr?.end(result.stderr);
        await session.finish(result.status);
      });
      return;
    }
    if (url.pathname.endsWith('/portforward')) {
      if (websocket) {
        prepareTunnelUpgrade(req);
        wss.handleUpgrade(req, socket, head, (ws) => servePortForward(new SpdySession(new WebSocketStream(ws), { role: 'server' })));
        return;
      }
      const handshake = spdyHandshake(req.headers, [PORT_FORWARD_PROTOCOL]);
      socket.write(handshake.response);
      if (!handshake.ok) return void socket.end();
      if (head.length) socket.unshift(head);
      servePortForward(new SpdySession(socket, { role: 'server' }));
      return;
    }
    socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-streams-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  const { port } = server.address() as net.AddressInfo;
  await writeFile(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {token: t}}]\n` +
      `contexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]\ncurrent-context: c\n`,
  );
});

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function env() {
  return { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig, KUBECACHEDIR: path.join(dir, 'cache') };
}

function kubectl(version: string, args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(kubectlBinary(version), args, { env: env(), timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin!.end(stdin);
  });
}

describe.skipIf(EXEC_VERSIONS.length === 0)('kubectl exec against our SPDY and WebSocket servers', () => {
  it.each(EXEC_VERSIONS)('kubectl %s: stdin, stdout, stderr and the exit code', async (version) => {
    const result = await kubectl(version, ['exec', '-i', 'p', '--', 'upper', '3'], 'hello from kubectl\n');
    expect(result.stdout).toBe('HELLO FROM KUBECTL\n');
    expect(result.stderr).toContain('from stderr');
    expect(result.stderr).toContain('command terminated with exit code 3');
    // kubectl's WebSocket client logs any message on a channel it does not know (255 included).
    expect(result.stderr).not.toMatch(/Unknown stream id/);
    expect(result.code).toBe(3);
    const ok = await kubectl(version, ['exec', '-i', 'p', '--', 'upper', '0'], 'fine');
    expect(ok).toMatchObject({ code: 0, stdout: 'FINE' });
  });
});

describe.skipIf(PORT_FORWARD_VERSIONS.length === 0)('kubectl port-forward against our SPDY server and KEP-4006 tunnel', () => {
  it.each(PORT_FORWARD_VERSIONS)('kubectl %s: bytes go to the pod and back', async (version) => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const localPort = (probe.address() as net.AddressInfo).port;
    probe.close();
    const child = spawn(kubectlBinary(version), ['port-forward', 'pod/p', `${localPort}:8080`], { env: env() });
    try {
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      for (let i = 0; i < 100 && !out.includes('Forwarding from'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain(`Forwarding from 127.0.0.1:${localPort}`);
      for (const message of ['first connection', 'second connection']) {
        const conn = net.connect(localPort, '127.0.0.1');
        await once(conn, 'connect');
        conn.write(message);
        let echoed = '';
        conn.on('data', (c: Buffer) => (echoed += c.toString()));
        for (let i = 0; i < 50 && echoed.length < message.length; i++) await new Promise((r) => setTimeout(r, 100));
        conn.destroy();
        expect(echoed).toBe(message);
      }
    } finally {
      child.kill();
    }
  });
});
