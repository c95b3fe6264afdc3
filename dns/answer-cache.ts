// The zone's answers kept as the bytes sent, per question: a question asked again while the
// zone is unchanged is answered by copying them and writing the new query's id, without
// decoding the query or encoding an answer (dns-packet's encode was most of the server's own
// time per answer; bench/_service-dns.ts). An answer is a function of the question's bytes
// (name as the client spelled it, type, class), the header's flags, the transport and the
// client's EDNS buffer size, and the zone: those are the key, and any change to the zone (its version)
// empties the cache. Only authoritative answers of the zone are kept: nothing forwarded,
// no ExternalName chased upstream, no error. Bounded, the oldest going first.
import { Lru } from '../client/lru.js';

/** As many entries as CoreDNS's cache plugin holds by default (9984, rounded). */
const DEFAULT_MAX = 10_000;

const OPT = 41;

/**
 * The cache key of a plain query: one question (no compression pointer in its name), no
 * answer or authority records, nothing additional but an OPT record; undefined for any other
 * shape (the caller answers it the long way, uncached).
 */
export function questionKey(query: Buffer, tcp: boolean): string | undefined {
  if (query.length < 17 || query.readUInt16BE(4) !== 1 || query.readUInt16BE(6) !== 0 || query.readUInt16BE(8) !== 0) return undefined;
  const additional = query.readUInt16BE(10);
  if (additional > 1) return undefined;
  let i = 12;
  for (;;) {
    const len = query[i];
    if (len === undefined || len > 63) return undefined;
    i += 1 + len;
    if (len === 0) break;
  }
  const end = i + 4;
  let edns = '-';
  if (additional === 1) {
    // OPT: the root name, its type, the UDP payload size as its class, a TTL, RDLENGTH, RDATA.
    if (query.length < end + 11 || query[end] !== 0 || query.readUInt16BE(end + 1) !== OPT) return undefined;
    if (end + 11 + query.readUInt16BE(end + 9) !== query.length) return undefined;
    edns = String(query.readUInt16BE(end + 3));
  } else if (end !== query.length) return undefined;
  // The header's first flags byte: QR, opcode, AA, TC, RD (an answer depends on RD; a query
  // of another opcode, or a response, is never answered from the cache, never put in it).
  return `${tcp ? 'T' : 'U'}${query[2] as number}/${edns}:${query.toString('latin1', 12, end)}`;
}

export class AnswerCache {
  readonly #entries: Lru<Buffer>;
  #version = -1;

  constructor(max = DEFAULT_MAX) {
    this.#entries = new Lru(max);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The answer kept for `key` at the zone's `version`, as a new buffer carrying `id`. */
  get(key: string, version: number, id: number): Buffer | undefined {
    if (!this.#at(version)) return undefined;
    const kept = this.#entries.get(key);
    if (!kept) return undefined;
    const out = Buffer.allocUnsafe(kept.length);
    kept.copy(out);
    out.writeUInt16BE(id, 0);
    return out;
  }

  set(key: string, version: number, answer: Buffer): void {
    this.#at(version);
    this.#entries.touch(key, Buffer.from(answer));
  }

  /** True when the entries are of this version; emptied and moved to it when not. */
  #at(version: number): boolean {
    if (version === this.#version) return true;
    this.#entries.clear();
    this.#version = version;
    return false;
  }
}
