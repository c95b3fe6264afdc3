// pods/exec, pods/attach and pods/portforward through the real API server (on a real etcd) to
// a kubelet's HTTPS port. The kubelet here is a stand-in that speaks no stream protocol of its
// own: it checks the API server's client certificate as the real one does, records what
// reached it, switches protocols and echoes bytes, so this suite proves the API server's
// part alone: who may open a stream, what is checked, where it goes, that the client's
// credential stays behind and that bytes pass both ways untouched, for WebSocket (GET) and
// SPDY (POST) upgrades. The protocols themselves are proven with kubectl against real pods.
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { Node, Pod } from '../../api/types/core.js';
import { KubeletClient } from '../../apiserver/kubelet-client.js';
import { KubeletAuthenticator } from '../../kubelet/server/authn.js';
import { startApiCluster, type ApiCluster } from '../fixtures/apiserver.js';
import { kubeletPki, type KubeletPki } from '../fixtures/kubelet-pki.js';
import { client, type Client } from './http.js';

const NODE = 'node-1';
const ns = `streams-${process.pid}`;
let cluster: ApiCluster;
let admin: Client;
let pki: KubeletPki;
let kubelet: https.Server;
/** A second stand-in, for a node's new address. */
let other: https.Server;
/** What reached the stand-in kubelets, newest last. */
const seen: { kubelet: string; method: string; url: string; headers: IncomingMessage['headers']; rawHeaders: string[]; user: string; resumed: boolean }[] = [];

/** A stand-in kubelet named `label`: the real kubelet's authentication, then an echo of whatever is upgraded. */
function standInKubelet(label: string): https.Server {
  const authn = new KubeletAuthenticator({ clientCA: pki.ca });
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => [...offered][0] ?? false });
  const server = https.createServer({ ...pki.serving, ...authn.tlsOptions }, (req, res) => {
    res.writeHead(400).end('the stand-in kubelet takes upgrades only');
  });
  server.on('upgrade', (req: IncomingMessage, socket: tls.TLSSocket, head: Buffer) => {
    const verdict = authn.judge(req, { verb: 'create', subresource: 'proxy' });
    if (!verdict.allowed) {
      socket.end(`HTTP/1.1 ${verdict.status} No\r\nContent-Length: ${verdict.message.length}\r\nConnection: close\r\n\r\n${verdict.message}`);
      return;
    }
    seen.push({ kubelet: label, method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, user: verdict.user, resumed: socket.isSessionReused() });
    if (req.url?.includes('/missing-container')) {
      const body = 'container not found ("missing-container")';
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    if ((req.headers.upgrade ?? '').toLowerCase() === 'websocket') {
      wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (data: Buffer) => ws.send(Buffer.concat([Buffer.from('echo:'), data]))));
      return;
    }
    // SPDY as kubectl asks for it: the kubelet picks a protocol version and switches.
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
    socket.pipe(socket);
  });
  return server;
}

const listen = async (server: https.Server) => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
};

beforeAll(async () => {
  pki = await kubeletPki(NODE);
  kubelet = standInKubelet('first');
  other = standInKubelet('other');
  await listen(other);
  const port = await listen(kubelet);
  cluster = await startApiCluster({ namespace: ns, kubeletClient: { ...pki.apiClient, ca: pki.ca } });
  admin = client(cluster.api.url, cluster.api.adminToken);
  const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE }, spec: {} };
  expect((await admin.post('/api/v1/nodes', node)).status).toBe(201);
  const status = { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } };
  expect((await admin.patch(`/api/v1/nodes/${NODE}/status`, status, 'application/merge-patch+json')).status).toBe(200);
  for (const [name, extra] of [
    ['web', {}],
    ['two', { containers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'busybox' }] as Pod['spec']['containers'] }],
    ['done', {}],
  ] as const) {
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: NODE, containers: [{ name: 'app', image: 'busybox' }], ...extra } };
    expect((await admin.post(`/api/v1/namespaces/${ns}/pods`, pod)).status).toBe(201);
  }
  await admin.patch(`/api/v1/namespaces/${ns}/pods/done/status`, { status: { phase: 'Succeeded' } }, 'application/merge-patch+json');
  const pending: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unbound' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } };
  expect((await admin.post(`/api/v1/namespaces/${ns}/pods`, pending)).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  for (const k of [kubelet, other]) {
    k?.close();
    k?.closeAllConnections();
  }
});

