import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Service, ServiceSpec, Endpoint } from '../api/types/service.js';
import { chainNames, MAX_CHAIN_NAME, validateTag } from './chain-names.js';
import { buildRules, builtinJumps, probability, type RuleSet } from './rules.js';
import { restorePayload } from './restore-payload.js';
import { servicePorts } from './service-ports.js';

const TAG = 'SKT';
const n = chainNames(TAG);

function svc(name: string, spec: Partial<ServiceSpec>): Service {
  return { metadata: { name, namespace: 'ns1' }, spec: { clusterIP: '10.96.0.10', ports: [{ name: 'p80', port: 80 }], ...spec } };
}
function slice(service: string, endpoints: Endpoint[], port = 8080, protocol: 'TCP' | 'UDP' = 'TCP', portName = 'p80'): EndpointSlice {
  return { metadata: { name: `${service}-x`, namespace: 'ns1', labels: { 'kubernetes.io/service-name': service } }, addressType: 'IPv4', ports: [{ name: portName, port, protocol }], endpoints };
}
const ep = (ip: string, extra: Partial<Endpoint> = {}): Endpoint => ({ addresses: [ip], conditions: { ready: true }, ...extra });

function rules(services: Service[], slices: EndpointSlice[], node = 'n1'): RuleSet {
  return buildRules(servicePorts(services, slices, node), { tag: TAG, clusterCIDR: '10.244.0.0/16' });
}
const all = (r: RuleSet): string => [...r.nat.values(), ...r.filter.values()].flat().join('\n');
const chain = (r: RuleSet, table: 'nat' | 'filter', c: string): string[] => r[table].get(c) ?? [];
const SVC = n.svc('ns1/a:p80', 'tcp');
const SVL = n.svl('ns1/a:p80', 'tcp');
const sep = (ip: string, port = 8080): string => n.sep('ns1/a:p80', 'tcp', `${ip}:${port}`);

describe('chain names', () => {
  it("hashes as kube-proxy does (its own test's names under the KUBE tag)", () => {
    const k = chainNames('KUBE');
    expect(k.svc('ns1/svc1:p80', 'tcp')).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(k.sep('ns1/svc1:p80', 'tcp', '10.180.0.1:80')).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
  });
  it.each(['A', 'SKIFF', 'SKIFFABCDE'])('keeps every name of tag %s within 28 characters', (tag) => {
    const c = chainNames(tag);
    for (const name of [c.externalServices, c.svc('ns/x:y', 'tcp'), c.sep('ns/x:y', 'udp', '1.2.3.4:5'), c.postrouting]) expect(name.length).toBeLessThanOrEqual(MAX_CHAIN_NAME);
  });
  it.each(['', 'skiff', 'SKIFF-1', 'SKIFFABCDEF', '1SK'])('refuses tag %j', (tag) => {
    expect(() => validateTag(tag)).toThrow(/invalid chain tag/);
  });
  it("owns its own chains and not a longer tag's", () => {
    expect(n.owns(SVC)).toBe(true);
    expect(n.owns('SKT-SERVICES')).toBe(true);
    expect(n.owns(chainNames('SKTX').svc('ns1/a:p80', 'tcp'))).toBe(false);
    expect(n.owns('SKTX-SERVICES')).toBe(false);
    expect(n.owns('KUBE-SERVICES')).toBe(false);
  });
});

