// The kubelet's streaming endpoints on its real HTTPS server (real TLS, the API server's client
// certificate), with the fake runtime underneath (the real runtime's streams are proven in
// test/runtime/streams.test.ts, and the whole path with kubectl in streams.test.ts): who may
// open a stream, what a request that is no upgrade gets, and that a stream idle for
// --streaming-connection-idle-timeout is closed with its process killed, while one that keeps
// moving bytes is not.
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Pod } from '../../api/types/core.js';
import { Channel } from '../../api/httpstream/channel-protocol.js';
import { containerLabels, podLabels } from '../../kubelet/labels.js';
import { KubeletAuthenticator } from '../../kubelet/server/authn.js';
import { startKubeletServer, type RunningKubeletServer } from '../../kubelet/server/server.js';
import { FakeRuntime } from '../../runtime/fake/fake-runtime.js';
import { eventually } from '../fixtures/eventually.js';
import { kubeletPki, type KubeletPki } from '../fixtures/kubelet-pki.js';

const IDLE_MS = 400;
const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'ns1', uid: 'uid-web' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } };

let pki: KubeletPki;
let rt: FakeRuntime;
let server: RunningKubeletServer;
/** The exec'd processes the fake ran, and whether each was killed. */
const runs: { cmd: string[]; killed: () => boolean }[] = [];

beforeAll(async () => {
  pki = await kubeletPki('n1');
  rt = new FakeRuntime();
  rt.addImage('busybox');
  const sandboxConfig = { metadata: { name: 'web', namespace: 'ns1', uid: 'uid-web', attempt: 0 }, labels: podLabels(pod) };
  const sb = await rt.runPodSandbox(sandboxConfig);
  const ctr = await rt.createContainer(sb, { metadata: { name: 'app', attempt: 0 }, image: { image: 'busybox' }, labels: containerLabels(pod, pod.spec.containers[0]!, false) }, sandboxConfig);
  await rt.startContainer(ctr);
  // "cat" echoes stdin; anything else waits until killed.
  rt.execStreamHandler = (_id, io) => {
    runs.push({ cmd: io.options.cmd, killed: () => io.signal.aborted });
    if (io.options.cmd[0] === 'cat') {
      io.stdin.pipe(io.stdout);
      return new Promise((resolve) => io.stdin.once('end', () => resolve(0)));
    }
    return new Promise(() => undefined);
  };
  server = await startKubeletServer({
    nodeName: 'n1',
    runtime: rt,
    images: {} as never,
    pods: () => [pod],
    statusOf: () => undefined,
    authn: new KubeletAuthenticator({ clientCA: pki.ca }),
    tls: pki.serving,
    host: '127.0.0.1',
    port: 0,
    streamIdleTimeoutMs: IDLE_MS,
  });
});

afterAll(async () => {
  await server?.close();
});

const base = () => `https://127.0.0.1:${server.port}`;

/** A v5 exec WebSocket to the kubelet as the API server opens it (or as `who` would). */
function openExec(cmd: string[], who: { apiServer?: boolean; token?: string } = { apiServer: true }): Promise<{ ws?: WebSocket; status?: number }> {
  const q = new URLSearchParams([...cmd.map((c): [string, string] => ['command', c]), ['input', '1'], ['output', '1']]);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base().replace('https', 'wss')}/exec/ns1/web/app?${q.toString()}`, ['v5.channel.k8s.io'], {
      ca: pki.ca,
      ...(who.apiServer ? pki.apiClient : {}),
      headers: who.token ? { authorization: `Bearer ${who.token}` } : {},
    });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.once('error', reject);
  });
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

describe("the kubelet's stream endpoints", () => {
  it("take the API server's certificate alone: no credential 401, a node's token 403", async () => {
    expect((await openExec(['cat'], {})).status).toBe(401);
    expect((await openExec(['cat'], { token: 'a-node-token' })).status).toBe(403);
    const ok = await openExec(['cat']);
    expect(ok.ws).toBeDefined();
    ok.ws?.close();
  });

  it('answer a request that is no upgrade with 400 "Upgrade request required"', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      https
        .get(`${base()}/exec/ns1/web/app?command=true&output=1`, { ca: pki.ca, ...pki.apiClient, agent: false }, (r) => {
          let body = '';
          r.on('data', (d: Buffer) => (body += d.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });
    expect(res).toEqual({ status: 400, body: 'Upgrade request required' });
  });

  it('close a stream idle for the timeout and kill its process; traffic keeps one open', async () => {
    const idle = await openExec(['sleep', '1000']);
    const ws = idle.ws as WebSocket;
    const started = Date.now();
    await closed(ws);
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 50);
    await eventually(() => runs.find((r) => r.cmd[0] === 'sleep')?.killed(), 'the idle exec killed');

    const busy = (await openExec(['cat'])).ws as WebSocket;
    const echoed: string[] = [];
    busy.on('message', (m: Buffer) => m[0] === Channel.Stdout && m.length > 1 && echoed.push(m.subarray(1).toString()));
    // Bytes every IDLE_MS / 4 for three idle periods: still open, everything echoed.
    for (let i = 0; i < 12; i++) {
      busy.send(Buffer.concat([Buffer.from([Channel.Stdin]), Buffer.from(`${i};`)]));
      await new Promise((r) => setTimeout(r, IDLE_MS / 4));
    }
    expect(busy.readyState).toBe(WebSocket.OPEN);
    await eventually(() => echoed.join('').endsWith('11;'), 'the busy stream echoed');
    busy.close();
    await closed(busy);
  });
});
