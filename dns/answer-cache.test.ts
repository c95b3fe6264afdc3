// The answer cache through the real handler and zone (no sockets): a repeated question is
// answered with its own id and its own spelling, any change to the zone is seen at once, and
// what is not a plain zone answer is never kept.
import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import type { Service } from '../api/types/service.js';
import { AnswerCache, questionKey } from './answer-cache.js';
import { Forwarder } from './forwarder.js';
import { DnsHandler } from './server.js';
import { ClusterZone } from './zone.js';

const web = (clusterIP: string): Service => ({ metadata: { namespace: 'default', name: 'web' }, spec: { clusterIP, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });

function query(id: number, name: string, type: 'A' | 'SRV' = 'A', edns?: number): Buffer {
  const additionals = edns ? [{ type: 'OPT', name: '.', udpPayloadSize: edns } as dnsPacket.Answer] : [];
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }], additionals });
}

function setup() {
  const zone = new ClusterZone({ domain: 'cluster.local' });
  zone.setService(web('10.96.0.20'));
  return { zone, handler: new DnsHandler(zone, new Forwarder({ upstreams: [] })) };
}

const addresses = (reply: Buffer | undefined) => (dnsPacket.decode(reply as Buffer).answers ?? []).map((a) => `${a.name} ${String((a as { data?: unknown }).data)}`);
/** The reply's RCODE, the low 4 bits of its flags. */
const rcode = (reply: Buffer | undefined) => (reply as Buffer).readUInt16BE(2) & 0xf;

describe('the answer cache', () => {
  it('answers a repeated question from the cache, with the new id and the question as spelled', async () => {
    const { handler } = setup();
    expect(handler.cached(query(1, 'web.default.svc.cluster.local'), false)).toBeUndefined();
    const first = await handler.handle(query(1, 'web.default.svc.cluster.local'), false);
    const again = handler.cached(query(2, 'web.default.svc.cluster.local'), false);
    expect(again?.readUInt16BE(0)).toBe(2);
    expect(again?.subarray(2)).toEqual(first?.subarray(2));
    // Another spelling is another question: its reply echoes its own spelling.
    expect(handler.cached(query(3, 'WEB.default.svc.cluster.local'), false)).toBeUndefined();
    const upper = await handler.handle(query(3, 'WEB.default.svc.cluster.local'), false);
    expect(dnsPacket.decode(upper as Buffer).questions?.[0]?.name).toBe('WEB.default.svc.cluster.local');
    expect(addresses(upper)).toEqual(['web.default.svc.cluster.local 10.96.0.20']);
    expect(dnsPacket.decode(handler.cached(query(4, 'WEB.default.svc.cluster.local'), false) as Buffer).questions?.[0]?.name).toBe('WEB.default.svc.cluster.local');
  });

  it('forgets every answer when the zone changes', async () => {
    const { zone, handler } = setup();
    await handler.handle(query(1, 'web.default.svc.cluster.local'), false);
    await handler.handle(query(1, 'nope.default.svc.cluster.local'), false);
    zone.setService(web('10.96.0.21'));
    expect(handler.cached(query(2, 'web.default.svc.cluster.local'), false)).toBeUndefined();
    expect(handler.cached(query(2, 'nope.default.svc.cluster.local'), false)).toBeUndefined();
    expect(addresses(await handler.handle(query(2, 'web.default.svc.cluster.local'), false))).toEqual(['web.default.svc.cluster.local 10.96.0.21']);
    zone.deleteService(web('10.96.0.21'));
    expect(rcode(await handler.handle(query(3, 'web.default.svc.cluster.local'), false))).toBe(3);
  });

  it('keeps UDP and TCP, and each EDNS buffer size, apart', async () => {
    const { handler } = setup();
    await handler.handle(query(1, 'web.default.svc.cluster.local'), false);
    expect(handler.cached(query(2, 'web.default.svc.cluster.local'), true)).toBeUndefined();
    expect(handler.cached(query(2, 'web.default.svc.cluster.local', 'A', 1232), false)).toBeUndefined();
    const withEdns = await handler.handle(query(2, 'web.default.svc.cluster.local', 'A', 1232), false);
    expect(dnsPacket.decode(withEdns as Buffer).additionals?.map((a) => a.type)).toEqual(['OPT']);
    expect(handler.cached(query(3, 'web.default.svc.cluster.local', 'A', 1232), false)?.subarray(2)).toEqual(withEdns?.subarray(2));
  });

  it('never keeps what is forwarded or failed', async () => {
    const { handler } = setup();
    await handler.handle(query(1, 'example.org'), false);
    expect(handler.cached(query(2, 'example.org'), false)).toBeUndefined();
  });

  it('keys only plain queries: one question, no pointer, nothing but an OPT beside it', () => {
    expect(questionKey(query(1, 'a.b'), false)).toBeDefined();
    expect(questionKey(query(1, 'a.b', 'A', 4096), false)).not.toBe(questionKey(query(1, 'a.b', 'A', 1232), false));
    const two = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'a.b' }, { type: 'A', name: 'c.d' }] });
    expect(questionKey(two, false)).toBeUndefined();
    const withAnswer = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'a.b' }], answers: [{ type: 'A', name: 'a.b', data: '192.0.2.1' }] });
    expect(questionKey(withAnswer, false)).toBeUndefined();
    const trailing = Buffer.concat([query(1, 'a.b'), Buffer.from([0])]);
    expect(questionKey(trailing, false)).toBeUndefined();
    expect(questionKey(query(1, 'a.b').subarray(0, 14), false)).toBeUndefined();
  });

  it('holds at most its bound, the oldest going first', () => {
    const cache = new AnswerCache(2);
    for (const k of ['a', 'b', 'c']) cache.set(k, 1, Buffer.from([0, 0, 1]));
    expect(cache.size).toBe(2);
    expect(cache.get('a', 1, 7)).toBeUndefined();
    expect([...(cache.get('c', 1, 7) ?? [])]).toEqual([0, 7, 1]);
  });
});
