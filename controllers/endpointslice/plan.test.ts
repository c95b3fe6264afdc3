import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import type { EndpointSlice, Service } from '../../api/types/service.js';
import { CONTROLLER_NAME, newEndpointSlice, planEndpointSlices, type SlicePlan } from './plan.js';

interface PodFacts {
  ip?: string | null;
  ready?: boolean;
  deleting?: boolean;
  phase?: 'Running' | 'Succeeded' | 'Failed';
  node?: string;
  hostname?: string;
  subdomain?: string;
  /** container port named `http` */
  httpPort?: number;
}

function pod(name: string, f: PodFacts = {}): Pod {
  const ip = f.ip === undefined ? `10.0.0.${Number(name.replace(/\D/g, '')) % 250}` : f.ip;
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'web' }, ...(f.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: {
      nodeName: f.node ?? 'n1',
      hostname: f.hostname,
      subdomain: f.subdomain,
      containers: [{ name: 'c', image: 'i', ports: [{ name: 'http', containerPort: f.httpPort ?? 8080 }] }],
    },
    status: {
      phase: f.phase ?? 'Running',
      ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
      conditions: [{ type: 'Ready', status: (f.ready ?? true) ? 'True' : 'False' }],
    },
  };
}

function service(o: Partial<Service['spec']> & { labels?: Record<string, string>; deleting?: boolean } = {}): Service {
  const { labels, deleting, ...spec } = o;
  return {
    metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', labels, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { clusterIP: '10.96.0.20', ipFamilies: ['IPv4'], selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec },
  };
}

const zones = (name: string) => (name === 'gone' ? null : name === 'n2' ? 'zone-b' : undefined);

/** A slice as the API server would hand it back: named, with a resourceVersion. */
function stored(slice: EndpointSlice, name: string): EndpointSlice {
  return { ...structuredClone(slice), metadata: { ...structuredClone(slice.metadata), name, resourceVersion: '7', generateName: undefined } };
}

function plan(svc: Service, pods: Pod[], slices: EndpointSlice[] = [], max?: number): SlicePlan {
  return planEndpointSlices({ service: svc, pods, slices, nodeZone: zones, maxEndpointsPerSlice: max });
}

const names = (eps: EndpointSlice['endpoints']) => eps.map((e) => e.targetRef?.name).sort();
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => pod(`p${i + from}`));

