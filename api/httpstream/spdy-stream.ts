// One SPDY stream as a Node Duplex: what the peer sends on it comes out of the readable side,
// what is written goes out as DATA frames, `end()` sends FIN (a half-close: the peer's side
// stays open), and `reset()` sends RST_STREAM. The session (spdy-session.ts) owns the socket,
// the frame order and both flow-control windows; the stream only keeps its own state.
import { Duplex } from 'node:stream';
import { RstStatus, type SpdyHeaders } from './spdy-framer.js';

/** What a stream needs from its session. */
export interface SpdyStreamHost {
  writeData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void>;
  sendReply(stream: SpdyStream, headers: SpdyHeaders, fin: boolean): void;
  sendReset(stream: SpdyStream, status: number): void;
  /** The reader took `bytes` off this stream's buffer: time to reopen the windows. */
  consumed(stream: SpdyStream, bytes: number): void;
  forget(stream: SpdyStream): void;
}

export class SpdyStreamResetError extends Error {
  constructor(
    readonly streamId: number,
    readonly status: number,
    readonly byPeer: boolean,
  ) {
    super(`SPDY stream ${streamId} reset ${byPeer ? 'by peer' : 'locally'} (status ${status})`);
    this.name = 'SpdyStreamResetError';
  }
}

export class SpdyStream extends Duplex {
  readonly id: number;
  /** The headers of the SYN_STREAM that opened the stream (ours or the peer's). */
  readonly headers: SpdyHeaders;
  /** True for a stream this side opened. */
  readonly local: boolean;
  /** Bytes we may still send on this stream, when the peer keeps windows; spdy-windows.ts keeps it. */
  sendWindow: number;
  /** Bytes the reader has taken that no WINDOW_UPDATE has given back yet; spdy-windows.ts keeps it. */
  windowCredit = 0;

  readonly #host: SpdyStreamHost;
  #replied: boolean;
  #replyHeaders: SpdyHeaders | undefined;
  #replyWaiters: Array<{ resolve: (h: SpdyHeaders) => void; reject: (e: Error) => void }> = [];
  #localFin = false;
  #remoteFin = false;
  #reset = false;
  #unconsumed = 0;

  constructor(host: SpdyStreamHost, init: { id: number; headers: SpdyHeaders; local: boolean; sendWindow: number; receiveWindow: number }) {
    super({ allowHalfOpen: true, readableHighWaterMark: init.receiveWindow });
    this.#host = host;
    this.id = init.id;
    this.headers = init.headers;
    this.local = init.local;
    this.sendWindow = init.sendWindow;
    this.#replied = false;
  }

  /** The SYN_REPLY headers, once they came (streams this side opened). */
  get replyHeaders(): SpdyHeaders | undefined {
    return this.#replyHeaders;
  }

  get replied(): boolean {
    return this.#replied;
  }

  get finished(): boolean {
    return this.#reset || (this.#localFin && this.#remoteFin);
  }

