// The DNS server: UDP and TCP on one address and port, packets read and written with
// `dns-packet` (the wire format, name compression and EDNS of the npm package most DNS tools
// in Node use, kept since 2016; writing our own codec would buy nothing). A question in the
// cluster zone is answered from it (authoritative); anything else is forwarded upstream
// byte for byte, SERVFAIL when no upstream answers in time. Over UDP an answer larger than
// the client's buffer (512 bytes, or its EDNS size) is cut to fit and marked TC, and the
// client asks again over TCP, as CoreDNS does. The zone's answers are kept per question until
// the zone changes (answer-cache.ts).
import dgram from 'node:dgram';
import type { EventEmitter } from 'node:events';
import net, { isIP } from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';
import { AnswerCache, questionKey } from './answer-cache.js';
import type { Forwarder } from './forwarder.js';
import { frame, FrameReader } from './tcp-frames.js';
import type { ClusterZone, QuestionType } from './zone.js';

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;
/** The largest UDP answer this server sends to an EDNS client (the DNS flag day's 1232). */
const MAX_UDP = 1232;
const TCP_IDLE_MS = 10_000;

export interface DnsServerOptions {
  host: string;
  /** 0: any free port (the same one for UDP and TCP). */
  port: number;
  zone: ClusterZone;
  forwarder: Forwarder;
  onError?: (err: unknown) => void;
}

export interface DnsServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

export class DnsHandler {
  readonly #zone: ClusterZone;
  readonly #forwarder: Forwarder;
  readonly #cache = new AnswerCache();

  constructor(zone: ClusterZone, forwarder: Forwarder) {
    this.#zone = zone;
    this.#forwarder = forwarder;
  }

  /** The zone's answer to a question asked before (the zone unchanged since), at once; else undefined. */
  cached(query: Buffer, tcp: boolean): Buffer | undefined {
    const key = questionKey(query, tcp);
    return key === undefined ? undefined : this.#cache.get(key, this.#zone.version, query.readUInt16BE(0));
  }

  /** The answer to one query packet, or undefined when it cannot be answered at all (no header). */
  async handle(query: Buffer, tcp: boolean): Promise<Buffer | undefined> {
    const hit = this.cached(query, tcp);
    if (hit) return hit;
    if (query.length < 12 || (query.readUInt16BE(2) & 0x8000) !== 0) return undefined;
    // Only standard queries (opcode 0): no NOTIFY, no UPDATE.
    if (((query.readUInt16BE(2) >> 11) & 0xf) !== 0) return headerOnly(query, RCODE.NOTIMP);
    let q: DecodedPacket;
    try {
      q = dnsPacket.decode(query);
    } catch {
      return headerOnly(query, RCODE.FORMERR);
    }
    const question = q.questions?.[0];
    if (!question || q.questions?.length !== 1) return headerOnly(query, RCODE.FORMERR);
    const opt = q.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
    const version = this.#zone.version;
    const answer = this.#zone.answer(question.name, question.type as QuestionType);
    if (!answer) {
      const upstream = await this.#forwarder.forward(query, tcp);
      return upstream ?? this.#encode(q, RCODE.SERVFAIL, { answers: [], authorities: [], additionals: [] }, false, tcp, opt);
    }
    if (answer.chase) {
      const answers = [...answer.answers, ...(await this.#chase(q, answer.chase, question.type as QuestionType))];
      return this.#encode(q, RCODE[answer.rcode], { ...answer, answers }, true, tcp, opt);
    }
    const reply = this.#encode(q, RCODE[answer.rcode], answer, true, tcp, opt);
    const key = questionKey(query, tcp);
    if (key !== undefined) this.#cache.set(key, version, reply);
    return reply;
  }

  /** An ExternalName's target, resolved upstream (CoreDNS's kubernetes plugin does the same). */
  async #chase(q: DecodedPacket, target: string, type: QuestionType): Promise<Answer[]> {
    const query = dnsPacket.encode({ type: 'query', id: q.id ?? 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: type as Answer['type'], name: target, class: 'IN' }] });
    const reply = await this.#forwarder.forward(query, false);
    if (!reply) return [];
    try {
      return dnsPacket.decode(reply).answers ?? [];
    } catch {
      return [];
    }
  }

  #encode(
    q: DecodedPacket,
    rcode: number,
    sections: { answers: Answer[]; authorities: Answer[]; additionals: Answer[] },
    authoritative: boolean,
    tcp: boolean,
    opt: { udpPayloadSize?: number } | undefined,
  ): Buffer {
    const flags = (authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | (q.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | dnsPacket.RECURSION_AVAILABLE | rcode;
    const edns: Answer[] = opt ? [{ type: 'OPT', name: '.', udpPayloadSize: MAX_UDP, extendedRcode: 0, ednsVersion: 0, flags: 0 } as Answer] : [];
    const packet: Packet = {
      type: 'response',
      id: q.id ?? 0,
      flags,
      questions: q.questions ?? [],
      answers: sections.answers,
      authorities: sections.authorities,
      additionals: [...sections.additionals, ...edns],
    };
    const limit = tcp ? 65535 : opt ? Math.min(Math.max(512, opt.udpPayloadSize ?? 512), MAX_UDP) : 512;
    if (dnsPacket.encodingLength(packet) <= limit) return dnsPacket.encode(packet);
    // Too big for the client's UDP buffer: glue first, then answers from the end, and TC set.
    const cut: Packet = { ...packet, flags: flags | dnsPacket.TRUNCATED_RESPONSE, additionals: edns, authorities: [], answers: [...(packet.answers ?? [])] };
    while ((cut.answers?.length ?? 0) > 0 && dnsPacket.encodingLength(cut) > limit) cut.answers?.pop();
    return dnsPacket.encode(cut);
  }
}

/** A reply carrying only the query's header (id, RD) and an rcode: FORMERR, NOTIMP. */
function headerOnly(query: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(query.readUInt16BE(0), 0);
  const rd = query.readUInt16BE(2) & dnsPacket.RECURSION_DESIRED;
  out.writeUInt16BE(0x8000 | rd | dnsPacket.RECURSION_AVAILABLE | rcode, 2);
  return out;
}

/** Resolves when `start` calls back; rejects on an 'error' (a port taken) before that. */
function started(emitter: EventEmitter, start: (listening: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    emitter.once('error', reject);
    start(() => {
      emitter.off('error', reject);
      resolve();
    });
  });
}

