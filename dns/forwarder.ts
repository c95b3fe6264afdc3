// Questions outside the cluster domain go to the node's upstream resolvers, as CoreDNS's
// `forward` plugin sends them: the client's packet as it came (its id, its EDNS), over UDP, or
// TCP when the client used TCP or the UDP answer was truncated. Upstreams are tried in order,
// the one that last answered first; one that refuses (ICMP port unreachable: a loopback stub
// seen from a lab node's namespace) or stays silent is passed over for the next, and after
// `timeoutMs` in all the caller gets nothing and answers SERVFAIL: an answer, never a hang.
import dgram from 'node:dgram';
import net, { isIP } from 'node:net';
import { frame, FrameReader } from './tcp-frames.js';
import type { Upstream } from './upstreams.js';

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** The whole forward, every upstream tried (CoreDNS's forward gives up after 5 s; glibc's
   *  resolver retries after 5 s, so this answers first). */
  timeoutMs?: number;
  /** One upstream's share before the next is tried. */
  attemptMs?: number;
}

const TC = 1 << 9;

export class Forwarder {
  readonly upstreams: readonly Upstream[];
  readonly #timeoutMs: number;
  readonly #attemptMs: number;
  #preferred = 0;

  constructor(o: ForwarderOptions) {
    this.upstreams = o.upstreams;
    this.#timeoutMs = o.timeoutMs ?? 2000;
    this.#attemptMs = o.attemptMs ?? 1000;
  }

  /** The upstream's answer to `query`, or undefined when none answered in time. */
  async forward(query: Buffer, tcp: boolean): Promise<Buffer | undefined> {
    const n = this.upstreams.length;
    if (n === 0) return undefined;
    const deadline = Date.now() + this.#timeoutMs;
    for (let i = 0; i < n; i++) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const index = (this.#preferred + i) % n;
      const up = this.upstreams[index] as Upstream;
      // The last upstream gets whatever time is left.
      const budget = i === n - 1 ? left : Math.min(left, this.#attemptMs);
      try {
        let answer = tcp ? await overTcp(up, query, budget) : await overUdp(up, query, budget);
        if (!tcp && answer.length >= 4 && (answer.readUInt16BE(2) & TC) !== 0) {
          // Truncated over UDP: the whole answer over TCP if there is time, else as it is.
          answer = await overTcp(up, query, Math.max(1, deadline - Date.now())).catch(() => answer);
        }
        this.#preferred = index;
        return answer;
      } catch {
        // refused, unreachable or silent: the next upstream
      }
    }
    return undefined;
  }
}

type Settle = (err: Error | undefined, msg?: Buffer) => void;

/**
 * One question to one upstream: `open` wires a socket and calls `settle`; the first of the
 * answer, an error or the timeout settles it, and the socket is closed then.
 */
function exchange(up: Upstream, timeoutMs: number, open: (settle: Settle) => { close(): void }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let finished = false;
    const opened: { sock?: { close(): void } } = {};
    const settle: Settle = (err, msg) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      opened.sock?.close();
      if (err) reject(err);
      else resolve(msg as Buffer);
    };
    const timer = setTimeout(() => settle(new Error(`no answer from ${up.host}:${up.port}`)), timeoutMs);
    opened.sock = open(settle);
    if (finished) opened.sock.close();
  });
}

function overUdp(up: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return exchange(up, timeoutMs, (settle) => {
    const sock = dgram.createSocket(isIP(up.host) === 6 ? 'udp6' : 'udp4');
    const id = query.readUInt16BE(0);
    sock.on('error', (err) => settle(err));
    sock.on('message', (msg) => {
      // Connected: only the upstream's packets arrive; a stray id is ignored.
      if (msg.length >= 12 && msg.readUInt16BE(0) === id) settle(undefined, msg);
    });
    // Connected, so an ICMP port unreachable comes back as ECONNREFUSED at once.
    sock.connect(up.port, up.host, () => sock.send(query));
    return { close: () => sock.close() };
  });
}

function overTcp(up: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return exchange(up, timeoutMs, (settle) => {
    const sock = net.connect({ host: up.host, port: up.port });
    const reader = new FrameReader();
    sock.on('error', (err) => settle(err));
    sock.on('close', () => settle(new Error(`${up.host}:${up.port} closed the connection`)));
    sock.on('connect', () => sock.write(frame(query)));
    sock.on('data', (chunk: Buffer) => {
      const [msg] = reader.push(chunk);
      if (msg) settle(undefined, msg);
    });
    return { close: () => sock.destroy() };
  });
}
