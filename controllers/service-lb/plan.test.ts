// ServiceLB's plan from plain records: which nodes' addresses each LoadBalancer Service gets.
import { describe, expect, it } from 'vitest';
import type { Node } from '../../api/types/core.js';
import type { EndpointSlice, Service, ServicePort } from '../../api/types/service.js';
import { ENABLE_LB_LABEL, LB_POOL_LABEL, ingressEqual, ingressList, planLoadBalancers } from './plan.js';

const node = (name: string, o: { ip?: string; ext?: string; ready?: 'True' | 'False'; labels?: Record<string, string> } = {}): Node => ({
  metadata: { name, labels: o.labels },
  spec: {},
  status: {
    conditions: [{ type: 'Ready', status: o.ready ?? 'True' }],
    addresses: [...(o.ip ? [{ type: 'InternalIP' as const, address: o.ip }] : []), ...(o.ext ? [{ type: 'ExternalIP' as const, address: o.ext }] : []), { type: 'Hostname' as const, address: name }],
  },
});

let clock = 0;
const svc = (name: string, ports: Partial<ServicePort>[] = [{ port: 80 }], o: { type?: Service['spec']['type']; cls?: string; local?: boolean; published?: boolean; labels?: Record<string, string> } = {}): Service => ({
  metadata: { name, namespace: 'ns', labels: o.labels, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, clock++)).toISOString() },
  spec: {
    type: o.type ?? 'LoadBalancer',
    loadBalancerClass: o.cls,
    externalTrafficPolicy: o.local ? 'Local' : 'Cluster',
    ipFamilies: ['IPv4'],
    ports: ports.map((p) => ({ protocol: 'TCP', port: 80, ...p })),
  },
  status: o.published ? { loadBalancer: { ingress: [{ ip: '10.0.0.1', ipMode: 'VIP' }] } } : {},
});

const ips = (plan: ReturnType<typeof planLoadBalancers>, name: string) => plan.get(`ns/${name}`)?.ingress.map((i) => i.ip);

