// The node agent's relay to its API server: a TCP byte relay on the node's InternalIP to the
// host and port of the API server URL the node itself uses. It is what the `kubernetes`
// Service's endpoints name (the API server's --kubernetes-service-target-port), because pods
// cannot reach the API server's own address: a lab's host has none on the lab's network, and
// under `skiff up` it listens on the host's loopback. TLS passes through untouched: pods
// verify the API server's own certificate (which names the Service's ClusterIP and
// kubernetes.default.svc) with the cluster CA.
import net from 'node:net';
import type { Logger } from 'pino';
import { relayBoth } from '../api/httpstream/relay.js';

export interface ApiRelay {
  port: number;
  close(): Promise<void>;
}

/** Where a connection to `server` (an http(s) URL) goes: its host and port. */
export function relayTarget(server: string): { host: string; port: number } {
  const url = new URL(server);
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

export async function startApiRelay(opts: { host: string; port: number; server: string; logger: Logger }): Promise<ApiRelay> {
  const target = relayTarget(opts.server);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(target.port, target.host);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.setNoDelay(true);
      // Either side failing ends both: the client sees a reset, as with the API server itself.
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    relayBoth(inbound, outbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  opts.logger.info({ listen: `${opts.host}:${port}`, to: `${target.host}:${target.port}` }, 'API server relay running');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
