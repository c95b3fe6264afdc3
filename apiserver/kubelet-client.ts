// How the API server calls kubelets (pods/log, nodes/proxy): HTTPS to the node's InternalIP
// and advertised kubelet port, proving itself with its client certificate
// (--kubelet-client-certificate/--kubelet-client-key, as kube-apiserver), which kubelets
// check against their --client-ca-file; no token, which every node would hold. The kubelet's
// serving certificate is verified against --kubelet-certificate-authority when one is given;
// without it it is not verified, as kube-apiserver does without that flag: the channel is
// encrypted, but someone who can take over a node's address could fake answers (never learn
// a credential: the client key never leaves this side). Give the CA in production.
// Kubelets the server has no route to (lab nodes, each in a network namespace of its own) are
// reached through unix sockets named <node>.sock in --kubelet-socket-dir, with the same TLS.
// Streams (exec, attach, port-forward) take a connection of their own each, so their TLS is
// made cheap: one secure context (the client key and CAs parsed once), and the kubelet's last
// session ticket per address resumed (no certificate sent, signed or checked again; the
// kubelet still knows the API server's certificate from the ticket, which only it can open).
// The connection can be started before the request is ready (connect()), while the pod and
// its node are still being read.
import { existsSync } from 'node:fs';
import https from 'node:https';
import { isIP } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { ApiError, errors } from '../api/errors.js';
import type { Node } from '../api/types/core.js';

export interface KubeletClientOptions {
  /** PEM client certificate and key the kubelets accept from the API server. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** PEM CA (or the certificates themselves) that the kubelets' serving certificates chain to. */
  ca?: string | Buffer;
  /** A directory of <node>.sock unix sockets leading to kubelets with no route from here. */
  socketDir?: string;
}

export const DEFAULT_KUBELET_PORT = 10250;

/** host:port of a node's kubelet, from its status (InternalIP, daemonEndpoints). */
export function kubeletAddress(node: Node): { host: string; port: number } {
  const addrs = node.status?.addresses ?? [];
  const ip = addrs.find((a) => a.type === 'InternalIP') ?? addrs.find((a) => a.type === 'ExternalIP') ?? addrs.find((a) => a.type === 'Hostname');
  if (!ip) throw errors.badRequest(`node "${node.metadata.name ?? ''}" has no address to reach its kubelet`);
  return { host: ip.address, port: kubeletPort(node) };
}

/** The port a node's kubelet advertises (daemonEndpoints), 10250 when none. */
export function kubeletPort(node: Node): number {
  return node.status?.daemonEndpoints?.kubeletEndpoint?.Port || DEFAULT_KUBELET_PORT;
}

/** Session tickets kept, one per kubelet address; the oldest goes first beyond this. */
const MAX_SESSIONS = 4096;

/** A TLS connection to a kubelet, started ahead of the request that will use it. */
export interface KubeletConnection {
  /** Where it goes (address, or unix socket, and the name checked): a request elsewhere cannot take it. */
  readonly key: string;
  /** Resolves once the TLS handshake is done. */
  readonly ready: Promise<tls.TLSSocket>;
  /** Closes it, when no request takes it. */
  discard(): void;
}

interface Target {
  options: https.RequestOptions;
  name: string;
  where: string;
  /** What a stream's connection is made with. */
  tls: tls.ConnectionOptions;
  key: string;
}

export class KubeletClient {
  readonly #agent: https.Agent;
  readonly #socketDir: string | undefined;
  /** The client certificate, its key and the CAs, parsed once for every stream's connection. */
  readonly #context: tls.SecureContext;
  readonly #verify: boolean;
  readonly #sessions = new Map<string, Buffer>();

  constructor(opts: KubeletClientOptions = {}) {
    if (!opts.cert !== !opts.key) throw new Error('the kubelet client certificate and key go together');
    this.#socketDir = opts.socketDir;
    this.#verify = opts.ca !== undefined;
    const secure = { ca: opts.ca, cert: opts.cert, key: opts.key };
    this.#context = tls.createSecureContext(secure);
    this.#agent = new https.Agent({ ...secure, rejectUnauthorized: this.#verify });
  }

