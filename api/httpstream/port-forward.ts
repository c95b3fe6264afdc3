// Port forwarding as kubectl speaks it, over SPDY (`portforward.k8s.io`): for every local
// connection the client opens two streams sharing a `requestID`, first an error stream, which
// it half-closes at once and reads to the end for an error text, then a data stream carrying
// the connection's bytes both ways. Both carry `streamType` (error | data) and `port`.
//
// Since KEP-4006 (kubectl 1.31–1.33 by default; recorded from the binaries) the client first
// tries a WebSocket with the subprotocol `SPDY/3.1+portforward.k8s.io` and runs the very same
// SPDY connection inside it: SPDY bytes in binary messages, message boundaries meaningless.
// `WebSocketStream` turns such a WebSocket into the byte Duplex a SpdySession runs on. If that
// upgrade fails, kubectl falls back to the SPDY upgrade, as 1.27–1.30 always do.
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { SpdyHeaders } from './spdy-framer.js';
import type { SpdySession } from './spdy-session.js';
import type { SpdyStream } from './spdy-stream.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const PORT_FORWARD_WEBSOCKET_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

/**
 * The windows a port-forward client announces: the kubelet keeps them (spdy-session.ts), and
 * SPDY's 64 KiB would hold each connection to one pod socket read per round trip through the
 * API server and cost a WINDOW_UPDATE every 16 KiB. A reader that falls behind still holds
 * no more than a window per connection.
 */
export const PORT_FORWARD_CLIENT_WINDOWS = { streamWindow: 1 << 20, sessionWindow: 16 << 20 } as const;

/** Header names as they travel (spdystream lowercases them). */
export const PortForwardHeader = { StreamType: 'streamtype', Port: 'port', RequestId: 'requestid' } as const;
export type PortForwardStreamType = 'data' | 'error';

export function portForwardHeaders(type: PortForwardStreamType, port: number, requestId: string): SpdyHeaders {
  return { [PortForwardHeader.StreamType]: type, [PortForwardHeader.Port]: String(port), [PortForwardHeader.RequestId]: requestId };
}

export interface PortForwardStreamInfo {
  type: PortForwardStreamType;
  port: number;
  requestId: string;
}

/**
 * Checks a stream's headers as the kubelet does. A client too old to send `requestID` gets one
 * derived from the stream ids, as the kubelet derives it: its error and data streams are
 * consecutive odd ids, so the data stream's id minus 2 names the pair.
 */
export function parsePortForwardHeaders(headers: SpdyHeaders, streamId: number): PortForwardStreamInfo | { error: string } {
  const portText = headers[PortForwardHeader.Port];
  if (!portText) return { error: `"port" header is required` };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return { error: `unable to parse "${portText}" as a port` };
  const type = headers[PortForwardHeader.StreamType];
  if (!type) return { error: `"streamType" header is required` };
  if (type !== 'data' && type !== 'error') return { error: `invalid stream type "${type}"` };
  const requestId = headers[PortForwardHeader.RequestId] || String(type === 'error' ? streamId : streamId - 2);
  return { type, port, requestId };
}

export interface PortForwardPair {
  requestId: string;
  port: number;
  data: SpdyStream;
  error: SpdyStream;
}

export interface PortForwardServerEvents {
  /** Both streams of a request came: forward `data` to `port`, report failure on `error`. */
  pair: [pair: PortForwardPair];
}

/**
 * The server's half: accepts the client's streams, pairs them by request id, and hands out each
 * complete pair. A pair still missing a stream after `timeoutMs` (the kubelet's stream creation
 * timeout, 30 s) is told so on its error stream and dropped.
 */
export class PortForwardServer extends EventEmitter<PortForwardServerEvents> {
  readonly #pending = new Map<string, { data?: SpdyStream; error?: SpdyStream; timer: NodeJS.Timeout }>();
  readonly #timeoutMs: number;

