// An upstream resolver on loopback for the cluster DNS suites: answers A questions from a
// table over UDP and TCP, counts what it was asked, and can be made silent.
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { frame, FrameReader } from '../../dns/tcp-frames.js';

export interface FakeUpstream {
  port: number;
  /** Questions seen, `name TYPE transport`. */
  asked: string[];
  stop(): Promise<void>;
}

function reply(query: Buffer, records: Record<string, string>): Buffer {
  const q = dnsPacket.decode(query);
  const question = q.questions?.[0];
  const ip = question && question.type === 'A' ? records[question.name.toLowerCase()] : undefined;
  return dnsPacket.encode({
    type: 'response',
    id: q.id,
    flags: dnsPacket.RECURSION_AVAILABLE | (ip || question?.type !== 'A' ? 0 : 3),
    questions: q.questions,
    answers: ip && question ? [{ type: 'A', name: question.name, ttl: 60, class: 'IN', data: ip }] : [],
  });
}

/** Serves `records` (name → IPv4) on 127.0.0.1; `silent` answers nothing (a dead upstream). */
export async function startFakeUpstream(records: Record<string, string>, opts: { silent?: boolean } = {}): Promise<FakeUpstream> {
  const asked: string[] = [];
  const note = (msg: Buffer, transport: string) => {
    const q = dnsPacket.decode(msg).questions?.[0];
    if (q) asked.push(`${q.name} ${q.type} ${transport}`);
  };
  const tcp = net.createServer((sock) => {
    const reader = new FrameReader();
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: Buffer) => {
      for (const msg of reader.push(chunk)) {
        note(msg, 'tcp');
        if (!opts.silent) sock.write(frame(reply(msg, records)));
      }
    });
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const port = (tcp.address() as net.AddressInfo).port;
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, '127.0.0.1', resolve);
  });
  udp.on('message', (msg, rinfo) => {
    note(msg, 'udp');
    if (!opts.silent) udp.send(reply(msg, records), rinfo.port, rinfo.address);
  });
  return {
    port,
    asked,
    stop: async () => {
      await Promise.all([new Promise((r) => tcp.close(r)), new Promise<void>((r) => udp.close(() => r()))]);
    },
  };
}