describe('buildRules', () => {
  it('balances over ready endpoints with kube-proxy probabilities, DNAT and hairpin mark per endpoint', () => {
    const r = rules([svc('a', {})], [slice('a', [ep('10.244.1.3'), ep('10.244.1.1'), ep('10.244.1.2'), ep('10.244.1.9', { conditions: { ready: false, serving: false } })])]);
    expect(chain(r, 'nat', n.services)).toContain(`-A ${n.services} -d 10.96.0.10/32 -m comment --comment "ns1/a:p80 cluster IP" -p tcp -m tcp --dport 80 -j ${SVC}`);
    expect(chain(r, 'nat', SVC)).toEqual([
      `-A ${SVC} -d 10.96.0.10/32 ! -s 10.244.0.0/16 -m comment --comment "ns1/a:p80 cluster IP" -p tcp -m tcp --dport 80 -j ${n.markMasq}`,
      `-A ${SVC} -m comment --comment "ns1/a:p80 -> 10.244.1.1:8080" -m statistic --mode random --probability 0.3333333333 -j ${sep('10.244.1.1')}`,
      `-A ${SVC} -m comment --comment "ns1/a:p80 -> 10.244.1.2:8080" -m statistic --mode random --probability 0.5000000000 -j ${sep('10.244.1.2')}`,
      `-A ${SVC} -m comment --comment "ns1/a:p80 -> 10.244.1.3:8080" -j ${sep('10.244.1.3')}`,
    ]);
    expect(chain(r, 'nat', sep('10.244.1.1'))).toEqual([
      `-A ${sep('10.244.1.1')} -s 10.244.1.1/32 -m comment --comment "ns1/a:p80" -j ${n.markMasq}`,
      `-A ${sep('10.244.1.1')} -m comment --comment "ns1/a:p80" -p tcp -m tcp -j DNAT --to-destination 10.244.1.1:8080`,
    ]);
    expect(r.nat.has(sep('10.244.1.9'))).toBe(false);
    expect(all(r)).not.toContain('REJECT');
  });

  it.each([
    ['serving terminating endpoints when none is ready', [ep('10.244.1.1', { conditions: { ready: false, serving: true, terminating: true } })], ['10.244.1.1']],
    ['ready ones only when some are ready', [ep('10.244.1.1', { conditions: { ready: false, serving: true, terminating: true } }), ep('10.244.1.2')], ['10.244.1.2']],
    ['no terminating endpoint that no longer serves', [ep('10.244.1.1', { conditions: { ready: false, serving: false, terminating: true } }), ep('10.244.1.2')], ['10.244.1.2']],
    ['an endpoint without conditions as ready', [{ addresses: ['10.244.1.4'] }], ['10.244.1.4']],
  ] as const)('uses %s', (_what, endpoints, ips) => {
    const r = rules([svc('a', {})], [slice('a', [...endpoints])]);
    expect(chain(r, 'nat', SVC).filter((l) => l.includes(' -> ')).map((l) => /-> ([\d.]+):/.exec(l)![1])).toEqual(ips);
  });

  it('rejects (filter) a Service without endpoints and writes no nat chain for it', () => {
    const r = rules([svc('a', { type: 'NodePort', ports: [{ name: 'p80', port: 80, nodePort: 30080 }] })], []);
    expect(chain(r, 'filter', n.services)).toEqual([`-A ${n.services} -d 10.96.0.10/32 -m comment --comment "ns1/a:p80 has no endpoints" -p tcp -m tcp --dport 80 -j REJECT`]);
    expect(chain(r, 'filter', n.externalServices)).toEqual([`-A ${n.externalServices} -m comment --comment "ns1/a:p80 has no endpoints" -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -j REJECT`]);
    expect(r.nat.has(SVC)).toBe(false);
    expect(chain(r, 'nat', n.services).join('\n')).not.toContain('10.96.0.10');
  });

  it('sends NodePorts through the external chain (masqueraded) and keeps the local-destination jump last', () => {
    const r = rules([svc('a', { type: 'NodePort', ports: [{ name: 'p80', port: 80, nodePort: 30080 }] })], [slice('a', [ep('10.244.1.1')])]);
    const ext = n.ext('ns1/a:p80', 'tcp');
    expect(chain(r, 'nat', n.nodePorts)).toEqual([`-A ${n.nodePorts} -m comment --comment "ns1/a:p80" -p tcp -m tcp --dport 30080 -j ${ext}`]);
    expect(chain(r, 'nat', ext)).toEqual([`-A ${ext} -m comment --comment "masquerade traffic for ns1/a:p80 external destinations" -j ${n.markMasq}`, `-A ${ext} -j ${SVC}`]);
    expect(chain(r, 'nat', n.services).at(-1)).toMatch(new RegExp(`-m addrtype --dst-type LOCAL -j ${n.nodePorts}$`));
  });

  it('answers NodePorts only on the given addresses when told', () => {
    const r = buildRules(servicePorts([svc('a', {})], [], 'n1'), { tag: TAG, nodePortAddresses: ['192.168.1.5', '127.0.0.1'] });
    expect(chain(r, 'nat', n.services).filter((l) => l.endsWith(n.nodePorts))).toEqual([
      `-A ${n.services} -d 192.168.1.5/32 -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -j ${n.nodePorts}`,
      `-A ${n.services} -d 127.0.0.1/32 -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -j ${n.nodePorts}`,
    ]);
  });

  it('keeps ClientIP affinity with -m recent, checked before the balancing', () => {
    const r = rules([svc('a', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } })], [slice('a', [ep('10.244.1.1'), ep('10.244.1.2')])]);
    const lines = chain(r, 'nat', SVC);
    expect(lines[1]).toBe(`-A ${SVC} -m comment --comment "ns1/a:p80 -> 10.244.1.1:8080" -m recent --name ${sep('10.244.1.1')} --mask 255.255.255.255 --rsource --rcheck --seconds 60 --reap -j ${sep('10.244.1.1')}`);
    expect(lines[3]).toContain('--probability 0.5000000000');
    expect(chain(r, 'nat', sep('10.244.1.1'))[1]).toBe(`-A ${sep('10.244.1.1')} -m comment --comment "ns1/a:p80" -m recent --name ${sep('10.244.1.1')} --mask 255.255.255.255 --rsource --set -p tcp -m tcp -j DNAT --to-destination 10.244.1.1:8080`);
  });

  it('sends internalTrafficPolicy Local to local endpoints only; none here: rejected, or dropped when reachable from outside', () => {
    const here = rules([svc('a', { internalTrafficPolicy: 'Local' })], [slice('a', [ep('10.244.1.1', { nodeName: 'n1' }), ep('10.244.2.1', { nodeName: 'n2' })])]);
    expect(chain(here, 'nat', n.services)[0]).toContain(`-j ${SVL}`);
    expect(chain(here, 'nat', SVL)).toEqual([`-A ${SVL} -m comment --comment "ns1/a:p80 -> 10.244.1.1:8080" -j ${sep('10.244.1.1')}`]);
    expect(here.nat.has(SVC)).toBe(false);
    const elsewhere = rules([svc('a', { internalTrafficPolicy: 'Local' })], [slice('a', [ep('10.244.2.1', { nodeName: 'n2' })])]);
    // As kube-proxy: nothing reachable from here at all is "no endpoints" (REJECT) ...
    expect(chain(elsewhere, 'filter', n.services)).toEqual([`-A ${n.services} -d 10.96.0.10/32 -m comment --comment "ns1/a:p80 has no endpoints" -p tcp -m tcp --dport 80 -j REJECT`]);
    // ... while a NodePort Service still has cluster endpoints for outside traffic: its ClusterIP drops.
    const nodePort = rules([svc('a', { type: 'NodePort', internalTrafficPolicy: 'Local', ports: [{ name: 'p80', port: 80, nodePort: 30080 }] })], [slice('a', [ep('10.244.2.1', { nodeName: 'n2' })])]);
    expect(chain(nodePort, 'filter', n.services)).toEqual([`-A ${n.services} -d 10.96.0.10/32 -m comment --comment "ns1/a:p80 has no local endpoints" -p tcp -m tcp --dport 80 -j DROP`]);
    expect(chain(nodePort, 'nat', n.nodePorts)).toHaveLength(1);
  });

  it('keeps externalTrafficPolicy Local to local endpoints, short-circuiting pods and the node itself', () => {
    const r = rules([svc('a', { type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'p80', port: 80, nodePort: 30080 }] })], [slice('a', [ep('10.244.1.1', { nodeName: 'n1' }), ep('10.244.2.1', { nodeName: 'n2' })])]);
    const ext = n.ext('ns1/a:p80', 'tcp');
    expect(chain(r, 'nat', ext)).toEqual([
      `-A ${ext} -s 10.244.0.0/16 -m comment --comment "pod traffic for ns1/a:p80 external destinations" -j ${SVC}`,
      `-A ${ext} -m comment --comment "masquerade LOCAL traffic for ns1/a:p80 external destinations" -m addrtype --src-type LOCAL -j ${n.markMasq}`,
      `-A ${ext} -m comment --comment "route LOCAL traffic for ns1/a:p80 external destinations" -m addrtype --src-type LOCAL -j ${SVC}`,
      `-A ${ext} -j ${SVL}`,
    ]);
    expect(chain(r, 'nat', SVC).filter((l) => l.includes(' -> '))).toHaveLength(2);
    expect(chain(r, 'nat', SVL).filter((l) => l.includes(' -> '))).toHaveLength(1);
  });

  it.each([
    ['headless', svc('a', { clusterIP: 'None' })],
    ['ExternalName', svc('a', { type: 'ExternalName', clusterIP: undefined, externalName: 'example.com' })],
    ["another proxy's", { ...svc('a', {}), metadata: { name: 'a', namespace: 'ns1', labels: { 'service.kubernetes.io/service-proxy-name': 'other' } } }],
  ] as const)('skips a %s Service', (_what, s) => {
    const r = rules([s as Service], [slice('a', [ep('10.244.1.1')])]);
    expect(all(r)).not.toContain('ns1/a');
  });

  it('matches endpoint ports by name and protocol (UDP)', () => {
    const r = rules([svc('a', { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] })], [slice('a', [ep('10.244.1.1')], 5353, 'UDP', 'dns')]);
    const udp = n.svc('ns1/a:dns', 'udp');
    expect(chain(r, 'nat', udp).at(-1)).toBe(`-A ${udp} -m comment --comment "ns1/a:dns -> 10.244.1.1:5353" -j ${n.sep('ns1/a:dns', 'udp', '10.244.1.1:5353')}`);
    expect(chain(r, 'filter', n.services)).toEqual([`-A ${n.services} -d 10.96.0.10/32 -m comment --comment "ns1/a:dns-tcp has no endpoints" -p tcp -m tcp --dport 53 -j REJECT`]);
  });

  it('masquerades marked packets once, and drops martian localnet packets', () => {
    const r = rules([], []);
    expect(chain(r, 'nat', n.postrouting)).toEqual([
      `-A ${n.postrouting} -m mark ! --mark 0x4000/0x4000 -j RETURN`,
      `-A ${n.postrouting} -j MARK --xor-mark 0x4000`,
      `-A ${n.postrouting} -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully`,
    ]);
    expect(chain(r, 'filter', n.firewall)[0]).toContain('! -s 127.0.0.0/8 -d 127.0.0.0/8');
    expect(probability(7)).toBe('0.1428571429');
  });
});