async function listenTcp(host: string, port: number, onConnection: (s: net.Socket) => void): Promise<net.Server> {
  const srv = net.createServer(onConnection);
  await started(srv, (cb) => srv.listen(port, host, cb));
  return srv;
}

async function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  const sock = dgram.createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
  await started(sock, (cb) => sock.bind(port, host, cb));
  return sock;
}

export async function startDnsServer(o: DnsServerOptions): Promise<DnsServer> {
  const handler = new DnsHandler(o.zone, o.forwarder);
  const onError = o.onError ?? (() => {});
  const connections = new Set<net.Socket>();
  const serveTcp = (sock: net.Socket) => {
    connections.add(sock);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('close', () => connections.delete(sock));
    sock.on('error', () => sock.destroy());
    const reader = new FrameReader();
    sock.on('data', (chunk: Buffer) => {
      for (const msg of reader.push(chunk)) {
        const hit = handler.cached(msg, true);
        if (hit) {
          sock.write(frame(hit));
          continue;
        }
        handler.handle(msg, true).then((reply) => {
          if (reply && !sock.destroyed) sock.write(frame(reply));
        }, onError);
      }
    });
  };
  // One port for both: TCP first (0 picks one), then UDP on it; a port taken for UDP alone
  // (rare, with 0) is given back and another tried.
  for (let attempt = 0; ; attempt++) {
    const tcp = await listenTcp(o.host, o.port, serveTcp);
    const port = (tcp.address() as net.AddressInfo).port;
    let udp: dgram.Socket;
    try {
      udp = await bindUdp(o.host, port);
    } catch (err) {
      await new Promise((r) => tcp.close(r));
      if (o.port !== 0 || attempt >= 5) throw err;
      continue;
    }
    udp.on('message', (msg, rinfo) => {
      // A question asked before is answered here and now, without a promise.
      const hit = handler.cached(msg, false);
      if (hit) {
        udp.send(hit, rinfo.port, rinfo.address);
        return;
      }
      handler.handle(msg, false).then((reply) => {
        if (reply) udp.send(reply, rinfo.port, rinfo.address);
      }, onError);
    });
    udp.on('error', onError);
    return {
      host: o.host,
      port,
      close: async () => {
        for (const s of connections) s.destroy();
        await Promise.all([new Promise((r) => tcp.close(r)), new Promise<void>((r) => udp.close(() => r()))]);
      },
    };
  }
}
