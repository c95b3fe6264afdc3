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
import { existsSync } from 'node:fs';
import https from 'node:https';
import { isIP } from 'node:net';
import path from 'node:path';
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
  return { host: ip.address, port: node.status?.daemonEndpoints?.kubeletEndpoint?.Port || DEFAULT_KUBELET_PORT };
}

export class KubeletClient {
  readonly #agent: https.Agent;
  /** The agent's TLS options, for connections that bypass it (upgrades). */
  readonly #tls: https.AgentOptions;
  readonly #socketDir: string | undefined;

  constructor(opts: KubeletClientOptions = {}) {
    if (!opts.cert !== !opts.key) throw new Error('the kubelet client certificate and key go together');
    this.#socketDir = opts.socketDir;
    this.#tls = { ca: opts.ca, rejectUnauthorized: opts.ca !== undefined, cert: opts.cert, key: opts.key };
    this.#agent = new https.Agent(this.#tls);
  }

  /** Where and how a kubelet is reached: its address, or the unix socket leading to it. */
  #target(node: Node): { options: https.RequestOptions; name: string; where: string } {
    const { host, port } = kubeletAddress(node);
    const name = node.metadata.name ?? '';
    const socket = this.#socketDir ? path.join(this.#socketDir, `${path.basename(name)}.sock`) : undefined;
    // The certificate is still checked against the node's address (servername), socket or not.
    const via = socket && existsSync(socket) ? { socketPath: socket, servername: isIP(host) ? undefined : host } : {};
    return { options: { agent: this.#agent, host, port, ...via }, name, where: `${host}:${port}` };
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

  /**
   * Sends an upgrade request (WebSocket, SPDY) to a kubelet. Resolves with the switched
   * connection and the kubelet's 101 answer, or, when the kubelet refuses to switch, with
   * its answer (body unread). The connection to the kubelet is its own, never pooled.
   */
  upgrade(node: Node, method: string, pathAndQuery: string, rawHeaders: string[]): Promise<{ switched: { res: IncomingMessage; socket: Duplex; head: Buffer } } | { refused: IncomingMessage }> {
    const t = this.#target(node);
    return new Promise((resolve, reject) => {
      // rawHeaders keep repeated headers apart (SPDY clients offer X-Stream-Protocol-Version several times).
      // No body: a POST without a length would go out chunked, and its closing chunk would
      // reach the kubelet as the first bytes of the upgraded connection.
      const headers = [...rawHeaders, 'Content-Length', '0'];
      const req = https.request({ ...t.options, agent: false, ...this.#tls, method, path: pathAndQuery, headers: headers as unknown as https.RequestOptions['headers'] });
      req.on('upgrade', (res, socket, head) => resolve({ switched: { res, socket, head } }));
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
