// A SPDY/3.1 connection over any Duplex (an upgraded HTTP socket, a TCP socket, or the
// WebSocket tunnel of KEP-4006), as a client (odd stream ids, as kubectl) or a server (even ids,
// accepting what the peer opens, as the kubelet).
//
// Flow control, as peers actually behave: SPDY/3.1 gives every stream a 64 KiB send window and
// the connection another, reopened by WINDOW_UPDATE. moby/spdystream, which kubectl and the
// kubelet use, never sends WINDOW_UPDATE or SETTINGS and ignores both when it receives them; it
// relies on TCP backpressure instead. So this session:
//   - honours the peer's stream windows only once the peer has shown it keeps them (a SETTINGS
//     with INITIAL_WINDOW_SIZE or a stream WINDOW_UPDATE), and the connection window only once
//     it has sent a WINDOW_UPDATE for stream 0. Against spdystream it therefore sends freely;
//   - announces its own windows (SETTINGS, WINDOW_UPDATE for stream 0) and reopens them as the
//     reader consumes data, so two of these sessions flow-control each other;
//   - stops reading the socket while a stream's reader is a full window behind, whichever kind
//     of peer it is: a peer that ignores windows gets TCP backpressure, as spdystream gives, and
//     memory stays bounded.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  DEFAULT_LIMITS,
  GoAwayStatus,
  RstStatus,
  SettingId,
  SpdyFrameDecoder,
  SpdyFrameEncoder,
  SpdyProtocolError,
  encodeFrame,
  encodeFrameParts,
  isHeaderFrame,
  type SpdyFrame,
  type SpdyHeaders,
  type SpdyLimits,
} from './spdy-framer.js';
import { SpdyStream, type SpdyStreamHost } from './spdy-stream.js';
import { SpdyWindows } from './spdy-windows.js';
import { coalesceTickWrites } from './tick-writes.js';

export { SPDY_INITIAL_WINDOW } from './spdy-windows.js';

/**
 * How much may wait in the socket's buffer before data frames hold back: a few frames, so the
 * frames of several streams written in one tick leave in one write (tick-writes.ts), while a
 * connection the peer reads slowly still holds no more than this.
 */
const WRITE_AHEAD = 256 * 1024;

export interface SpdySessionOptions {
  role: 'client' | 'server';
  limits?: Partial<SpdyLimits>;
  /** Streams the peer may have open at once; more are refused with RST_STREAM REFUSED_STREAM. */
  maxConcurrentStreams?: number;
  /** The per-stream window we announce (SETTINGS INITIAL_WINDOW_SIZE). */
  streamWindow?: number;
  /** The connection window we announce; above 64 KiB it is sent as a WINDOW_UPDATE for stream 0. */
  sessionWindow?: number;
  /** Largest DATA frame we send (64 KiB: a quarter of the frames and TLS records of 16 KiB ones,
   * which took port-forward through kubectl from 99 to 162 MiB/s in `npm run bench -- exec`). */
  maxDataFrame?: number;
}

export interface SpdySessionEvents {
  /** The peer opened a stream: reply() to accept (or just write), reset() to refuse. */
  stream: [stream: SpdyStream];
  goaway: [lastGoodStreamId: number, status: number];
  /** The connection is over; `error` says why when it was not a clean end. */
  close: [error: Error | undefined];
}

export class SpdySession extends EventEmitter<SpdySessionEvents> {
  readonly #socket: Duplex;
  readonly #role: 'client' | 'server';
  readonly #limits: SpdyLimits;
  readonly #maxConcurrent: number;
  readonly #windows: SpdyWindows;
  readonly #maxDataFrame: number;
  readonly #encoder = new SpdyFrameEncoder();
  readonly #decoder: SpdyFrameDecoder;
  readonly #streams = new Map<number, SpdyStream>();
  readonly #host: SpdyStreamHost;
  readonly #beforeWrite: () => void;

  #nextStreamId: number;
  #nextPingId: number;
  #lastPeerStreamId = 0;
  #pings = new Map<number, { sent: number; resolve: (rtt: number) => void; reject: (e: Error) => void }>();
  #windowWaiters: Array<() => void> = [];
  #goingAway = false;
  #peerWentAway = false;
  #closed = false;