  /** Where and how a kubelet is reached: its address, or the unix socket leading to it. */
  #target(node: Node): Target {
    const { host, port } = kubeletAddress(node);
    const name = node.metadata.name ?? '';
    const socket = this.#socketDir ? path.join(this.#socketDir, `${path.basename(name)}.sock`) : undefined;
    const viaSocket = socket !== undefined && existsSync(socket);
    // The certificate is checked against the node's address (servername), socket or not.
    const servername = isIP(host) ? undefined : host;
    const via = viaSocket ? { socketPath: socket, servername } : {};
    const where = `${host}:${port}`;
    return {
      options: { agent: this.#agent, host, port, ...via },
      name,
      where,
      tls: { ...(viaSocket ? { path: socket } : { host, port }), host, servername, secureContext: this.#context, rejectUnauthorized: this.#verify },
      key: `${where}|${viaSocket ? socket : ''}`,
    };
  }

  #unreachable(t: { name: string; where: string }, err: Error): ApiError {
    return new ApiError(503, 'ServiceUnavailable', `error trying to reach the kubelet of node "${t.name}" at ${t.where}: ${err.message}`);
  }

  /** Sends a request to a kubelet and resolves with its response (any status), body unread. */
  request(node: Node, method: string, pathAndQuery: string, opts: { body?: Readable; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<IncomingMessage> {
    const t = this.#target(node);
    return new Promise((resolve, reject) => {
      const req = https.request({ ...t.options, method, path: pathAndQuery, signal: opts.signal, headers: opts.headers });
      req.on('response', resolve);
      req.on('error', (err) => reject(this.#unreachable(t, err)));
      if (opts.body) opts.body.pipe(req);
      else req.end();
    });
  }

  /** Starts a stream's own TLS connection to a node's kubelet, resuming the last session with that address. */
  connect(node: Node): KubeletConnection {
    return this.#connect(this.#target(node));
  }

  #connect(t: Target): KubeletConnection {
    const socket = tls.connect({ ...t.tls, session: this.#sessions.get(t.key) });
    socket.on('session', (ticket: Buffer) => {
      this.#sessions.delete(t.key);
      this.#sessions.set(t.key, ticket);
      if (this.#sessions.size > MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value as string);
    });
    const ready = new Promise<tls.TLSSocket>((resolve, reject) => {
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', (err) => {
        this.#sessions.delete(t.key);
        reject(this.#unreachable(t, err));
      });
    });
    // Nobody may be waiting yet (or ever, for a connection discarded): no unhandled rejection.
    ready.catch(() => undefined);
    return { key: t.key, ready, discard: () => socket.destroy() };
  }

  /**
   * Sends an upgrade request (WebSocket, SPDY) to a kubelet, on `early` when it was started for
   * this same kubelet (else it is discarded). Resolves with the switched connection and the
   * kubelet's 101 answer, or, when the kubelet refuses to switch, with its answer (body
   * unread). The connection to the kubelet is its own, never pooled.
   */
  async upgrade(node: Node, method: string, pathAndQuery: string, rawHeaders: string[], early?: KubeletConnection): Promise<{ switched: { res: IncomingMessage; socket: Duplex; head: Buffer } } | { refused: IncomingMessage }> {
    const t = this.#target(node);
    let conn = early;
    if (conn?.key !== t.key) {
      conn?.discard();
      conn = this.#connect(t);
    }
    const socket = await conn.ready;
    return new Promise((resolve, reject) => {
      // rawHeaders keep repeated headers apart (SPDY clients offer X-Stream-Protocol-Version several times).
      // No body: a POST without a length would go out chunked, and its closing chunk would
      // reach the kubelet as the first bytes of the upgraded connection.
      const headers = [...rawHeaders, 'Content-Length', '0'];
      const req = https.request({ host: t.options.host, port: t.options.port, createConnection: () => socket, method, path: pathAndQuery, headers: headers as unknown as https.RequestOptions['headers'] });
      req.on('upgrade', (res, up, head) => resolve({ switched: { res, socket: up, head } }));
      req.on('response', (res) => resolve({ refused: res }));
      req.on('error', (err) => reject(this.#unreachable(t, err)));
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Reads a (small) error answer of a kubelet. */
export async function readText(res: IncomingMessage, max = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    const b = c as Buffer;
    if (n < max) chunks.push(b.subarray(0, max - n));
    n += b.length;
  }
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** A kubelet's error answer as the Status kube-apiserver would send. */
export function kubeletError(node: string, status: number, text: string): ApiError {
  if (status === 400) return errors.badRequest(text);
  if (status === 404) return new ApiError(404, 'NotFound', text);
  if (status === 401 || status === 403) {
    return errors.internal(`the kubelet of node "${node}" refused the API server's credentials (${status}: ${text}); check --kubelet-client-certificate and the kubelet's --client-ca-file`);
  }
  return errors.internal(`kubelet of node "${node}" answered ${status}: ${text}`);
}
