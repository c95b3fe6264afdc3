import { describe, expect, it } from 'vitest';
import type { Endpoint, EndpointSlice, Service } from '../api/types/service.js';
import { chainNames } from './chain-names.js';
import { diffRules } from './restore-payload.js';
import { ServiceRuleCache } from './rule-cache.js';
import { buildRules, type ProxyRulesConfig, type RuleSet } from './rules.js';
import { servicePorts, type ServicePortInfo } from './service-ports.js';

const cfg: ProxyRulesConfig = { tag: 'SKRC', clusterCIDR: '10.244.0.0/16' };
const n = chainNames(cfg.tag);

function svc(name: string, ip: string, nodePort?: number): Service {
  return { metadata: { name, namespace: 'ns1' }, spec: { type: nodePort ? 'NodePort' : 'ClusterIP', clusterIP: ip, ports: [{ name: 'p', port: 80, ...(nodePort ? { nodePort } : {}) }] } };
}
function slice(service: string, ips: string[]): EndpointSlice {
  const endpoints: Endpoint[] = ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } }));
  return { metadata: { name: `${service}-x`, namespace: 'ns1', labels: { 'kubernetes.io/service-name': service } }, addressType: 'IPv4', ports: [{ name: 'p', port: 8080, protocol: 'TCP' }], endpoints };
}
const portsOf = (s: Service, sl?: EndpointSlice): ServicePortInfo[] => servicePorts([s], sl ? [sl] : [], 'n1');
const sep = (service: string, ip: string): string => n.sep(`ns1/${service}:p`, 'tcp', `${ip}:8080`);

// Three Services of two endpoints each, as a full sync leaves them.
function threeServices(): { cache: ServiceRuleCache; full: RuleSet; services: Service[]; slices: EndpointSlice[] } {
  const services = [svc('a', '10.96.0.1'), svc('b', '10.96.0.2', 30080), svc('c', '10.96.0.3')];
  const slices = [slice('a', ['10.244.1.1', '10.244.1.2']), slice('b', ['10.244.2.1', '10.244.2.2']), slice('c', ['10.244.3.1', '10.244.3.2'])];
  const cache = new ServiceRuleCache(cfg);
  const full = cache.rebuild(new Map(services.map((s, i) => [`ns1/${s.metadata.name}`, portsOf(s, slices[i])])));
  return { cache, full, services, slices };
}

describe('ServiceRuleCache', () => {
  it('builds on a full sync the same rule set as buildRules', () => {
    const { full, services, slices } = threeServices();
    expect(full).toEqual(buildRules(servicePorts(services, slices, 'n1'), cfg));
  });

  it("rewrites only the changed Service's own chains when one endpoint changes, and no shared chain", () => {
    const { cache, services } = threeServices();
    const { change, before, after } = cache.update(new Map([['ns1/b', portsOf(services[1], slice('b', ['10.244.2.1', '10.244.2.9']))]]));
    expect([...change.write.nat.keys()].sort()).toEqual([n.svc('ns1/b:p', 'tcp'), sep('b', '10.244.2.9')].sort());
    expect([...change.remove.nat]).toEqual([sep('b', '10.244.2.2')]);
    expect(change.write.filter.size + change.remove.filter.size).toBe(0);
    expect(before.map((p) => p.name)).toEqual(['ns1/b:p']);
    expect(after[0].endpoints.map((e) => e.ip)).toEqual(['10.244.2.1', '10.244.2.9']);
  });

  it('writes the shared chains again, from every Service, when a Service loses its last endpoint', () => {
    const { cache, services } = threeServices();
    const { change } = cache.update(new Map([['ns1/b', portsOf(services[1], slice('b', []))]]));
    // Its ClusterIP and NodePort jumps leave the nat chains; REJECTs take their place in the filter table.
    expect(change.write.nat.get(n.services)?.some((l) => l.includes('ns1/b:p'))).toBe(false);
    expect(change.write.nat.get(n.services)?.filter((l) => l.includes('cluster IP'))).toHaveLength(2);
    expect(change.write.nat.get(n.nodePorts)).toEqual([]);
    expect(change.write.filter.get(n.services)).toEqual([expect.stringContaining('ns1/b:p has no endpoints')]);
    expect(change.write.filter.get(n.externalServices)).toEqual([expect.stringContaining('--dport 30080 -j REJECT')]);
    expect([...change.remove.nat].sort()).toEqual([n.svc('ns1/b:p', 'tcp'), n.ext('ns1/b:p', 'tcp'), sep('b', '10.244.2.1'), sep('b', '10.244.2.2')].sort());
  });

  it("deletes a deleted Service's chains and takes its lines out of the shared chains", () => {
    const { cache, services, slices } = threeServices();
    const { change } = cache.update(new Map([['ns1/a', []]]));
    expect([...change.remove.nat].sort()).toEqual([n.svc('ns1/a:p', 'tcp'), sep('a', '10.244.1.1'), sep('a', '10.244.1.2')].sort());
    expect(change.write.nat.get(n.services)?.join('\n')).not.toContain('ns1/a:p');
    expect([...change.write.nat.keys()]).toEqual([n.services]);
    // What is left is what a full build of the other two gives.
    const full = buildRules(servicePorts(services.slice(1), slices.slice(1), 'n1'), cfg);
    expect(change.write.nat.get(n.services)).toEqual(full.nat.get(n.services));
    expect(cache.size).toBe(2);
  });

  it('adds a new Service in order in the shared chains, as a full build would have it', () => {
    const { cache, services, slices } = threeServices();
    const extra = svc('ab', '10.96.0.4');
    const { change } = cache.update(new Map([['ns1/ab', portsOf(extra, slice('ab', ['10.244.4.1']))]]));
    const full = buildRules(servicePorts([...services, extra], [...slices, slice('ab', ['10.244.4.1'])], 'n1'), cfg);
    expect(change.write.nat.get(n.services)).toEqual(full.nat.get(n.services));
    expect([...change.write.nat.keys()].sort()).toEqual([n.services, n.svc('ns1/ab:p', 'tcp'), sep('ab', '10.244.4.1')].sort());
  });

  it('changes nothing when a Service is built again unchanged, and agrees with a diff of two full builds', () => {
    const { cache, full, services } = threeServices();
    const same = cache.update(new Map([['ns1/c', portsOf(services[2], slice('c', ['10.244.3.1', '10.244.3.2']))]]));
    expect(same.change.write.nat.size + same.change.remove.nat.size + same.change.write.filter.size).toBe(0);
    const next = slice('c', ['10.244.3.2', '10.244.3.3']);
    const { change } = cache.update(new Map([['ns1/c', portsOf(services[2], next)]]));
    const diff = diffRules({ next: buildRules(servicePorts(services, [slice('a', ['10.244.1.1', '10.244.1.2']), slice('b', ['10.244.2.1', '10.244.2.2']), next], 'n1'), cfg), written: full });
    expect(change.write).toEqual(diff.write);
    expect(change.remove).toEqual(diff.remove);
  });
});
