import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readAll, socketPair } from './loopback.test-support.js';
import { RELAY_AHEAD, relay, relayBoth } from './relay.js';

/** A writer that takes its time (each write completes a turn of the loop later) and records how it was called. */
function slowSink(): { sink: Writable; received: Buffer[]; calls: number[]; mostBuffered: () => number } {
  const received: Buffer[] = [];
  const calls: number[] = [];
  let most = 0;
  const sink = new Writable({
    writev(chunks, cb) {
      calls.push(chunks.length);
      for (const c of chunks) received.push(c.chunk as Buffer);
      setImmediate(cb);
    },
  });
  const write = sink.write.bind(sink);
  sink.write = ((chunk: Buffer) => {
    const ok = write(chunk);
    most = Math.max(most, sink.writableLength);
    return ok;
  }) as typeof sink.write;
  return { sink, received, calls, mostBuffered: () => most };
}

describe('relay', () => {
  it('carries every byte in order, writes of one round of I/O as one, and ends the writer', async () => {
    const chunks = Array.from({ length: 64 }, () => randomBytes(16 * 1024));
    const { sink, received, calls } = slowSink();
    relay(Readable.from(chunks, { objectMode: false }), sink);
    await once(sink, 'finish');
    expect(Buffer.concat(received).equals(Buffer.concat(chunks))).toBe(true);
    // pipe() would have written the 16 KiB chunks one by one (the sink's high-water mark).
    expect(calls.length).toBeLessThan(chunks.length / 2);
  });

  it('lets the reader run at most RELAY_AHEAD (and one chunk) ahead of a slow writer', async () => {
    const chunk = 64 * 1024;
    const total = 40;
    let produced = 0;
    const source = new Readable({
      read() {
        this.push(produced++ < total ? Buffer.alloc(chunk, produced) : null);
      },
    });
    const { sink, received, mostBuffered } = slowSink();
    relay(source, sink);
    await once(sink, 'finish');
    expect(Buffer.concat(received).length).toBe(total * chunk);
    expect(mostBuffered()).toBeGreaterThanOrEqual(RELAY_AHEAD);
    expect(mostBuffered()).toBeLessThan(RELAY_AHEAD + chunk);
  });

  it('passes a half-close each way over real sockets', async () => {
    const [a, a2] = await socketPair({ allowHalfOpen: true });
    const [b, b2] = await socketPair({ allowHalfOpen: true });
    // a2 <-> b: the relay between two connections, as the API server sits between client and kubelet.
    relayBoth(a2, b);
    const fromB = readAll(b2);
    const payload = randomBytes(3 << 20);
    a.end(payload);
    expect((await fromB).equals(payload)).toBe(true);
    // b2's side is still open: its answer comes back after the other direction ended.
    const fromA = readAll(a);
    b2.end('answer');
    expect((await fromA).toString()).toBe('answer');
  });
});