describe('planLoadBalancers', () => {
  const three = [node('c', { ip: '10.0.0.3' }), node('a', { ip: '10.0.0.1' }), node('b', { ip: '10.0.0.2' })];

  it('lists every Ready node InternalIP, sorted, ipMode VIP', () => {
    const plan = planLoadBalancers([svc('web')], three, []);
    expect(plan.get('ns/web')).toEqual({ ingress: ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip) => ({ ip, ipMode: 'VIP' })) });
  });

  it('leaves out NotReady nodes; none Ready: no ingress and no conflict', () => {
    expect(ips(planLoadBalancers([svc('web')], [...three.slice(0, 2), node('b', { ip: '10.0.0.2', ready: 'False' })], []), 'web')).toEqual(['10.0.0.1', '10.0.0.3']);
    expect(planLoadBalancers([svc('web')], [node('a', { ip: '10.0.0.1', ready: 'False' })], []).get('ns/web')).toEqual({ ingress: [] });
  });

  it('takes ExternalIPs once any node has one (k3s), InternalIPs otherwise', () => {
    const nodes = [node('a', { ip: '10.0.0.1', ext: '192.0.2.1' }), node('b', { ip: '10.0.0.2' })];
    expect(ips(planLoadBalancers([svc('web')], nodes, []), 'web')).toEqual(['192.0.2.1']);
  });

  it('only nodes labelled enablelb=true once any node carries the label; lbpool narrows further', () => {
    const nodes = [
      node('a', { ip: '10.0.0.1', labels: { [ENABLE_LB_LABEL]: 'true', [LB_POOL_LABEL]: 'p1' } }),
      node('b', { ip: '10.0.0.2', labels: { [ENABLE_LB_LABEL]: 'false' } }),
      node('c', { ip: '10.0.0.3', labels: { [ENABLE_LB_LABEL]: 'true', [LB_POOL_LABEL]: 'p2' } }),
      node('d', { ip: '10.0.0.4' }),
    ];
    const plan = planLoadBalancers([svc('all'), svc('pooled', [{ port: 81 }], { labels: { [LB_POOL_LABEL]: 'p2' } })], nodes, []);
    expect(ips(plan, 'all')).toEqual(['10.0.0.1', '10.0.0.3']);
    expect(ips(plan, 'pooled')).toEqual(['10.0.0.3']);
  });

  it('skips Services of another type or with a loadBalancerClass', () => {
    const plan = planLoadBalancers([svc('np', [{ port: 80 }], { type: 'NodePort' }), svc('other', [{ port: 80 }], { cls: 'example.com/lb' })], three, []);
    expect(plan.size).toBe(0);
  });

  it('a port held by an older Service leaves the newer pending with the conflict; another protocol is no conflict', () => {
    const older = svc('older', [{ port: 80 }, { port: 443, name: 'https' }]);
    const newer = svc('newer', [{ port: 443 }]);
    const udp = svc('udp', [{ port: 443, protocol: 'UDP' }]);
    const plan = planLoadBalancers([newer, udp, older], three, []);
    expect(ips(plan, 'older')).toHaveLength(3);
    expect(plan.get('ns/newer')).toEqual({ ingress: [], conflict: { port: '443/TCP', holder: 'ns/older' } });
    expect(ips(plan, 'udp')).toHaveLength(3);
  });

  it('a published Service keeps its port over an older pending one', () => {
    const old = svc('old');
    const pub = svc('pub', [{ port: 80 }], { published: true });
    const plan = planLoadBalancers([old, pub], three, []);
    expect(ips(plan, 'pub')).toHaveLength(3);
    expect(plan.get('ns/old')?.conflict).toEqual({ port: '80/TCP', holder: 'ns/pub' });
  });

  it('ports are held per node: with pools apart, one port serves two Services', () => {
    const nodes = [node('a', { ip: '10.0.0.1', labels: { [ENABLE_LB_LABEL]: 'true', [LB_POOL_LABEL]: 'x' } }), node('b', { ip: '10.0.0.2', labels: { [ENABLE_LB_LABEL]: 'true', [LB_POOL_LABEL]: 'y' } })];
    const plan = planLoadBalancers([svc('x', [{ port: 80 }], { labels: { [LB_POOL_LABEL]: 'x' } }), svc('y', [{ port: 80 }], { labels: { [LB_POOL_LABEL]: 'y' } })], nodes, []);
    expect([ips(plan, 'x'), ips(plan, 'y')]).toEqual([['10.0.0.1'], ['10.0.0.2']]);
  });

  it('externalTrafficPolicy Local: only nodes with a ready pod endpoint', () => {
    const slice: EndpointSlice = {
      metadata: { name: 'web-1', namespace: 'ns', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.244.0.5'], conditions: { ready: true }, nodeName: 'b', targetRef: { kind: 'Pod', name: 'p1' } },
        { addresses: ['10.244.0.6'], conditions: { ready: false }, nodeName: 'c', targetRef: { kind: 'Pod', name: 'p2' } },
      ],
    };
    expect(ips(planLoadBalancers([svc('web', [{ port: 80 }], { local: true })], three, [slice]), 'web')).toEqual(['10.0.0.2']);
  });

  it('compares and prints ingress as k3s does', () => {
    expect(ingressEqual([{ ip: '1.1.1.1', ipMode: 'VIP' }], [{ ip: '1.1.1.1', ipMode: 'VIP' }])).toBe(true);
    expect(ingressEqual([{ ip: '1.1.1.1' }], [{ ip: '1.1.1.1', ipMode: 'VIP' }])).toBe(false);
    expect(ingressList([{ ip: '1.1.1.1' }, { hostname: 'lb.example' }])).toBe('[1.1.1.1 lb.example]');
    expect(ingressList([])).toBe('[]');
  });
});
