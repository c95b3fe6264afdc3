// Copying one byte stream into another as a forwarder should: what one round of I/O brings
// leaves in one write (tick-writes.ts), and the reader stops only once the writer is a few
// socket reads behind. pipe() stops at the writer's high-water mark, 16 KiB for a socket: one
// TLS record, or a quarter of one socket read, so every record took a turn of the event loop
// and a write syscall of its own (the API server wrote 61 times per MiB to kubectl).
import type { Duplex, Readable, Writable } from 'node:stream';
import { coalesceTickWrites } from './tick-writes.js';

/** How far the writer may lag before the reader pauses: a few 64 KiB socket reads. */
export const RELAY_AHEAD = 256 * 1024;

/** Copies `from` into `to` as it comes, ending `to` at `from`'s end (as pipe() does, errors left to the caller). */
export function relay(from: Readable, to: Writable): void {
  const beforeWrite = coalesceTickWrites(to);
  let waiting = false;
  const resume = () => {
    waiting = false;
    from.resume();
  };
  from.on('data', (chunk: Buffer) => {
    if (to.destroyed) return;
    beforeWrite();
    to.write(chunk);
    if (!waiting && to.writableLength >= RELAY_AHEAD) {
      // Past the high-water mark, so write() said false and 'drain' follows once all is out.
      waiting = true;
      from.pause();
      to.once('drain', resume);
    }
  });
  from.on('end', () => {
    if (!to.destroyed) to.end();
  });
}

/** Relays two duplexes into each other (a connection and its forwarded twin). */
export function relayBoth(a: Duplex, b: Duplex): void {
  relay(a, b);
  relay(b, a);
}