describe('restorePayload', () => {
  const one = rules([svc('a', {})], [slice('a', [ep('10.244.1.1')])]);
  const two = rules([svc('a', {})], [slice('a', [ep('10.244.1.2')])]);

  it('writes every chain, and the missing built-in jumps, on a full sync', () => {
    const p = restorePayload({ next: one, missingJumps: builtinJumps(TAG).filter((j) => j.chain === 'PREROUTING') });
    expect(p.text).toContain(`:${sep('10.244.1.1')} - [0:0]`);
    expect(p.text).toContain(`-I PREROUTING -m comment --comment "kubernetes service portals" -j ${n.services}`);
    expect(p.text.match(/^COMMIT$/gm)).toHaveLength(2);
    expect(p.written).toBe(one.nat.size + one.filter.size);
  });

  it('writes only changed chains and deletes stale ones', () => {
    const p = restorePayload({ next: two, written: one });
    expect(p.text.split('\n').filter((l) => l.startsWith(':')).sort()).toEqual([`:${SVC} - [0:0]`, `:${sep('10.244.1.1')} - [0:0]`, `:${sep('10.244.1.2')} - [0:0]`].sort());
    expect(p.text).toContain(`-X ${sep('10.244.1.1')}`);
    expect(p.text).not.toContain('*filter');
    expect(p.deleted).toBe(1);
  });

  it('writes nothing when nothing changed', () => {
    expect(restorePayload({ next: one, written: one }).text).toBe('');
  });

  it("deletes the tag's chains found in the kernel that are no longer wanted (after a restart)", () => {
    const p = restorePayload({ next: two, present: { nat: [sep('10.244.1.1')], filter: [] } });
    expect(p.text).toContain(`-X ${sep('10.244.1.1')}`);
  });
});
