// Writes made while one round of I/O is handled leave as one: the first corks the stream and
// setImmediate (the loop's check phase, right after the poll phase that delivered the reads)
// uncorks it, so a TLS socket encrypts them in one go and hands the kernel one write instead
// of one per chunk. process.nextTick would not do: a TLS socket hands each decrypted record
// (16 KiB at most) to JavaScript in a callback of its own, and the tick queue runs after each,
// so a relay reading four records off one socket read still wrote four times (measured: 15 KiB
// writes from the API server to the client, one per record). Every write syscall on loopback
// also runs the receiver's TCP input and wakes it, which is most of what forwarding costs
// (npm run bench -- exec).
import type { Writable } from 'node:stream';

/** Returns a `beforeWrite()` to call before each write to `out`. */
export function coalesceTickWrites(out: Writable): () => void {
  let corked = false;
  const uncork = () => {
    corked = false;
    out.uncork();
  };
  return () => {
    if (corked) return;
    corked = true;
    out.cork();
    setImmediate(uncork);
  };
}
