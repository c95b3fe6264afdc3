// The flow-control ledger of one SPDY connection, apart from the sockets: how much each side
// may still send, and which WINDOW_UPDATEs are due. Pure bookkeeping; spdy-session.ts acts on
// its answers. Why peers' windows count only once they show they keep them: spdystream
// (kubectl, the kubelet) never sends WINDOW_UPDATE, so honouring its windows would stall every
// transfer after 64 KiB (see spdy-session.ts).

/** SPDY/3.1's initial window, per stream and for the connection. */
export const SPDY_INITIAL_WINDOW = 64 * 1024;

/** What the ledger needs of a stream: its send window and the credit its reader has earned. */
export interface WindowedStream {
  readonly id: number;
  sendWindow: number;
  windowCredit: number;
}

export interface WindowUpdate {
  streamId: number;
  delta: number;
}

export class SpdyWindows {
  /** The per-stream window we announce. */
  readonly streamWindow: number;
  /** The connection window we announce. */
  readonly sessionWindow: number;
  #peerInitialWindow = SPDY_INITIAL_WINDOW;
  #peerKeepsStreamWindows = false;
  #peerKeepsSessionWindow = false;
  #sessionSendWindow = SPDY_INITIAL_WINDOW;
  #sessionCredit = 0;

  constructor(options: { streamWindow?: number; sessionWindow?: number } = {}) {
    this.streamWindow = options.streamWindow ?? SPDY_INITIAL_WINDOW;
    this.sessionWindow = options.sessionWindow ?? 16 * SPDY_INITIAL_WINDOW;
  }

  /** The send window a new stream starts with. */
  get peerInitialWindow(): number {
    return this.#peerInitialWindow;
  }

  /** The update that announces our connection window beyond the initial 64 KiB, if any. */
  openingUpdate(): WindowUpdate | undefined {
    const delta = this.sessionWindow - SPDY_INITIAL_WINDOW;
    return delta > 0 ? { streamId: 0, delta } : undefined;
  }

  // ---- sending ----

  /** Bytes `stream` may send now (Infinity where the peer keeps no window). */
  room(stream: WindowedStream): number {
    const streamRoom = this.#peerKeepsStreamWindows ? stream.sendWindow : Infinity;
    const sessionRoom = this.#peerKeepsSessionWindow ? this.#sessionSendWindow : Infinity;
    return Math.min(streamRoom, sessionRoom);
  }

  spend(stream: WindowedStream, bytes: number): void {
    if (this.#peerKeepsStreamWindows) stream.sendWindow -= bytes;
    if (this.#peerKeepsSessionWindow) this.#sessionSendWindow -= bytes;
  }

  /** The peer's SETTINGS INITIAL_WINDOW_SIZE: every open stream's window moves by the change. */
  peerInitialWindowChanged(value: number, streams: Iterable<WindowedStream>): void {
    const delta = value - this.#peerInitialWindow;
    this.#peerInitialWindow = value;
    this.#peerKeepsStreamWindows = true;
    for (const stream of streams) stream.sendWindow += delta;
  }

  /** The peer's WINDOW_UPDATE; `stream` is undefined for stream 0 or a stream already gone. */
  peerWindowUpdate(streamId: number, delta: number, stream: WindowedStream | undefined): void {
    if (streamId === 0) {
      this.#peerKeepsSessionWindow = true;
      this.#sessionSendWindow += delta;
      return;
    }
    this.#peerKeepsStreamWindows = true;
    if (stream) stream.sendWindow += delta;
  }

  // ---- receiving ----

  /**
   * A reader took `bytes` (`stream` undefined when the stream is gone and only the connection
   * window counts). Returns the WINDOW_UPDATEs now due: each window is reopened once a quarter
   * of it is owed, so a peer is never blocked by an update we held back.
   */
  consumed(stream: WindowedStream | undefined, bytes: number): WindowUpdate[] {
    const updates: WindowUpdate[] = [];
    if (bytes <= 0) return updates;
    if (stream) {
      stream.windowCredit += bytes;
      if (stream.windowCredit >= this.streamWindow / 4) {
        updates.push({ streamId: stream.id, delta: stream.windowCredit });
        stream.windowCredit = 0;
      }
    }
    this.#sessionCredit += bytes;
    if (this.#sessionCredit >= this.sessionWindow / 4) {
      updates.push({ streamId: 0, delta: this.#sessionCredit });
      this.#sessionCredit = 0;
    }
    return updates;
  }
}
