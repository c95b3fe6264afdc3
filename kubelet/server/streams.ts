// The kubelet's streaming endpoints (Kubernetes' kubelet streaming server, served on its HTTPS
// port): /exec/{ns}/{pod}/{container}, /attach/{ns}/{pod}/{container} and
// /portForward/{ns}/{pod}, reached by the API server
// alone (its client certificate, authn.ts), which carries the client's upgrade here byte for
// byte. Kubernetes' kubelet speaks SPDY and lets kube-apiserver translate WebSocket; skiff's
// API server translates nothing, so this side speaks every envelope kubectl uses:
//   exec and attach: WebSocket `v5.channel.k8s.io`, `v4.channel.k8s.io`, `channel.k8s.io`, or a SPDY/3.1
//         upgrade with `X-Stream-Protocol-Version` v4..v1 (kubectl 1.27–1.29);
//   portForward: SPDY/3.1 `portforward.k8s.io`, plain (kubectl 1.27–1.30) or tunnelled in a
//         WebSocket as `SPDY/3.1+portforward.k8s.io` (KEP-4006, kubectl 1.31+).
// The protocols are api/httpstream's; the processes and connections are the runtime's (CRI
// Exec, Attach and PortForward). A stream with no bytes either way for the idle timeout
// (--streaming-connection-idle-timeout, 4 h as the kubelet) is closed; a client that goes away
// kills its exec'd process and nothing else in the container, or detaches from the container
// it attached to. An API server in this same process hands its client's connection over
// directly (serveInProcess, api/httpstream/in-process-kubelet.ts): the same endpoints and
// envelopes, without the TLS hop.
import type { IncomingMessage } from 'node:http';
import type { InProcessStreamRequest } from '../../api/httpstream/in-process-kubelet.js';
import type { Duplex, Readable, Writable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { selectWebSocketProtocol } from '../../api/httpstream/channel-protocol.js';
import { ChannelServerSession } from '../../api/httpstream/channel-session.js';
import { PORT_FORWARD_PROTOCOL, PortForwardServer, WebSocketStream, portForwardErrorText, prepareTunnelUpgrade, selectTunnelProtocol } from '../../api/httpstream/port-forward.js';
import {
  RemoteCommandProtocol,
  SPDY_REMOTE_COMMAND_PROTOCOLS,
  acceptRemoteCommandStreams,
  readResizeStream,
  encodeStatus,
  exitCodeStatus,
  internalErrorStatus,
  successStatus,
  type RemoteCommandOptions,
  type RemoteCommandStatus,
} from '../../api/httpstream/remote-command.js';
import { relayBoth } from '../../api/httpstream/relay.js';
import { SpdySession } from '../../api/httpstream/spdy-session.js';
import { isSpdyUpgrade, spdyHandshake } from '../../api/httpstream/spdy-upgrade.js';
import type { Pod, PodStatus } from '../../api/types/core.js';
import type { RuntimeService, StreamSession, TerminalSize } from '../../runtime/cri.js';
import type { Logger } from '../logger.js';
import type { KubeletAuthenticator } from './authn.js';
import { HttpError, pathSegments } from './http.js';
import { parseStreamPath, readySandbox, runningContainer, type StreamRequest } from './stream-targets.js';

/** The kubelet's default --streaming-connection-idle-timeout. */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 4 * 60 * 60 * 1000;

export interface StreamServerOptions {
  runtime: RuntimeService;
  pods(): Pod[];
  statusOf(uid: string): PodStatus | undefined;
  authn: KubeletAuthenticator;
  idleTimeoutMs?: number;
  log: Logger;
}

/** What a remote command's client sends and reads, whichever envelope carries it. */
interface RemoteCommandEnds {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  onResize(cb: (size: TerminalSize) => void): void;
  finish(status: RemoteCommandStatus): Promise<void>;
  /** Ends the connection at once (idle, or the process could not start). */
  abort(): void;
  /** Settles when the client's connection is gone. */
  gone: Promise<void>;
}

const ignore = (): void => undefined;

/** A request for `ws`'s handleUpgrade, which reads only its method and headers (the in-process one is no IncomingMessage). */
const asUpgrade = (req: InProcessStreamRequest): IncomingMessage => req as IncomingMessage;

/** A whole HTTP/1.1 refusal on a socket no ServerResponse owns. */
function refuse(socket: Duplex, status: number, message: string): void {
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status] ?? 'Error';
  if (!socket.writable) return void socket.destroy();
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`);
}

/**
 * Answers a SPDY/3.1 upgrade with the protocol picked from `supported` and starts the server's
 * session on the socket; undefined when there is none in common (the 403 is already written).
 */
function acceptSpdy(req: InProcessStreamRequest, socket: Duplex, head: Buffer, supported: readonly string[]): { session: SpdySession; protocol: string } | undefined {
  const hs = spdyHandshake(req.headers, supported);
  if (!hs.ok) {
    socket.end(hs.response);
    return undefined;
  }
  socket.write(hs.response);
  if (head.length) socket.unshift(head);
  return { session: new SpdySession(socket, { role: 'server' }), protocol: hs.protocol };
}

/** The kubelet's query for a remote command (the API server maps stdin/stdout/stderr to input/output/error). */
export function remoteCommandQuery(kind: 'exec' | 'attach', q: URLSearchParams): RemoteCommandOptions & { command: string[] } {
  const on = (name: string) => ['1', 'true'].includes(q.get(name) ?? '');
  const tty = on('tty');
  const options = { stdin: on('input'), stdout: on('output'), stderr: on('error') && !tty, tty, command: q.getAll('command') };
  if (!options.stdin && !options.stdout && !on('error')) throw new HttpError(400, 'you must specify at least 1 of stdin, stdout, stderr');
  if (kind === 'exec' && options.command.length === 0) throw new HttpError(400, 'you must specify a command');
  return options;
}

/** Closes a stream that moved no byte either way for `ms`; `touch` marks traffic. */
function idleTimer(ms: number, onIdle: () => void): { touch(): void; stop(): void } {
  // One timer, re-armed in place on each chunk: a new one per chunk was garbage per chunk forwarded.
  const timer = setTimeout(onIdle, ms);
  timer.unref();
  let stopped = false;
  return {
    touch: () => {
      if (!stopped) timer.refresh();
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** A Writable's end, whether it finished or was torn down. */
function done(s: Readable | undefined): Promise<void> {
  if (!s || s.readableEnded || s.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    s.once('end', resolve);
    s.once('close', resolve);
  });
}

export class StreamServer {
  readonly #o: StreamServerOptions;
  readonly #idleMs: number;
  readonly #wss: WebSocketServer;
  readonly #tunnel: WebSocketServer;
  /** Every upgraded connection, so that close() ends them (the https server forgets them). */
  readonly #sockets = new Set<Duplex>();

  constructor(o: StreamServerOptions) {
    this.#o = o;
    this.#idleMs = o.idleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS;
    // No subprotocol in common: ws answers without one, and the stream speaks channel.k8s.io (v1), as the kubelet does.
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20, handleProtocols: (offered) => selectWebSocketProtocol(offered) });
    this.#tunnel = new WebSocketServer({ noServer: true, maxPayload: 1 << 20, handleProtocols: (offered, req) => selectTunnelProtocol(offered, req) });
  }

  /** Whether a path is one of the streaming endpoints (then it takes an upgrade, nothing else). */
  static isStreamPath(pathname: string): boolean {
    return /^\/(exec|attach|portForward)\//.test(pathname);
  }

  /** The https server's 'upgrade' listener: the caller proves itself with its client certificate. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#adopt(socket);
    const served = async () => {
      const verdict = this.#o.authn.judge(req, { verb: req.method === 'POST' ? 'create' : 'get', subresource: 'proxy' });
      if (!verdict.allowed) throw new HttpError(verdict.status, verdict.message);
      return this.#serve(req, socket, head);
    };
    served().catch((err: unknown) => refuse(socket, this.#failure(err, req.url).status, err instanceof Error ? err.message : String(err)));
  }

  /**
   * The in-process API server's entry (InProcessStreamHandler): a stream it has authorized, on
   * its client's connection. A refusal before switching protocols rejects with an HttpError
   * (its status, the message the port would have answered) and writes nothing.
   */
  serveInProcess(req: InProcessStreamRequest, socket: Duplex, head: Buffer): Promise<void> {
    this.#adopt(socket);
    return this.#serve(req, socket, head).catch((err: unknown) => {
      const { status } = this.#failure(err, req.url);
      throw err instanceof HttpError ? err : new HttpError(status, err instanceof Error ? err.message : String(err));
    });
  }

  /** A connection now carrying a stream: no Nagle delay, and ended by close(). */
  #adopt(socket: Duplex): void {
    socket.on('error', () => socket.destroy());
    // Small interactive frames (keystrokes, a request per forwarded connection): no Nagle delay.
    (socket as Duplex & { setNoDelay?(on: boolean): void }).setNoDelay?.(true);
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  /** A failed stream's status; an unexpected failure (500) is logged. */
  #failure(err: unknown, path: string | undefined): { status: number } {
    const status = err instanceof HttpError ? err.status : 500;
    if (status === 500) this.#o.log.warn({ err, path }, 'kubelet stream failed');
    return { status };
  }

  async #serve(req: InProcessStreamRequest, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const method = req.method ?? 'GET';
    const target = parseStreamPath(pathSegments(url.pathname));
    if (!target) throw new HttpError(404, `404 page not found: ${method} ${url.pathname}`);
    if (target.kind === 'portForward') return this.#portForward(target, req, socket, head);
    const options = remoteCommandQuery(target.kind, url.searchParams);
    const containerId = await runningContainer(this.#o, target.namespace, target.pod, target.container);
    const ends = await this.#remoteCommandEnds(options, req, socket, head);
    if (!ends) return;
    // One path for both: only the runtime's call differs.
    const start =
      target.kind === 'exec'
        ? () => this.#o.runtime.exec(containerId, { cmd: options.command, tty: options.tty, stdin: options.stdin })
        : () => this.#o.runtime.attach(containerId, { stdin: options.stdin });
    await this.#remoteCommand(target.kind, start, ends, `${target.namespace}/${target.pod}/${target.container}`);
  }

  /** The client's streams over the envelope it asked for (WebSocket channels or SPDY streams). */
  /** undefined when the client's SPDY upgrade offers no protocol in common (refused already). */
  async #remoteCommandEnds(options: RemoteCommandOptions, req: InProcessStreamRequest, socket: Duplex, head: Buffer): Promise<RemoteCommandEnds | undefined> {
    const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    if (isSpdyUpgrade(req.headers)) {
      const spdy = acceptSpdy(req, socket, head, SPDY_REMOTE_COMMAND_PROTOCOLS);
      if (!spdy) return undefined;
      const { session, protocol } = spdy;
      const streams = await acceptRemoteCommandStreams(session, options, protocol);
      // A client that goes away resets its streams (kubectl cancels them): the end of the
      // stream, never an error that could take the kubelet down.
      for (const stream of Object.values(streams)) stream?.on('error', ignore);
      const resizes: ((size: TerminalSize) => void)[] = [];
      if (streams.resize) readResizeStream(streams.resize, (size) => resizes.forEach((cb) => cb({ width: size.Width, height: size.Height })));
      return {
        stdin: streams.stdin,
        stdout: streams.stdout,
        stderr: streams.stderr,
        onResize: (cb) => resizes.push(cb),
        finish: async (status) => {
          await Promise.all([streams.stdout, streams.stderr].map((s) => (s ? new Promise<void>((r) => s.end(r)) : undefined)));
          const bytes = encodeStatus(status, protocol);
          await new Promise<void>((r) => streams.error.end(bytes.length ? bytes : undefined, r));
          session.close();
        },
        abort: () => session.destroy(),
        gone,
      };
    }
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') throw new HttpError(400, 'Upgrade request required');
    const ws = await new Promise<WebSocket>((resolve) => this.#wss.handleUpgrade(asUpgrade(req), socket, head, resolve));
    ws.on('error', () => ws.terminate());
    const session = new ChannelServerSession(ws, { ...options, protocol: ws.protocol || RemoteCommandProtocol.V1 });
    return {
      stdin: session.stdin,
      stdout: session.stdout,
      stderr: session.stderr,
      onResize: (cb) => session.on('resize', (s) => cb({ width: s.Width, height: s.Height })),
      finish: (status) => session.finish(status),
      abort: () => ws.terminate(),
      gone,
    };
  }

  /**
   * A remote command's session carried to the client: exec's process, or attach's container.
   * kill() is the runtime's: exec kills the process, attach only detaches.
   */
  async #remoteCommand(kind: 'exec' | 'attach', start: () => Promise<StreamSession>, ends: RemoteCommandEnds, what: string): Promise<void> {
    // The client sends its terminal's size at once, often before the runtime has the session:
    // the latest one waits for it (else the terminal would stay 0x0 until the next resize).
    let proc: StreamSession | undefined;
    let early: TerminalSize | undefined;
    ends.onResize((size) => (proc ? proc.resize(size) : (early = size)));
    try {
      proc = await start();
      if (early) proc.resize(early);
    } catch (err) {
      const doing = kind === 'exec' ? 'executing command in' : 'attaching to';
      await ends.finish(internalErrorStatus(`error ${doing} container: ${(err as Error).message}`)).catch(() => ends.abort());
      return;
    }
    const idle = idleTimer(this.#idleMs, () => {
      this.#o.log.info({ container: what }, `${kind} stream idle: closed`);
      proc.kill();
      ends.abort();
    });
    if (ends.stdin && proc.stdin) {
      ends.stdin.on('data', idle.touch);
      ends.stdin.pipe(proc.stdin);
      proc.stdin.on('error', () => undefined);
    }
    const outputs: Promise<void>[] = [];
    for (const [from, to] of [
      [proc.stdout, ends.stdout],
      [proc.stderr, ends.stderr],
    ] as const) {
      if (!from) continue;
      from.on('data', idle.touch);
      if (to) {
        // A client that drops the connection mid-stream fails our writes: the process is killed
        // (below) and the rest of its output is drained, never an uncaught error here.
        to.on('error', () => {
          from.unpipe(to);
          from.resume();
        });
        from.pipe(to, { end: false });
      } else from.resume();
      outputs.push(done(from));
    }
    // The client gone before the process: its process goes (exec) or the session detaches
    // (attach, whose `exited` then never settles: the container goes on), nothing else.
    let clientGone = false;
    const gone = ends.gone.then(() => {
      clientGone = true;
      proc.kill();
    });
    const code = await Promise.race([proc.exited, gone]);
    await Promise.all(outputs);
    idle.stop();
    if (clientGone || code === undefined) return;
    await ends.finish(code === 0 ? successStatus() : exitCodeStatus(code)).catch(() => ends.abort());
  }

  async #portForward(target: Extract<StreamRequest, { kind: 'portForward' }>, req: InProcessStreamRequest, socket: Duplex, head: Buffer): Promise<void> {
    const sandboxId = await readySandbox(this.#o, target.namespace, target.pod);
    const pod = this.#o.pods().find((p) => p.metadata.namespace === target.namespace && p.metadata.name === target.pod);
    let session: SpdySession;
    if (isSpdyUpgrade(req.headers)) {
      const spdy = acceptSpdy(req, socket, head, [PORT_FORWARD_PROTOCOL]);
      if (!spdy) return;
      session = spdy.session;
    } else if ((req.headers.upgrade ?? '').toLowerCase() === 'websocket') {
      prepareTunnelUpgrade(req);
      const ws = await new Promise<WebSocket>((resolve) => this.#tunnel.handleUpgrade(asUpgrade(req), socket, head, resolve));
      ws.on('error', () => ws.terminate());
      if (!ws.protocol) {
        ws.close(1002, 'port-forward takes the SPDY/3.1+portforward.k8s.io subprotocol');
        return;
      }
      session = new SpdySession(new WebSocketStream(ws, socket), { role: 'server' });
    } else {
      throw new HttpError(400, 'Upgrade request required');
    }
    const idle = idleTimer(this.#idleMs, () => {
      this.#o.log.info({ pod: `${target.namespace}/${target.pod}` }, 'port-forward idle: closed');
      session.destroy();
    });
    session.on('close', () => idle.stop());
    const server = new PortForwardServer(session);
    server.on('pair', ({ port, data, error }) => {
      // Reset by the client (its connection closed): the end of that pair, nothing more.
      data.on('error', ignore);
      error.on('error', ignore);
      this.#o.runtime.portForward(sandboxId, port).then(
        (conn) => {
          conn.on('data', idle.touch);
          data.on('data', idle.touch);
          // Half-close passes both ways (the relay ends the other side's writing once all is
          // written); a failure on either side ends both.
          if ('setNoDelay' in conn && typeof conn.setNoDelay === 'function') conn.setNoDelay(true);
          conn.on('error', () => data.destroy());
          data.on('error', () => conn.destroy());
          data.on('close', () => {
            if (!data.writableFinished) conn.destroy();
          });
          relayBoth(data, conn);
          error.end();
        },
        (err: unknown) => {
          error.end(portForwardErrorText(port, target.pod, pod?.metadata.uid ?? '', (err as Error).message));
          data.end();
        },
      );
    });
  }

  close(): void {
    for (const s of this.#sockets) s.destroy();
  }
}
