// The local half of kubectl port-forward: listeners on this machine, and for every connection
// accepted a pair of streams (error, then data, sharing a requestID) on the one SPDY connection
// to the pod. Bytes are copied both ways; an error the kubelet writes (a refused port, say) is
// reported and closes that one connection, as kubectl does, and the forward keeps running.
import net from 'node:net';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { openPortForwardStreams, parsePortForwardError } from '../../api/httpstream/port-forward.js';
import { relayBoth } from '../../api/httpstream/relay.js';
import type { SpdySession } from '../../api/httpstream/spdy-session.js';
import { CliError } from '../errors.js';

export interface PortMapping {
  /** 0: any free port. */
  local: number;
  remote: number;
}

function port(text: string, spec: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new CliError(`invalid port "${text}" in "${spec}": a number from 1 to 65535`);
  return n;
}

/** kubectl's port spec: `REMOTE` (the same port here), `LOCAL:REMOTE`, or `:REMOTE` (any free local port). */
export function parsePortMapping(spec: string): PortMapping {
  const parts = spec.split(':');
  if (parts.length === 1) {
    const p = port(parts[0]!, spec);
    return { local: p, remote: p };
  }
  if (parts.length !== 2) throw new CliError(`invalid port specification "${spec}": use [LOCAL:]REMOTE`);
  return { local: parts[0] === '' ? 0 : port(parts[0]!, spec), remote: port(parts[1]!, spec) };
}

export class PortForwarder {
  readonly #session: SpdySession;
  readonly #out: Writable;
  readonly #err: Writable;
  readonly #servers: net.Server[] = [];
  #nextRequest = 0;

  constructor(session: SpdySession, io: { stdout: Writable; stderr: Writable }) {
    this.#session = session;
    this.#out = io.stdout;
    this.#err = io.stderr;
  }

  /** Listens on every address for every mapping and says so, as kubectl does. */
  async listen(addresses: string[], mappings: PortMapping[]): Promise<void> {
    for (const mapping of mappings) {
      let local = mapping.local;
      for (const address of addresses) {
        const server = net.createServer({ noDelay: true }, (socket) => this.#forward(socket, local, mapping.remote));
        server.listen(local, address);
        await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(new CliError(`unable to listen on ${address}:${local}: ${(err as Error).message}`)))]);
        this.#servers.push(server);
        // `:REMOTE` takes one free port, then uses it on every other address too.
        local = (server.address() as net.AddressInfo).port;
        const shown = address.includes(':') ? `[${address}]` : address;
        this.#out.write(`Forwarding from ${shown}:${local} -> ${mapping.remote}\n`);
      }
    }
  }

  #forward(socket: net.Socket, local: number, remote: number): void {
    this.#out.write(`Handling connection for ${local}\n`);
    const requestId = String(this.#nextRequest++);
    socket.on('error', () => undefined);
    openPortForwardStreams(this.#session, remote, requestId).then(
      ({ data, error }) => {
        const chunks: Buffer[] = [];
        error.on('data', (c: Buffer) => chunks.push(c));
        error.on('error', () => undefined);
        error.once('end', () => {
          const failure = parsePortForwardError(Buffer.concat(chunks));
          if (!failure) return;
          this.#err.write(`error: an error occurred forwarding ${local} -> ${remote}: ${failure.message}\n`);
          socket.destroy();
        });
        data.on('error', () => socket.destroy());
        relayBoth(socket, data);
        // A FIN rather than a reset: the kubelet then closes its side and both streams end.
        socket.once('close', () => {
          if (!data.writableEnded && !data.destroyed) data.end();
        });
      },
      (err: Error) => {
        this.#err.write(`error: an error occurred forwarding ${local} -> ${remote}: ${err.message}\n`);
        socket.destroy();
      },
    );
  }

  close(): void {
    for (const server of this.#servers) server.close();
  }
}