  /**
   * Accepts a peer-opened stream. The session replies with no headers by itself once the 'stream'
   * listeners return without replying or resetting, as Kubernetes' server does.
   */
  reply(headers: SpdyHeaders = {}, options: { fin?: boolean } = {}): void {
    if (this.local) throw new Error('cannot reply to a stream this side opened');
    if (this.#replied || this.#reset) return;
    this.#replied = true;
    if (options.fin) this.#localFin = true;
    this.#host.sendReply(this, headers, options.fin ?? false);
    if (options.fin) this.#maybeForget();
  }

  /** Resolves with the SYN_REPLY headers; rejects if the stream is reset or the connection ends first. */
  waitForReply(): Promise<SpdyHeaders> {
    if (!this.local) return Promise.resolve({});
    if (this.#replyHeaders) return Promise.resolve(this.#replyHeaders);
    if (this.#reset || this.destroyed) return Promise.reject(new Error(`SPDY stream ${this.id} closed before its reply`));
    return new Promise((resolve, reject) => this.#replyWaiters.push({ resolve, reject }));
  }

  /** Aborts both directions: RST_STREAM to the peer, buffered data dropped. */
  reset(status: number = RstStatus.Cancel): void {
    if (this.#reset) return;
    this.#reset = true;
    this.#host.sendReset(this, status);
    // Our own choice, so not an 'error': readers see the stream close without an end.
    for (const w of this.#replyWaiters.splice(0)) w.reject(new SpdyStreamResetError(this.id, status, false));
    this.destroy();
  }

  // ---- called by the session ----

  onReply(headers: SpdyHeaders, fin: boolean): void {
    if (this.#replyHeaders) return;
    this.#replyHeaders = headers;
    this.#replied = true;
    for (const w of this.#replyWaiters.splice(0)) w.resolve(headers);
    this.emit('reply', headers);
    if (fin) this.onRemoteFin();
  }

  onHeaders(headers: SpdyHeaders, fin: boolean): void {
    this.emit('headers', headers);
    if (fin) this.onRemoteFin();
  }

  /** Returns false when the reader is behind: the session should stop reading the socket. */
  onData(data: Buffer): boolean {
    if (this.#remoteFin || this.#reset) return true;
    this.#unconsumed += data.length;
    return this.push(data);
  }


  onRemoteFin(): void {
    if (this.#remoteFin) return;
    this.#remoteFin = true;
    this.push(null);
    this.#maybeForget();
  }

  onPeerReset(status: number): void {
    if (this.#reset) return;
    this.#reset = true;
    const error = new SpdyStreamResetError(this.id, status, true);
    for (const w of this.#replyWaiters.splice(0)) w.reject(error);
    this.destroy(error);
  }

  /** The connection is gone: readers get what was received and then EOF; writes fail. */
  onSessionClosed(): void {
    if (this.#reset) return;
    this.#reset = true;
    for (const w of this.#replyWaiters.splice(0)) w.reject(new Error(`SPDY connection closed before stream ${this.id} was answered`));
    if (!this.#remoteFin) {
      this.#remoteFin = true;
      this.push(null);
    }
    if (this.readableLength === 0 || this.readableEnded) this.destroy();
    else this.once('end', () => this.destroy());
  }

  // ---- Duplex ----

  // Every way of consuming a Readable (read(), 'data', pipe, async iteration) goes through
  // read(), so this is where taken bytes are counted and the peer's window reopened. _read()
  // cannot do it: Node calls it only after a push, and the peer pushes nothing into a shut window.
  override read(size?: number): ReturnType<Duplex['read']> {
    const chunk: unknown = super.read(size);
    const consumed = this.#unconsumed - this.readableLength;
    if (consumed > 0) {
      this.#unconsumed -= consumed;
      this.#host.consumed(this, consumed);
    }
    this.emit('drained');
    return chunk;
  }

  override _read(): void {
    // Data arrives when the peer sends it; read() above reopens the window that lets it.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#send(chunk, false).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#localFin) return callback();
    this.#send(Buffer.alloc(0), true).then(() => {
      this.#localFin = true;
      this.#maybeForget();
      callback();
    }, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.finished && !this.#reset) {
      // The peer is done and so are we: leaving a `for await` loop destroys a Duplex (with an
      // AbortError when its write side is still open). A FIN says so without the error a RST
      // would raise on the peer's side.
      if (this.#remoteFin && (!error || error.name === 'AbortError')) {
        void this.#host.writeData(this, Buffer.alloc(0), true).catch(() => undefined);
        this.#localFin = true;
      } else {
        this.#reset = true;
        this.#host.sendReset(this, RstStatus.Cancel);
      }
    }
    for (const w of this.#replyWaiters.splice(0)) w.reject(error ?? new Error(`SPDY stream ${this.id} destroyed`));
    // Whatever the reader left behind no longer holds the peer's window shut.
    if (this.#unconsumed > 0) this.#host.consumed(this, this.#unconsumed);
    this.#unconsumed = 0;
    this.#host.forget(this);
    this.emit('drained');
    callback(error);
  }

  async #send(data: Buffer, fin: boolean): Promise<void> {
    if (this.#reset) throw new Error(`SPDY stream ${this.id} is closed`);
    if (this.#localFin) throw new Error(`SPDY stream ${this.id} already sent FIN`);
    // spdystream drops DATA on a stream it has not answered yet, and ignores DATA that comes
    // before its own SYN_REPLY: so a client waits for the reply and a server replies first.
    if (this.local) await this.waitForReply();
    else if (!this.#replied) this.reply();
    await this.#host.writeData(this, data, fin);
  }


  #maybeForget(): void {
    if (this.#localFin && this.#remoteFin) this.#host.forget(this);
  }
}
