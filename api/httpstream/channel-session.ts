// Both ends of a remote command over a `ws` WebSocket speaking the channel protocol
// (channel-protocol.ts): the server's (stdin in, stdout/stderr out, resize events, the final
// Status) and the client's (`skiff exec`: the mirror image, and the exit code at the end).
//
// Backpressure both ways, so 10 MiB of stdin never sits in memory: a channel's Writable
// completes a write only when `ws` has handed the message to the socket (send's callback), and
// a channel's Readable pauses the WebSocket (ws.pause(), which stops reading the socket) while
// its reader is behind.
import { EventEmitter } from 'node:events';
import { Readable, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import { Channel, decodeChannelMessage, encodeChannelMessage, encodeCloseSignal } from './channel-protocol.js';
import {
  RemoteCommandProtocol,
  decodeStatus,
  encodeStatus,
  parseTerminalSize,
  type RemoteCommandOptions,
  type RemoteCommandResult,
  type RemoteCommandStatus,
  type TerminalSize,
} from './remote-command.js';

const OPEN = 1; // WebSocket.OPEN, without importing ws's runtime here
const MAX_ERROR_BYTES = 64 * 1024;

/** Routes one WebSocket's messages to per-channel streams and back. */
class ChannelMux {
  readonly #ws: WebSocket;
  readonly #protocol: () => string;
  readonly #readers = new Map<number, Readable>();
  readonly #handlers = new Map<number, (data: Buffer) => void>();
  #paused = false;

  // The protocol is read when needed: a client's is known only once the handshake is done.
  constructor(ws: WebSocket, protocol: () => string) {
    this.#ws = ws;
    this.#protocol = protocol;
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      const message = decodeChannelMessage(data, protocol());
      if (!message) return;
      if (message.kind === 'close') {
        this.#readers.get(message.channel)?.push(null);
        return;
      }
      const reader = this.#readers.get(message.channel);
      if (reader) {
        if (reader.destroyed || reader.readableEnded) return;
        if (!reader.push(message.data) && !this.#paused) {
          this.#paused = true;
          ws.pause();
        }
      } else this.#handlers.get(message.channel)?.(message.data);
    });
    ws.on('close', () => {
      for (const reader of this.#readers.values()) if (!reader.readableEnded) reader.push(null);
    });
  }

  /** A channel the peer writes, as a Readable; it ends with v5's close signal or the connection. */
  reader(channel: number): Readable {
    const reader = new Readable({ read: () => this.#resume() });
    // A reader that is gone must not keep the socket paused: the close handshake needs it read.
    reader.on('end', () => this.#resume());
    reader.on('close', () => this.#resume());
    this.#readers.set(channel, reader);
    return reader;
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#ws.resume();
  }

  /** A small control channel (resize, error): each message to `handler`, no stream. */
  handle(channel: number, handler: (data: Buffer) => void): void {
    this.#handlers.set(channel, handler);
  }

  /**
   * A channel this side writes. With `closeSignal`, ending it sends v5's close signal (before v5
   * there is none). Only a client sends it: kubectl reads 255 as an unknown channel and logs it.
   */
  writer(channel: number, options: { closeSignal: boolean }): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => this.send(encodeChannelMessage(channel, chunk), callback),
      final: (callback) => {
        if (options.closeSignal && this.#protocol() === RemoteCommandProtocol.V5 && this.#ws.readyState === OPEN) this.send(encodeCloseSignal(channel), callback);
        else callback();
      },
    });
  }

  send(message: Buffer, callback: (error?: Error | null) => void): void {
    if (this.#ws.readyState !== OPEN) return callback(new Error('WebSocket is not open'));
    this.#ws.send(message, { binary: true }, (err) => callback(err ?? null));
  }
}

function sendAsync(mux: ChannelMux, message: Buffer): Promise<void> {
  return new Promise((resolve, reject) => mux.send(message, (err) => (err ? reject(err) : resolve())));
}

function finished(stream: Writable): Promise<void> {
  if (stream.writableFinished || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('finish', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
    if (!stream.writableEnded) stream.end();
  });
}

export interface ChannelSessionEvents {
  resize: [size: TerminalSize];
}

/** The server's end: what the kubelet (or a test server) uses once the upgrade is done. */
export class ChannelServerSession extends EventEmitter<ChannelSessionEvents> {
  readonly protocol: string;
  readonly stdin: Readable | undefined;
  readonly stdout: Writable | undefined;
  readonly stderr: Writable | undefined;
  readonly #ws: WebSocket;
  readonly #mux: ChannelMux;

  constructor(ws: WebSocket, options: RemoteCommandOptions & { protocol: string }) {
    super();
    this.#ws = ws;
    this.protocol = options.protocol;
    this.#mux = new ChannelMux(ws, () => options.protocol);
    this.stdin = options.stdin ? this.#mux.reader(Channel.Stdin) : undefined;
    this.stdout = options.stdout ? this.#mux.writer(Channel.Stdout, { closeSignal: false }) : undefined;
    this.stderr = options.stderr && !options.tty ? this.#mux.writer(Channel.Stderr, { closeSignal: false }) : undefined;
    this.#mux.handle(Channel.Resize, (data) => {
      const size = parseTerminalSize(data.toString('utf8'));
      if (size) this.emit('resize', size);
    });
    // As the kubelet does: an empty message on the lowest channel we write tells the client
    // the streams are ready. Not to a v5 client: client-go's v5 client (kubectl 1.30+) starts
    // reading before it has registered its streams and needs no such signal, so a message
    // that comes at once can beat its stdout stream and be logged as "Unknown stream id 1"
    // on the user's terminal (seen on a loaded machine).
    if (options.protocol !== RemoteCommandProtocol.V5) {
      const first = this.stdout ? Channel.Stdout : this.stderr ? Channel.Stderr : Channel.Error;
      this.#mux.send(encodeChannelMessage(first, Buffer.alloc(0)), () => undefined);
    }
  }

  /** Flushes stdout and stderr, writes `status` on the error channel, and closes the WebSocket. */
  async finish(status: RemoteCommandStatus): Promise<void> {
    await Promise.all([this.stdout, this.stderr].filter((s): s is Writable => s !== undefined).map(finished));
    const bytes = encodeStatus(status, this.protocol);
    if (bytes.length > 0) await sendAsync(this.#mux, encodeChannelMessage(Channel.Error, bytes)).catch(() => undefined);
    if (this.#ws.readyState === OPEN) this.#ws.close(1000);
  }
}

/**
 * The client's end, for `skiff exec` and `skiff attach`. Make it right after creating the
 * WebSocket, before 'open': `ws` emits the server's first messages in the same tick as 'open'.
 */
export class ChannelClientSession {
  readonly stdin: Writable | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Settles when the server closes the WebSocket, with the exit code from the error channel. */
  readonly result: Promise<RemoteCommandResult>;
  readonly #mux: ChannelMux;

  readonly #ws: WebSocket;

  constructor(ws: WebSocket, options: { stdin: boolean }) {
    this.#ws = ws;
    this.#mux = new ChannelMux(ws, () => ws.protocol);
    this.stdin = options.stdin ? this.#mux.writer(Channel.Stdin, { closeSignal: true }) : undefined;
    this.stdout = this.#mux.reader(Channel.Stdout);
    this.stderr = this.#mux.reader(Channel.Stderr);
    const errors: Buffer[] = [];
    let errorBytes = 0;
    this.#mux.handle(Channel.Error, (data) => {
      if (errorBytes + data.length > MAX_ERROR_BYTES) return;
      errorBytes += data.length;
      errors.push(data);
    });
    this.result = new Promise((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => {
        const result = decodeStatus(Buffer.concat(errors), this.protocol);
        if (errorBytes === 0 && code !== 1000) resolve({ exitCode: 1, message: `connection closed (${code}${reason.length ? `: ${reason.toString()}` : ''})` });
        else resolve(result);
      });
    });
  }

  /** The subprotocol the server chose (empty until the handshake is done). */
  get protocol(): string {
    return this.#ws.protocol;
  }

  resize(size: TerminalSize): void {
    this.#mux.send(encodeChannelMessage(Channel.Resize, JSON.stringify({ Width: size.Width, Height: size.Height })), () => undefined);
  }
}
