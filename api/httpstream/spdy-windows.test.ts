import { describe, expect, it } from 'vitest';
import { SpdyWindows, type WindowedStream } from './spdy-windows.js';

const stream = (id: number, sendWindow = 64 * 1024): WindowedStream => ({ id, sendWindow, windowCredit: 0 });

describe('SpdyWindows', () => {
  it('lets a peer that keeps no windows (spdystream) be sent to without limit', () => {
    const w = new SpdyWindows();
    const s = stream(1);
    w.spend(s, 10 << 20);
    expect(w.room(s)).toBe(Infinity);
  });

  it('honours stream windows once the peer announces one, moving open streams by the change', () => {
    const w = new SpdyWindows();
    const s = stream(1);
    w.peerInitialWindowChanged(32 * 1024, [s]);
    expect(w.room(s)).toBe(32 * 1024);
    w.spend(s, 32 * 1024);
    expect(w.room(s)).toBe(0);
    w.peerWindowUpdate(1, 1000, s);
    expect(w.room(s)).toBe(1000);
    expect(w.peerInitialWindow).toBe(32 * 1024);
  });

  it('honours the connection window once the peer updates stream 0', () => {
    const w = new SpdyWindows();
    const a = stream(1);
    w.peerWindowUpdate(0, 100, undefined);
    expect(w.room(a)).toBe(64 * 1024 + 100);
    w.spend(a, 64 * 1024 + 100);
    expect(w.room(stream(3))).toBe(0);
  });

  it('reopens our windows once a quarter is owed, the connection’s counting gone streams too', () => {
    const w = new SpdyWindows({ streamWindow: 64 * 1024, sessionWindow: 256 * 1024 });
    const s = stream(1);
    expect(w.consumed(s, 16 * 1024 - 1)).toEqual([]);
    expect(w.consumed(s, 1)).toEqual([{ streamId: 1, delta: 16 * 1024 }]);
    expect(w.consumed(undefined, 48 * 1024)).toEqual([{ streamId: 0, delta: 64 * 1024 }]);
    expect(w.openingUpdate()).toEqual({ streamId: 0, delta: 192 * 1024 });
    expect(new SpdyWindows({ sessionWindow: 64 * 1024 }).openingUpdate()).toBeUndefined();
  });
});