  constructor(socket: Duplex, options: SpdySessionOptions) {
    super();
    this.#socket = socket;
    this.#beforeWrite = coalesceTickWrites(socket);
    this.#role = options.role;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#maxConcurrent = options.maxConcurrentStreams ?? 256;
    this.#windows = new SpdyWindows(options);
    this.#maxDataFrame = options.maxDataFrame ?? 64 * 1024;
    this.#decoder = new SpdyFrameDecoder(this.#limits);
    this.#nextStreamId = this.#role === 'client' ? 1 : 2;
    this.#nextPingId = this.#role === 'client' ? 1 : 2;
    this.#host = {
      writeData: (stream, data, fin) => this.#writeData(stream, data, fin),
      sendReply: (stream, headers, fin) => void this.#send({ type: 'syn_reply', streamId: stream.id, fin, headers }).catch(() => undefined),
      sendReset: (stream, status) => {
        if (!this.#closed) void this.#send({ type: 'rst_stream', streamId: stream.id, status }).catch(() => undefined);
      },
      consumed: (stream, bytes) => this.#consumed(stream.finished || stream.destroyed ? undefined : stream, bytes),
      forget: (stream) => this.#forget(stream),
    };

    socket.on('data', (chunk: Buffer) => {
      socket.pause();
      this.#receive(chunk).then(
        () => {
          if (!this.#closed) socket.resume();
        },
        (err: unknown) => this.#protocolFailure(err),
      );
    });
    socket.on('end', () => this.#teardown(undefined));
    socket.on('close', () => this.#teardown(undefined));
    socket.on('error', (err: Error) => this.#teardown(err));
    socket.on('drain', () => this.#wakeWriters());

    const settings = [{ id: SettingId.InitialWindowSize, flags: 0, value: this.#windows.streamWindow }];
    void this.#send({ type: 'settings', clear: false, settings }).catch(() => undefined);
    const opening = this.#windows.openingUpdate();
    if (opening) void this.#send({ type: 'window_update', ...opening }).catch(() => undefined);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Open streams, both sides'. */
  get streamCount(): number {
    return this.#streams.size;
  }

  /** Opens a stream with a SYN_STREAM carrying `headers` (as kubectl does for each channel). */
  openStream(headers: SpdyHeaders, options: { priority?: number } = {}): SpdyStream {
    if (this.#closed) throw new Error('SPDY connection is closed');
    if (this.#goingAway || this.#peerWentAway) throw new Error('SPDY connection is going away');
    const id = this.#nextStreamId;
    if (id > 0x7fffffff) throw new Error('SPDY stream ids exhausted');
    this.#nextStreamId += 2;
    const stream = this.#newStream(id, headers, true);
    const syn = { type: 'syn_stream', streamId: id, associatedStreamId: 0, priority: options.priority ?? 0, fin: false, unidirectional: false, headers } as const;
    void this.#send(syn).catch(() => undefined);
    return stream;
  }

  /** Round trip time of a PING, in milliseconds. */
  ping(): Promise<number> {
    if (this.#closed) return Promise.reject(new Error('SPDY connection is closed'));
    const id = this.#nextPingId;
    this.#nextPingId = id + 2 > 0x7fffffff ? (this.#role === 'client' ? 1 : 2) : id + 2;
    return new Promise((resolve, reject) => {
      this.#pings.set(id, { sent: Date.now(), resolve, reject });
      this.#send({ type: 'ping', id }).catch(reject);
    });
  }

  /**
   * Ends the connection gracefully: no new streams either way, GOAWAY once everything already
   * written on the open streams has gone out, and the socket's end once the streams finish, or
   * after `graceMs` at the latest (kubectl never half-closes the stdout stream it only reads).
   *
   * GOAWAY waits for the writes because spdystream stops reading at GOAWAY: data behind it is
   * never delivered, and kubectl would see its output end early.
   */
  close(status: number = GoAwayStatus.Ok, options: { graceMs?: number } = {}): void {
    if (this.#closed || this.#goingAway) return;
    this.#goingAway = true;
    if (options.graceMs !== undefined) {
      const timer = setTimeout(() => {
        this.#sendGoAway(status);
        queueMicrotask(() => this.destroy());
      }, options.graceMs);
      timer.unref();
      this.once('close', () => clearTimeout(timer));
    }
    void this.#streamsFlushed().then(() => {
      this.#sendGoAway(status);
      this.#endIfIdle();
    });
  }

  #goAwaySent = false;

  #sendGoAway(status: number): void {
    if (this.#goAwaySent || this.#closed) return;
    this.#goAwaySent = true;
    void this.#send({ type: 'goaway', lastGoodStreamId: this.#lastPeerStreamId, status }).catch(() => undefined);
  }

  // Resolves once no open stream has a write queued or in flight.
  async #streamsFlushed(): Promise<void> {
    for (;;) {
      if (this.#closed) return;
      const busy = [...this.#streams.values()].filter((s) => !s.destroyed && (s.writableLength > 0 || (s.writableEnded && !s.writableFinished)));
      if (busy.length === 0) return;
      await Promise.race(busy.map((s) => new Promise((resolve) => ['drain', 'finish', 'close', 'error'].forEach((e) => s.once(e, resolve)))));
    }
  }

  /** Ends at once: every stream is closed and the socket destroyed. */
  destroy(error?: Error): void {
    this.#teardown(error);
    this.#socket.destroy();
  }

  // ---- sending ----

  // Every frame is encoded and written at once, in send order (header blocks continue one zlib
  // stream, written synchronously: spdy-header-compression.ts). The parts leave as one write:
  // the socket is corked for this round of I/O (#beforeWrite).
  #send(frame: SpdyFrame): Promise<void> {
    try {
      if (isHeaderFrame(frame)) this.#raw(this.#encoder.encodeSync(frame));
      else for (const part of encodeFrameParts(frame)) this.#raw(part);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  #raw(bytes: Buffer): void {
    if (this.#closed || this.#socket.destroyed || this.#socket.writableEnded) throw new Error('SPDY connection is closed');
    this.#beforeWrite();
    this.#socket.write(bytes);
  }

  async #writeData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void> {
    let offset = 0;
    do {
      // An empty frame (a bare FIN) takes no window.
      const room = data.length === 0 ? 0 : await this.#room(stream);
      const take = Math.min(room, data.length - offset, this.#maxDataFrame);
      const last = offset + take === data.length;
      const slice = data.subarray(offset, offset + take);
      offset += take;
      this.#windows.spend(stream, take);
      await this.#send({ type: 'data', streamId: stream.id, fin: fin && last, data: slice });
    } while (offset < data.length);
  }

  // How many bytes may go now: waits while a window the peer keeps is shut or the socket is full.
  async #room(stream: SpdyStream): Promise<number> {
    for (;;) {
      if (this.#closed || stream.finished) throw new Error(`SPDY stream ${stream.id} is closed`);
      const room = Math.min(this.#windows.room(stream), this.#maxDataFrame);
      if (room > 0 && this.#socket.writableLength < WRITE_AHEAD) return room;
      await new Promise<void>((resolve) => this.#windowWaiters.push(resolve));
    }
  }

  #wakeWriters(): void {
    for (const wake of this.#windowWaiters.splice(0)) wake();
  }

  // The reader took `bytes` (of a stream still open, or of one gone: then only the connection's
  // window counts).
  #consumed(stream: SpdyStream | undefined, bytes: number): void {
    if (this.#closed) return;
    for (const update of this.#windows.consumed(stream, bytes)) {
      void this.#send({ type: 'window_update', ...update }).catch(() => undefined);
    }
  }

  // ---- receiving ----

  async #receive(chunk: Buffer): Promise<void> {
    const frames = await this.#decoder.push(chunk);
    for (const frame of frames) {
      if (this.#closed) return;
      await this.#handle(frame);
    }
  }

  async #handle(frame: SpdyFrame): Promise<void> {
    switch (frame.type) {
      case 'syn_stream':
        return this.#onSynStream(frame);
      case 'syn_reply':
        this.#streams.get(frame.streamId)?.onReply(frame.headers, frame.fin);
        return;
      case 'headers':
        this.#streams.get(frame.streamId)?.onHeaders(frame.headers, frame.fin);
        return;
      case 'data':
        return this.#onData(frame.streamId, frame.data, frame.fin);
      case 'rst_stream':
        this.#streams.get(frame.streamId)?.onPeerReset(frame.status);
        return;
      case 'settings':
        for (const s of frame.settings) {
          if (s.id === SettingId.InitialWindowSize) this.#windows.peerInitialWindowChanged(s.value, this.#streams.values());
        }
        this.#wakeWriters();
        return;
      case 'window_update':
        this.#windows.peerWindowUpdate(frame.streamId, frame.delta, this.#streams.get(frame.streamId));
        this.#wakeWriters();
        return;
      case 'ping':
        return this.#onPing(frame.id);
      case 'goaway':
        this.#peerWentAway = true;
        for (const stream of this.#streams.values()) {
          if (stream.local && stream.id > frame.lastGoodStreamId) stream.onPeerReset(RstStatus.RefusedStream);
        }
        this.emit('goaway', frame.lastGoodStreamId, frame.status);
        this.#endIfIdle();
        return;
    }
  }

  #onSynStream(frame: Extract<SpdyFrame, { type: 'syn_stream' }>): void {
    const peerParity = this.#role === 'client' ? 0 : 1;
    const refuse = (status: number) => void this.#send({ type: 'rst_stream', streamId: frame.streamId, status }).catch(() => undefined);
    if (frame.streamId % 2 !== peerParity || frame.streamId <= this.#lastPeerStreamId) return refuse(RstStatus.ProtocolError);
    this.#lastPeerStreamId = frame.streamId;
    if (this.#goingAway) return refuse(RstStatus.RefusedStream);
    let open = 0;
    for (const s of this.#streams.values()) if (!s.local) open++;
    if (open >= this.#maxConcurrent) return refuse(RstStatus.RefusedStream);
    const stream = this.#newStream(frame.streamId, frame.headers, false);
    if (frame.fin) stream.onRemoteFin();
    this.emit('stream', stream);
    if (!stream.replied && !stream.destroyed) stream.reply();
  }

  async #onData(streamId: number, data: Buffer, fin: boolean): Promise<void> {
    const stream = this.#streams.get(streamId);
    if (!stream || stream.destroyed || stream.finished) {
      // A stream already reset or unknown: its bytes still count against the connection window.
      this.#consumed(undefined, data.length);
      return;
    }
    if (data.length > 0) stream.onData(data);
    if (fin) stream.onRemoteFin();
    // A peer that keeps our window never gets more than one window ahead of the reader; only one
    // that ignores it (spdystream) does, and it waits here, as TCP makes it wait for spdystream.
    if (stream.readableLength > stream.readableHighWaterMark) await this.#readerCaughtUp(stream);
  }

  // Waits until the stream's reader has taken enough that its buffer is below one window.
  #readerCaughtUp(stream: SpdyStream): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (stream.destroyed || this.#closed || stream.readableLength < stream.readableHighWaterMark) {
          stream.off('drained', check);
          stream.off('close', check);
          resolve();
        }
      };
      stream.on('drained', check);
      stream.on('close', check);
      check();
    });
  }

  #onPing(id: number): void {
    const ours = id % 2 === (this.#role === 'client' ? 1 : 0);
    if (!ours) {
      void this.#send({ type: 'ping', id }).catch(() => undefined);
      return;
    }
    const pending = this.#pings.get(id);
    if (!pending) return;
    this.#pings.delete(id);
    pending.resolve(Date.now() - pending.sent);
  }

  // ---- lifetime ----

  #newStream(id: number, headers: SpdyHeaders, local: boolean): SpdyStream {
    const stream = new SpdyStream(this.#host, {
      id,
      headers,
      local,
      sendWindow: this.#windows.peerInitialWindow,
      receiveWindow: this.#windows.streamWindow,
    });
    this.#streams.set(id, stream);
    return stream;
  }

  #forget(stream: SpdyStream): void {
    if (this.#streams.get(stream.id) === stream) this.#streams.delete(stream.id);
    this.#wakeWriters();
    this.#endIfIdle();
  }

  #endIfIdle(): void {
    if ((this.#goAwaySent || this.#peerWentAway) && this.#streams.size === 0 && !this.#closed) {
      queueMicrotask(() => this.#socket.end());
    }
  }

  #protocolFailure(err: unknown): void {
    if (this.#closed) return;
    const status = err instanceof SpdyProtocolError ? GoAwayStatus.ProtocolError : GoAwayStatus.InternalError;
    try {
      this.#raw(encodeFrame({ type: 'goaway', lastGoodStreamId: this.#lastPeerStreamId, status }));
    } catch {
      // the socket is already gone
    }
    this.#socket.end();
    this.#teardown(err instanceof Error ? err : new Error(String(err)));
  }

  #teardown(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const stream of [...this.#streams.values()]) stream.onSessionClosed();
    this.#streams.clear();
    for (const p of this.#pings.values()) p.reject(new Error('SPDY connection closed'));
    this.#pings.clear();
    this.#wakeWriters();
    this.#encoder.close();
    this.#decoder.close();
    this.emit('close', error);
  }
}
