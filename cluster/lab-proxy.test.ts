import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseProxyAddress, startProxy } from './lab-proxy.js';

function roundTrip(port: number, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(msg));
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
      if (got.length >= msg.length) {
        s.end();
        resolve(got);
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(got));
  });
}

describe('lab proxy', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('parses addresses and rejects bad ones', () => {
    expect(parseProxyAddress('tcp:127.0.0.1:6443')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 6443 });
    expect(parseProxyAddress('tcp:[::1]:80')).toEqual({ kind: 'tcp', host: '::1', port: 80 });
    expect(parseProxyAddress('unix:/run/x.sock')).toEqual({ kind: 'unix', path: '/run/x.sock' });
    expect(() => parseProxyAddress('unix:rel.sock')).toThrow(/absolute/);
    expect(() => parseProxyAddress('127.0.0.1:80')).toThrow(/want tcp/);
    expect(() => parseProxyAddress('tcp:h:99999')).toThrow(/want tcp/);
  });

  it('pipes TCP -> unix socket -> TCP both ways, and cuts connections while blocked', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-proxy-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => echo.close(() => r())));
    const echoPort = (echo.address() as AddressInfo).port;
    const sock = path.join(dir, 'api.sock');
    const block = path.join(dir, 'blocked');

    const hostSide = await startProxy({ listen: { kind: 'unix', path: sock }, connect: { kind: 'tcp', host: '127.0.0.1', port: echoPort } });
    cleanups.push(() => hostSide.close());
    const nodeSide = await startProxy({ listen: { kind: 'tcp', host: '127.0.0.1', port: 0 }, connect: { kind: 'unix', path: sock }, blockFile: block, pollMs: 20 });
    cleanups.push(() => nodeSide.close());
    if (nodeSide.address.kind !== 'tcp') throw new Error('want a TCP listener');
    const port = nodeSide.address.port;

    expect(await roundTrip(port, 'hello through two hops')).toBe('hello through two hops');

    // A long-lived connection is cut when the block file appears; new ones are refused.
    const held = net.connect(port, '127.0.0.1');
    await new Promise((r) => held.once('connect', r));
    const closed = new Promise((r) => held.once('close', r));
    await writeFile(block, '');
    await closed;
    expect(await roundTrip(port, 'x')).toBe('');
    await rm(block);
    expect(await roundTrip(port, 'healed')).toBe('healed');
  });
});