  constructor(session: SpdySession, options: { timeoutMs?: number } = {}) {
    super();
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    session.on('stream', (stream) => this.#accept(stream));
    session.on('close', () => {
      for (const p of this.#pending.values()) clearTimeout(p.timer);
      this.#pending.clear();
    });
  }

  #accept(stream: SpdyStream): void {
    const info = parsePortForwardHeaders(stream.headers, stream.id);
    if ('error' in info) {
      stream.reset();
      return;
    }
    stream.reply();
    let pending = this.#pending.get(info.requestId);
    if (!pending) {
      const timer = setTimeout(() => this.#expire(info.requestId), this.#timeoutMs);
      timer.unref();
      pending = { timer };
      this.#pending.set(info.requestId, pending);
    }
    if (pending[info.type]) {
      pending.error?.write(`error processing stream for request ${info.requestId}: ${info.type} stream already assigned`);
      stream.reset();
      return;
    }
    pending[info.type] = stream;
    if (pending.data && pending.error) {
      clearTimeout(pending.timer);
      this.#pending.delete(info.requestId);
      this.emit('pair', { requestId: info.requestId, port: info.port, data: pending.data, error: pending.error });
    }
  }

  #expire(requestId: string): void {
    const pending = this.#pending.get(requestId);
    if (!pending) return;
    this.#pending.delete(requestId);
    pending.error?.end(`timed out waiting for streams of request ${requestId}`);
    pending.data?.reset();
  }
}

/** The error text the kubelet writes when forwarding fails. */
export function portForwardErrorText(port: number, pod: string, uid: string, cause: string): string {
  return `error forwarding port ${port} to pod ${pod}, uid ${uid}: ${cause}`;
}

/**
 * What a client reads on the error stream: the kubelet's text, or the JSON
 * `{"closeConnection":..,"message":..}` that newer kubelets write. Empty means no error.
 */
export function parsePortForwardError(bytes: Buffer): { message: string; closeConnection: boolean } | undefined {
  if (bytes.length === 0) return undefined;
  const text = bytes.toString('utf8');
  try {
    const value = JSON.parse(text) as { message?: unknown; closeConnection?: unknown };
    if (typeof value === 'object' && value !== null && typeof value.message === 'string') {
      return { message: value.message, closeConnection: value.closeConnection === true };
    }
  } catch {
    // plain text, as most kubelets write it
  }
  return { message: text.trim(), closeConnection: false };
}

/** The client's half for one local connection: error stream first (half-closed), then data. */
export async function openPortForwardStreams(session: SpdySession, port: number, requestId: string): Promise<{ data: SpdyStream; error: SpdyStream }> {
  const error = session.openStream(portForwardHeaders('error', port, requestId));
  await error.waitForReply();
  error.end();
  const data = session.openStream(portForwardHeaders('data', port, requestId));
  await data.waitForReply();
  return { data, error };
}

// `ws` accepts only RFC 7230 tokens as subprotocols, on both ends, and the '/' in
// `SPDY/3.1+portforward.k8s.io` is not one: its server answers kubectl's offer with 400 and its
// client refuses to offer it. So a server rewrites the offer to a token before `ws` reads it
// (`prepareTunnelUpgrade`) and answers with the spelling the client used
// (`selectTunnelProtocol`): the real name to kubectl, the token to a `ws` client (skiff's own).
export const PORT_FORWARD_WEBSOCKET_TOKEN = 'SPDY-3.1-portforward.k8s.io';
const offeredRealName = Symbol('offered SPDY/3.1+portforward.k8s.io');

interface UpgradeRequest {
  headers: Record<string, string | string[] | undefined>;
  [offeredRealName]?: boolean;
}

/** Call on the upgrade request before `wss.handleUpgrade`. */
export function prepareTunnelUpgrade(req: UpgradeRequest): void {
  const header = req.headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return;
  const offered = header.split(',').map((p) => p.trim());
  if (!offered.includes(PORT_FORWARD_WEBSOCKET_PROTOCOL)) return;
  req[offeredRealName] = true;
  const rewritten = offered.map((p) => (p === PORT_FORWARD_WEBSOCKET_PROTOCOL ? PORT_FORWARD_WEBSOCKET_TOKEN : p));
  req.headers['sec-websocket-protocol'] = [...new Set(rewritten)].join(', ');
}

/** For `ws`'s `handleProtocols(offered, req)` on a port-forward endpoint. */
export function selectTunnelProtocol(offered: Set<string>, req: UpgradeRequest): string | false {
  if (!offered.has(PORT_FORWARD_WEBSOCKET_TOKEN)) return false;
  return req[offeredRealName] ? PORT_FORWARD_WEBSOCKET_PROTOCOL : PORT_FORWARD_WEBSOCKET_TOKEN;
}

const OPEN = 1; // WebSocket.OPEN

/**
 * A WebSocket as a byte stream, for KEP-4006's tunnel: every write is one binary message, and
 * received binary messages are read as one byte sequence. Ending it closes the WebSocket
 * (1000), since a WebSocket cannot half-close. Backpressure both ways: a write completes when
 * `ws` has handed the message to the socket, and the socket is paused while the reader is behind.
 * `socket` is the connection under a server's WebSocket (a client's is taken from its upgrade).
 */
export class WebSocketStream extends Duplex {
  readonly #ws: WebSocket;
  #socket: Duplex | undefined;
  #paused = false;

  constructor(ws: WebSocket, socket?: Duplex) {
    super({ allowHalfOpen: false });
    this.#ws = ws;
    this.#socket = socket;
    ws.once('upgrade', (res: IncomingMessage) => (this.#socket = res.socket));
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary || this.readableEnded || this.destroyed) return;
      if (!this.push(data) && !this.#paused) {
        this.#paused = true;
        ws.pause();
      }
    });
    ws.on('close', () => {
      if (!this.readableEnded) this.push(null);
      if (!this.writableFinished) this.destroy();
    });
    ws.on('error', (err: Error) => this.destroy(err));
  }

  override _read(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#ws.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#ws.readyState !== OPEN) return callback(new Error('WebSocket is not open'));
    this.#ws.send(chunk, { binary: true }, (err) => callback(err ?? null));
  }

  // What waited in the buffer (a SPDY session's frames of one round of I/O) leaves as one
  // message of several fragments, one per chunk, with the socket corked around them: one TLS
  // write for all, and no copy of the chunks into one buffer (Buffer.concat here was 4% of the
  // API server's busy time forwarding, and a second allocation of every byte forwarded).
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    if (this.#ws.readyState !== OPEN) return callback(new Error('WebSocket is not open'));
    const socket = this.#socket;
    socket?.cork();
    try {
      for (let i = 0; i < chunks.length; i++) {
        const last = i === chunks.length - 1;
        this.#ws.send(chunks[i]!.chunk, { binary: true, fin: last }, last ? (err) => callback(err ?? null) : undefined);
      }
    } finally {
      socket?.uncork();
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#ws.readyState === OPEN) this.#ws.close(1000);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#ws.readyState === OPEN) {
      if (error) this.#ws.terminate();
      else this.#ws.close(1000);
    }
    callback(error);
  }
}
