// Writes made in one tick of the event loop leave as one: the first corks the stream and the
// end of the tick uncorks it, so a TLS socket encrypts them in one go and hands the kernel one
// write instead of one per chunk. A relay reads several TLS records (16 KiB each) off one
// socket read and a SPDY session sends a frame per stream, so without this every chunk costs
// its own syscall on loopback, which is most of what forwarding costs (npm run bench -- exec).
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
    process.nextTick(uncork);
  };
}
