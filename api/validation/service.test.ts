// Service, Endpoints and EndpointSlice validation after defaults, as kube-apiserver answers:
// each bad input with its field path.
import { describe, expect, it } from 'vitest';
import { defaultService } from '../kinds/service.js';
import type { EndpointSlice, Endpoints, Service } from '../types/service.js';
import { validateEndpoints, validateEndpointSlice } from './endpoints.js';
import { validateService, validateServiceUpdate } from './service.js';

const svc = (spec: Partial<Service['spec']>): Service => {
  const s: Service = { metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...spec } };
  defaultService(s);
  return s;
};
const fields = (causes: { field?: string }[]) => causes.map((c) => c.field);

describe('Service validation', () => {
  it.each<[string, Partial<Service['spec']>, string[]]>([
    ['a valid ClusterIP Service', {}, []],
    ['no ports', { ports: [] }, ['spec.ports']],
    ['a headless Service needs none', { ports: [], clusterIP: 'None' }, []],
    // (targetPort defaults to port, so it is out of range too, as in Kubernetes)
    ['port out of range', { ports: [{ port: 70000 }] }, ['spec.ports[0].port', 'spec.ports[0].targetPort']],
    ['names required with two ports', { ports: [{ port: 80 }, { name: 'b', port: 81 }] }, ['spec.ports[0].name']],
    ['duplicate names', { ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] }, ['spec.ports[1].name']],
    ['a bad target port name', { ports: [{ port: 80, targetPort: 'Not_A_Name' }] }, ['spec.ports[0].targetPort']],
    ['nodePort on ClusterIP', { ports: [{ port: 80, nodePort: 30080 }] }, ['spec.ports[0].nodePort']],
    ['headless NodePort', { type: 'NodePort', clusterIP: 'None' }, ['spec.clusterIPs[0]']],
    ['a bad cluster IP', { clusterIP: '10.0.0.300' }, ['spec.clusterIPs[0]']],
    ['ExternalName without a name', { type: 'ExternalName' }, ['spec.externalName']],
    ['ExternalName with a bad name', { type: 'ExternalName', externalName: 'not_a.host' }, ['spec.externalName']],
    ['an unknown type', { type: 'Magic' as Service['spec']['type'] }, ['spec.type']],
    ['ClientIP affinity over a day', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 86401 } } }, ['spec.sessionAffinityConfig.clientIP.timeoutSeconds']],
    ['externalTrafficPolicy on ClusterIP', { externalTrafficPolicy: 'Local' }, ['spec.externalTrafficPolicy']],
    ['a bad selector', { selector: { 'a b': 'c' } }, ['spec.selector']],
  ])('%s', (_name, spec, want) => {
    expect(fields(validateService(svc(spec)))).toEqual(want);
  });

  it('defaults as Kubernetes', () => {
    const s = svc({ type: 'LoadBalancer', sessionAffinity: 'ClientIP' });
    expect(s.spec).toMatchObject({
      type: 'LoadBalancer',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
      externalTrafficPolicy: 'Cluster',
      internalTrafficPolicy: 'Cluster',
      allocateLoadBalancerNodePorts: true,
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }],
    });
  });

  it('an allocated cluster IP may not change, unless to or from ExternalName', () => {
    const old = svc({ clusterIP: '10.96.0.5' });
    expect(fields(validateServiceUpdate(svc({ clusterIP: '10.96.0.6' }), old))).toEqual(['spec.clusterIPs[0]']);
    expect(validateServiceUpdate(svc({ type: 'ExternalName', externalName: 'a.b' }), old)).toEqual([]);
  });
});

describe('Endpoints and EndpointSlice validation', () => {
  it('Endpoints: addresses routable, ports named when several', () => {
    const ep: Endpoints = { metadata: { name: 'web' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }, { ip: 'x' }], ports: [{ port: 80, protocol: 'TCP' }, { name: 'b', port: 81, protocol: 'TCP' }] }, { ports: [{ port: 1, protocol: 'TCP' }] }] };
    expect(fields(validateEndpoints(ep))).toEqual(['subsets[0].addresses[0].ip', 'subsets[0].addresses[1].ip', 'subsets[0].ports[0].name', 'subsets[1]']);
  });

  it('EndpointSlice: address type, at most 1000 endpoints, addresses of the type', () => {
    const slice = (endpoints: EndpointSlice['endpoints'], addressType: EndpointSlice['addressType'] = 'IPv4'): EndpointSlice => ({ metadata: { name: 's' }, addressType, endpoints });
    expect(validateEndpointSlice(slice([{ addresses: ['10.0.0.1'] }]))).toEqual([]);
    expect(fields(validateEndpointSlice(slice([{ addresses: ['fe80::1'] }, { addresses: [] }])))).toEqual(['endpoints[0].addresses[0]', 'endpoints[1].addresses']);
    expect(fields(validateEndpointSlice(slice(Array.from({ length: 1001 }, () => ({ addresses: ['10.0.0.1'] })))))).toEqual(['endpoints']);
    expect(fields(validateEndpointSlice(slice([], 'IPv5' as EndpointSlice['addressType'])))).toEqual(['addressType']);
  });
});
