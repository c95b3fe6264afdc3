// A byte pipe between a TCP port and a unix socket, the way a lab's kubelets (each in its
// own network namespace) reach the control plane on the host's loopback without the host
// getting an address: node-side `127.0.0.1:6443 -> unix:api.sock`, host-side
// `unix:api.sock -> 127.0.0.1:6443`. TLS passes through untouched. While the block file
// exists (a partitioned node), every connection is cut and new ones are refused.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';

export type ProxyAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export function parseProxyAddress(s: string): ProxyAddress {
  if (s.startsWith('unix:')) {
    const p = s.slice(5);
    if (!p.startsWith('/')) throw new Error(`unix socket path must be absolute: ${s}`);
    return { kind: 'unix', path: p };
  }
  const m = /^tcp:(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(s);
  if (!m || Number(m[2]) > 65535) throw new Error(`want tcp:HOST:PORT or unix:/PATH, not "${s}"`);
  return { kind: 'tcp', host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export interface ProxyOptions {
  listen: ProxyAddress;
  connect: ProxyAddress;
  blockFile?: string;
  pollMs?: number;
}

export interface RunningProxy {
  /** Where it listens (with the real port when asked for port 0). */
  readonly address: ProxyAddress;
  close(): Promise<void>;
  /** Connections currently piped. */
  readonly active: number;
}

export async function startProxy(o: ProxyOptions): Promise<RunningProxy> {
  const sockets = new Set<net.Socket>();
  const blocked = () => o.blockFile !== undefined && existsSync(o.blockFile);
  const server = net.createServer((client) => {
    if (blocked()) {
      client.destroy();
      return;
    }
    const upstream = o.connect.kind === 'unix' ? net.connect(o.connect.path) : net.connect(o.connect.port, o.connect.host);
    sockets.add(client);
    sockets.add(upstream);
    const done = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  if (o.listen.kind === 'unix') await rm(o.listen.path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (o.listen.kind === 'unix') server.listen(o.listen.path, resolve);
    else server.listen(o.listen.port, o.listen.host, resolve);
  });
  const timer = o.blockFile
    ? setInterval(() => {
        if (blocked()) for (const s of sockets) s.destroy();
      }, o.pollMs ?? 250)
    : undefined;
  const bound = server.address();
  const address: ProxyAddress =
    o.listen.kind === 'tcp' && bound && typeof bound === 'object' ? { kind: 'tcp', host: o.listen.host, port: bound.port } : o.listen;
  return {
    address,
    get active() {
      return sockets.size / 2;
    },
    async close() {
      if (timer) clearInterval(timer);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      if (o.listen.kind === 'unix') await rm(o.listen.path, { force: true });
    },
  };
}