describe('planEndpointSlices', () => {
  it('makes one slice of the ready pods, labelled, owned by and named after the Service', () => {
    const p = plan(service({ labels: { tier: 'front' } }), [pod('p1'), pod('p2', { node: 'n2' })]);
    expect(p.update).toEqual([]);
    expect(p.delete).toEqual([]);
    expect(p.create).toHaveLength(1);
    const s = p.create[0] as EndpointSlice;
    expect(s.metadata.generateName).toBe('web-');
    expect(s.metadata.labels).toEqual({ tier: 'front', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': CONTROLLER_NAME });
    expect(s.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
    expect(s.addressType).toBe('IPv4');
    expect(s.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(s.endpoints).toEqual([
      { addresses: ['10.0.0.1'], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', namespace: 'ns', name: 'p1', uid: 'uid-p1' }, nodeName: 'n1' },
      { addresses: ['10.0.0.2'], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', namespace: 'ns', name: 'p2', uid: 'uid-p2' }, nodeName: 'n2', zone: 'zone-b' },
    ]);
  });

  it.each([
    ['not ready', { ready: false }, { ready: false, serving: false, terminating: false }],
    ['terminating and ready', { deleting: true }, { ready: false, serving: true, terminating: true }],
    ['terminating, not ready', { deleting: true, ready: false }, { ready: false, serving: false, terminating: true }],
  ] as const)('a %s pod is an endpoint with its conditions', (_what, facts, conditions) => {
    const [s] = plan(service(), [pod('p1', facts)]).create;
    expect(s?.endpoints[0]?.conditions).toEqual(conditions);
  });

  it('publishNotReadyAddresses makes every endpoint ready', () => {
    const [s] = plan(service({ publishNotReadyAddresses: true }), [pod('p1', { ready: false }), pod('p2', { deleting: true })]).create;
    expect(s?.endpoints.map((e) => e.conditions)).toEqual([
      { ready: true, serving: false, terminating: false },
      { ready: true, serving: true, terminating: true },
    ]);
  });

  it.each([
    ['without an IP', { ip: null }],
    ['that Succeeded', { phase: 'Succeeded' }],
    ['that Failed', { phase: 'Failed' }],
  ] as const)('leaves out a pod %s', (_what, facts) => {
    const [s] = plan(service(), [pod('p1'), pod('p2', facts)]).create;
    expect(names(s?.endpoints ?? [])).toEqual(['p1']);
  });

  it('resolves a named targetPort per pod: pods with different numbers get different slices', () => {
    const p = plan(service(), [pod('p1'), pod('p2', { httpPort: 9090 }), pod('p3')]);
    expect(p.create.map((s) => [s.ports, names(s.endpoints)])).toEqual([
      [[{ name: 'http', port: 8080, protocol: 'TCP' }], ['p1', 'p3']],
      [[{ name: 'http', port: 9090, protocol: 'TCP' }], ['p2']],
    ]);
  });

  it('a pod without the named port serves the Service on none of its ports', () => {
    const svc = service({ ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9100, targetPort: 'metrics' }] });
    const [s] = plan(svc, [pod('p1')]).create;
    expect(s?.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  it('sets the hostname of a pod whose subdomain is the Service; a headless Service without ports has portless slices', () => {
    const svc = service({ clusterIP: 'None', ports: [] });
    const [s] = plan(svc, [pod('p1', { hostname: 'one', subdomain: 'web' }), pod('p2', { hostname: 'two', subdomain: 'other' })]).create;
    expect(s?.metadata.labels?.['service.kubernetes.io/headless']).toBe('');
    expect(s?.ports).toEqual([]);
    expect(s?.endpoints.map((e) => e.hostname)).toEqual(['one', undefined]);
  });

  it('puts at most 100 endpoints in a slice', () => {
    const p = plan(service(), range(250));
    expect(p.create.map((s) => s.endpoints.length)).toEqual([100, 100, 50]);
  });

  it('a pod on a node that does not exist is left out and reported, unless not-ready addresses are published', () => {
    const p = plan(service(), [pod('p1'), pod('p2', { node: 'gone' })]);
    expect(names(p.create[0]?.endpoints ?? [])).toEqual(['p1']);
    expect(p.missingNodes).toEqual(['gone']);
    const q = plan(service({ publishNotReadyAddresses: true }), [pod('p1'), pod('p2', { node: 'gone' })]);
    expect(names(q.create[0]?.endpoints ?? [])).toEqual(['p1', 'p2']);
    expect(q.missingNodes).toEqual([]);
  });

  describe('against existing slices', () => {
    const svc = service();
    const current = (pods: Pod[], name = 'web-abc') => stored(plan(svc, pods).create[0] as EndpointSlice, name);

    it('changes nothing when nothing changed', () => {
      const pods = [pod('p1'), pod('p2')];
      expect(plan(svc, pods, [current(pods)])).toEqual({ create: [], update: [], delete: [], missingNodes: [] });
    });

    it('a readiness change updates the endpoint in place', () => {
      const p = plan(svc, [pod('p1'), pod('p2', { ready: false })], [current([pod('p1'), pod('p2')])]);
      expect(p.create).toEqual([]);
      expect(p.delete).toEqual([]);
      expect(p.update.map((s) => [s.metadata.name, s.metadata.resourceVersion])).toEqual([['web-abc', '7']]);
      expect(p.update[0]?.endpoints.map((e) => e.conditions?.ready)).toEqual([true, false]);
    });

    it('a new pod fills the slice that is being updated anyway, not a new one', () => {
      const full = current(range(100));
      const pods = [...range(99), pod('p500')];
      const p = plan(svc, pods, [full]);
      expect(p.create).toEqual([]);
      expect(p.update).toHaveLength(1);
      expect(p.update[0]?.endpoints).toHaveLength(100);
    });

    it('new pods go into the unchanged slice they leave the fullest, else into a new slice', () => {
      const a = current(range(60), 'web-a');
      const b = current(range(30, 60), 'web-b');
      const p = plan(svc, [...range(90), ...range(10, 200)], [a, b]);
      expect(p.create).toEqual([]);
      expect(p.update.map((s) => [s.metadata.name, s.endpoints.length])).toEqual([['web-a', 70]]);
      const c = current(range(95), 'web-c');
      const d = current(range(95, 95), 'web-d');
      const q = plan(svc, [...range(190), ...range(10, 300)], [c, d]);
      expect(q.update).toEqual([]);
      expect(q.create.map((s) => s.endpoints.length)).toEqual([10]);
    });

    it('the last pod gone turns the slice into the empty placeholder, which then stays', () => {
      const p = plan(svc, [], [current([pod('p1')])]);
      expect(p.create).toEqual([]);
      expect(p.delete).toEqual([]);
      expect(p.update).toHaveLength(1);
      expect(p.update[0]).toMatchObject({ metadata: { name: 'web-abc' }, endpoints: [], ports: [] });
      expect(plan(svc, [], [stored(p.update[0] as EndpointSlice, 'web-abc')])).toEqual({ create: [], update: [], delete: [], missingNodes: [] });
      expect(plan(svc, []).create).toEqual([newEndpointSlice(svc, [], 'IPv4')]);
    });

    it('a port change rewrites the slice rather than replacing it', () => {
      const p = plan(svc, [pod('p1', { httpPort: 9999 })], [current([pod('p1')])]);
      expect(p.create).toEqual([]);
      expect(p.delete).toEqual([]);
      expect(p.update.map((s) => [s.metadata.name, s.ports])).toEqual([['web-abc', [{ name: 'http', port: 9999, protocol: 'TCP' }]]]);
    });

    it('a slice of another Service of the same name (another uid) goes', () => {
      const old = { ...current([pod('p1')], 'web-old') };
      old.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'old-uid' }];
      const p = plan(svc, [pod('p1')], [old, current([pod('p1')])]);
      expect(p.delete.map((s) => s.metadata.name)).toEqual(['web-old']);
      expect(p.create).toEqual([]);
      expect(p.update).toEqual([]);
    });

    it('follows the Service labels', () => {
      const p = plan(service({ labels: { tier: 'back' } }), [pod('p1')], [current([pod('p1')])]);
      expect(p.update[0]?.metadata.labels).toMatchObject({ tier: 'back', 'kubernetes.io/service-name': 'web' });
    });

    it('an address type the Service no longer has goes', () => {
      const v6 = { ...current([pod('p1')], 'web-v6'), addressType: 'IPv6' as const };
      const p = plan(svc, [pod('p1')], [v6, current([pod('p1')])]);
      expect(p.delete.map((s) => s.metadata.name)).toEqual(['web-v6']);
    });

    it('a Service being deleted gets no new slice', () => {
      expect(plan(service({ deleting: true }), [pod('p1')]).create).toEqual([]);
    });
  });
});
