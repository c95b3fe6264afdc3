// httpGet and tcpSocket against real servers on 127.0.0.1, exec through the fake runtime.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from '../../api/types/core.js';
import { FakeRuntime } from '../../runtime/fake/fake-runtime.js';
import { httpProbe } from './http-probe.js';
import { runProbe } from './run-probe.js';
import { tcpProbe } from './tcp-probe.js';

let server: http.Server;
let port = 0;
const sockets = new Set<net.Socket>();
let seenHeaders: http.IncomingHttpHeaders = {};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seenHeaders = req.headers;
    if (req.url === '/healthy') res.end('ok');
    else if (req.url === '/redirect') res.writeHead(302, { Location: '/healthy' }).end();
    else if (req.url === '/slow') setTimeout(() => res.end('late'), 3000).unref();
    else res.writeHead(500).end('broken');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

const target = (path: string, p = port) => ({ scheme: 'HTTP' as const, host: '127.0.0.1', port: p, path, headers: {} });

/** A port with nothing listening: bound then closed by us. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

describe('httpGet probe', () => {
  it('succeeds on 200 and on a redirect (3xx)', async () => {
    expect(await httpProbe(target('/healthy'), 1000)).toEqual({ result: 'Success', output: 'ok' });
    expect((await httpProbe(target('/redirect'), 1000)).result).toBe('Success');
  });

  it('fails on 500 with the status code in the message', async () => {
    expect(await httpProbe(target('/broken'), 1000)).toEqual({ result: 'Failure', output: 'HTTP probe failed with statuscode: 500' });
  });

  it('fails when the server does not answer within the timeout', async () => {
    const out = await httpProbe(target('/slow'), 200);
    expect(out.result).toBe('Failure');
    expect(out.output).toContain('context deadline exceeded');
  });

  it('fails with connection refused when nothing listens', async () => {
    const out = await httpProbe(target('/', await closedPort()), 1000);
    expect(out.result).toBe('Failure');
    expect(out.output).toMatch(/ECONNREFUSED|refused/);
  });

  it('goes to the pod IP and a named port, with the probe headers', async () => {
    const c: Container = { name: 'app', image: 'x', ports: [{ name: 'http', containerPort: port }] };
    const out = await runProbe(
      { httpGet: { path: '/healthy', port: 'http', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } },
      { podIP: '127.0.0.1', containerId: 'c1', container: c, runtime: new FakeRuntime() },
    );
    expect(out.result).toBe('Success');
    expect(seenHeaders['x-probe']).toBe('yes');
    expect(seenHeaders['user-agent']).toMatch(/^kube-probe\//);
  });
});

describe('tcpSocket probe', () => {
  it('succeeds when the port accepts and fails when it refuses', async () => {
    expect((await tcpProbe('127.0.0.1', port, 1000)).result).toBe('Success');
    const closed = await closedPort();
    expect(await tcpProbe('127.0.0.1', closed, 1000)).toEqual({ result: 'Failure', output: `dial tcp 127.0.0.1:${closed}: connect: connection refused` });
  });
});

describe('exec probe', () => {
  it('runs the command through execSync with the timeout; exit 0 succeeds, else fails with the output', async () => {
    const rt = new FakeRuntime();
    rt.addImage('x');
    const sb = await rt.runPodSandbox({ metadata: { name: 'p', uid: 'u', namespace: 'default', attempt: 0 } });
    const id = await rt.createContainer(sb, { metadata: { name: 'app', attempt: 0 }, image: { image: 'x' } }, { metadata: { name: 'p', uid: 'u', namespace: 'default', attempt: 0 } });
    // A probe runs in a running container; the runtime refuses exec in any other state.
    await rt.startContainer(id);
    let exit = 0;
    rt.execHandler = async () => ({ stdout: Buffer.from(''), stderr: Buffer.from(exit ? 'not healthy\n' : ''), exitCode: exit });
    const c: Container = { name: 'app', image: 'x' };
    const probe = { exec: { command: ['cat', '/tmp/healthy'] }, timeoutSeconds: 3 };
    const t = { podIP: '', containerId: id, container: c, runtime: rt };
    expect((await runProbe(probe, t)).result).toBe('Success');
    exit = 1;
    expect(await runProbe(probe, t)).toEqual({ result: 'Failure', output: 'not healthy' });
    expect(rt.callsOf('execSync').map((x) => x.args)).toEqual([
      [id, ['cat', '/tmp/healthy'], 3],
      [id, ['cat', '/tmp/healthy'], 3],
    ]);
    // The output kept is its first 10 KiB, stdout before stderr, as the kubelet's exec prober keeps.
    rt.execHandler = async () => ({ stdout: Buffer.alloc(8 * 1024, 'o'), stderr: Buffer.alloc(8 * 1024, 'e'), exitCode: 1 });
    expect((await runProbe(probe, t)).output).toBe('o'.repeat(8 * 1024) + 'e'.repeat(2 * 1024));
  });
});
