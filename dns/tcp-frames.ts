// DNS over TCP frames each message with a two-byte length (RFC 1035 4.2.2): the server, the
// forwarder and the suites' fake upstream read and write them here.
export function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

/** Collects a stream's chunks and hands back each whole message as it completes. */
export class FrameReader {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const out: Buffer[] = [];
    while (this.#buf.length >= 2 && this.#buf.length >= 2 + this.#buf.readUInt16BE(0)) {
      const msg = this.#buf.subarray(2, 2 + this.#buf.readUInt16BE(0));
      this.#buf = this.#buf.subarray(2 + msg.length);
      out.push(msg);
    }
    return out;
  }
}