/** A WebSocket to the API server; resolves when open, or with the refusal's status and body. */
function openWs(path: string, opts: { token?: string; protocols?: string[] } = {}): Promise<{ ws?: WebSocket; status?: number; body?: string; protocol?: string }> {
  const url = `${cluster.api.url.replace(/^http/, 'ws')}${path}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? ['v5.channel.k8s.io', 'v4.channel.k8s.io'], { headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {} });
    ws.once('open', () => resolve({ ws, protocol: ws.protocol }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    ws.once('error', reject);
  });
}

/** A raw SPDY-style upgrade (POST, as kubectl 1.27-1.29 send for exec): the 101 head and an echo of `payload`. */
function spdyUpgrade(path: string, payload: Buffer): Promise<{ head: string; echoed: Buffer }> {
  const url = new URL(cluster.api.url);
  return new Promise((resolve, reject) => {
    {
      const s = net.connect(Number(url.port), url.hostname, () => {
        s.write(
          [
            `POST ${path} HTTP/1.1`,
            `Host: ${url.host}`,
            `Authorization: Bearer ${cluster.api.adminToken}`,
            'Connection: Upgrade',
            'Upgrade: SPDY/3.1',
            'X-Stream-Protocol-Version: v4.channel.k8s.io',
            'X-Stream-Protocol-Version: v3.channel.k8s.io',
            'Content-Length: 0',
            '',
            '',
          ].join('\r\n'),
        );
      });
      let got = Buffer.alloc(0);
      let head = '';
      s.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (!head) {
          const end = got.indexOf('\r\n\r\n');
          if (end < 0) return;
          head = got.subarray(0, end).toString();
          got = got.subarray(end + 4);
          if (!head.startsWith('HTTP/1.1 101')) {
            s.destroy();
            resolve({ head, echoed: got });
            return;
          }
          s.write(payload);
        }
        if (got.length >= payload.length) {
          s.destroy();
          resolve({ head, echoed: got });
        }
      });
      s.on('error', reject);
    }
  });
}

describe('pods/exec, attach and portforward through the API server', () => {
  it('carries a WebSocket exec to the kubelet with the query it expects, its own certificate and not the client token', async () => {
    const before = seen.length;
    const o = await openWs(`/api/v1/namespaces/${ns}/pods/web/exec?command=sh&command=-c&command=echo%20hi&stdin=true&stdout=true&stderr=true&tty=false`, {
      token: cluster.api.adminToken,
      protocols: ['v5.channel.k8s.io', 'v4.channel.k8s.io', `base64url.bearer.authorization.k8s.io.${Buffer.from(cluster.api.adminToken).toString('base64url')}`],
    });
    expect(o.ws).toBeDefined();
    expect(o.protocol).toBe('v5.channel.k8s.io');
    const ws = o.ws as WebSocket;
    const payload = randomBytes(200_000);
    const reply = new Promise<Buffer>((r) => ws.once('message', (d: Buffer) => r(d)));
    ws.send(payload);
    expect(Buffer.compare(await reply, Buffer.concat([Buffer.from('echo:'), payload]))).toBe(0);
    ws.close();
    const got = seen[before];
    expect(got).toBeDefined();
    expect(got?.method).toBe('GET');
    expect(got?.url).toBe('/exec/' + ns + '/web/app?command=sh&command=-c&command=echo+hi&input=1&output=1&error=1');
    expect(got?.user).toBe('kube-apiserver-kubelet-client');
    expect(got?.headers.authorization).toBeUndefined();
    expect(got?.headers['sec-websocket-protocol']).toBe('v5.channel.k8s.io, v4.channel.k8s.io');
  });

  it('carries a SPDY upgrade (POST) with every protocol version offered and the kubelet’s 101 back', async () => {
    const before = seen.length;
    const payload = randomBytes(64 * 1024);
    const r = await spdyUpgrade(`/api/v1/namespaces/${ns}/pods/web/exec?command=true&stdout=true&tty=true`, payload);
    expect(r.head).toMatch(/^HTTP\/1\.1 101/);
    expect(r.head).toMatch(/X-Stream-Protocol-Version: v4\.channel\.k8s\.io/);
    expect(Buffer.compare(r.echoed.subarray(0, payload.length), payload)).toBe(0);
    const got = seen[before];
    expect(got?.method).toBe('POST');
    expect(got?.url).toBe(`/exec/${ns}/web/app?command=true&output=1&tty=1`);
    const versions = (got?.rawHeaders ?? []).filter((_, i, a) => i % 2 === 1 && a[i - 1]?.toLowerCase() === 'x-stream-protocol-version');
    expect(versions).toEqual(['v4.channel.k8s.io', 'v3.channel.k8s.io']);
  });

  it('carries attach and portforward to their kubelet paths', async () => {
    const before = seen.length;
    const a = await openWs(`/api/v1/namespaces/${ns}/pods/two/attach?container=b&stdin=true&stdout=true`, { token: cluster.api.adminToken });
    a.ws?.close();
    // kubectl 1.27-1.30 forward ports over a SPDY upgrade (POST); the ports travel in the streams' headers.
    const p = await spdyUpgrade(`/api/v1/namespaces/${ns}/pods/web/portforward?ports=8080,9090`, Buffer.from('x'));
    expect(p.head).toMatch(/^HTTP\/1\.1 101/);
    expect(seen.slice(before).map((s) => s.url)).toEqual([`/attach/${ns}/two/b?input=1&output=1`, `/portForward/${ns}/web?port=8080&port=9090`]);
  });

  it('lets only who may create pods/exec in: no token 401, a node, the scheduler 403', async () => {
    const path = `/api/v1/namespaces/${ns}/pods/web/exec?command=true&stdout=true`;
    expect((await openWs(path)).status).toBe(401);
    const node = await openWs(path, { token: cluster.api.nodeToken(NODE) });
    expect(node.status).toBe(403);
    expect(JSON.parse(node.body ?? '{}')).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    expect((await openWs(path, { token: cluster.api.schedulerToken })).status).toBe(403);
    expect((await openWs(`/api/v1/namespaces/${ns}/pods/web/portforward?ports=80`, { token: cluster.api.nodeToken(NODE) })).status).toBe(403);
    const plain = await admin.get(path);
    expect(plain.status).toBe(400);
    expect(plain.body).toMatchObject({ kind: 'Status', message: 'Upgrade request required' });
    expect((await client(cluster.api.url, cluster.api.nodeToken(NODE)).post(path, {})).status).toBe(403);
  });

  it('refuses what Kubernetes refuses, as a Status', async () => {
    const status = async (path: string) => {
      const r = await openWs(path, { token: cluster.api.adminToken });
      r.ws?.close();
      return { code: r.status, ...(JSON.parse(r.body ?? '{}') as { message?: string; reason?: string }) };
    };
    expect(await status(`/api/v1/namespaces/${ns}/pods/nope/exec?command=true&stdout=true`)).toMatchObject({ code: 404, reason: 'NotFound' });
    expect(await status(`/api/v1/namespaces/${ns}/pods/done/exec?command=true&stdout=true`)).toMatchObject({ code: 400, message: 'cannot exec into a container in a completed pod; current phase is Succeeded' });
    expect(await status(`/api/v1/namespaces/${ns}/pods/unbound/exec?command=true&stdout=true`)).toMatchObject({ code: 400, message: 'pod unbound does not have a host assigned' });
    expect(await status(`/api/v1/namespaces/${ns}/pods/two/exec?command=true&stdout=true`)).toMatchObject({ code: 400, message: 'a container name must be specified for pod two, choose one of: [a b]' });
    expect(await status(`/api/v1/namespaces/${ns}/pods/web/exec?command=true&stdout=true&container=zz`)).toMatchObject({ code: 400, message: 'container zz is not valid for pod web' });
    expect(await status(`/api/v1/namespaces/${ns}/pods/web/exec?stdout=true`)).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(await status(`/api/v1/namespaces/${ns}/pods/web/exec?command=true`)).toMatchObject({ code: 422, message: expect.stringMatching(/at least 1 of stdin, stdout, stderr/) });
    expect(await status(`/api/v1/namespaces/${ns}/pods/web/portforward?ports=0`)).toMatchObject({ code: 422 });
  });

  it('resumes its TLS session with a kubelet, which still knows it by its client certificate', async () => {
    const before = seen.length;
    for (let i = 0; i < 2; i++) {
      const o = await openWs(`/api/v1/namespaces/${ns}/pods/web/exec?command=true&stdout=true`, { token: cluster.api.adminToken });
      o.ws?.close();
    }
    const second = seen[before + 1];
    expect(second).toMatchObject({ kubelet: 'first', resumed: true, user: 'kube-apiserver-kubelet-client' });
  });

  it('sends a stream where etcd says the pod and its node are, whatever the watch cache still holds', async () => {
    const nodeStatus = async (port: number) => {
      const status = { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } };
      expect((await admin.patch(`/api/v1/nodes/${NODE}/status`, status, 'application/merge-patch+json')).status).toBe(200);
    };
    const exec = async () => {
      const o = await openWs(`/api/v1/namespaces/${ns}/pods/web/exec?command=true&stdout=true`, { token: cluster.api.adminToken });
      o.ws?.close();
      return seen.at(-1)?.kubelet;
    };
    // The node's new address is used at once, by the very next stream.
    await nodeStatus((other.address() as AddressInfo).port);
    try {
      expect(await exec()).toBe('other');
    } finally {
      await nodeStatus((kubelet.address() as AddressInfo).port);
    }
    expect(await exec()).toBe('first');
    // A connection started for the node the cache named is never used for another one.
    const kubelets = new KubeletClient({ ...pki.apiClient, ca: pki.ca });
    const at = (port: number): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE }, spec: {}, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } });
    const stale = kubelets.connect(at((kubelet.address() as AddressInfo).port));
    const early = await stale.ready;
    const before = seen.length;
    const r = await kubelets.upgrade(at((other.address() as AddressInfo).port), 'POST', `/exec/${ns}/web/app?command=true&output=1`, ['Connection', 'Upgrade', 'Upgrade', 'SPDY/3.1'], stale);
    expect('switched' in r).toBe(true);
    if ('switched' in r) r.switched.socket.destroy();
    expect(seen.slice(before).map((x) => x.kubelet)).toEqual(['other']);
    expect(early.destroyed).toBe(true);
    kubelets.close();
  });

  it('passes the kubelet’s own refusal on, and lists the stream subresources in discovery', async () => {
    const two = await admin.post(`/api/v1/namespaces/${ns}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'odd' }, spec: { nodeName: NODE, containers: [{ name: 'missing-container', image: 'busybox' }] } });
    expect(two.status).toBe(201);
    const r = await openWs(`/api/v1/namespaces/${ns}/pods/odd/exec?command=true&stdout=true`, { token: cluster.api.adminToken });
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body ?? '{}')).toMatchObject({ kind: 'Status', message: 'container not found ("missing-container")' });
    const disc = await admin.get<{ resources: { name: string; verbs: string[]; kind: string }[] }>('/api/v1');
    for (const [name, kind] of [['pods/exec', 'PodExecOptions'], ['pods/attach', 'PodAttachOptions'], ['pods/portforward', 'PodPortForwardOptions']]) {
      expect(disc.body.resources.find((x) => x.name === name)).toMatchObject({ verbs: ['create', 'get'], kind });
    }
  });
});
