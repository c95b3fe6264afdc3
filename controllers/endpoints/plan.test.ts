import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import type { Endpoints, Service } from '../../api/types/service.js';
import { endpointSubsets, endpointsToWrite, MAX_ENDPOINTS_CAPACITY, OVER_CAPACITY_ANNOTATION } from './plan.js';

function pod(n: number, f: { ready?: boolean; deleting?: boolean; ip?: string | null; metrics?: boolean; hostname?: string; phase?: 'Failed' } = {}): Pod {
  const ip = f.ip === undefined ? `10.0.${Math.floor(n / 250)}.${n % 250}` : f.ip;
  return {
    metadata: { name: `p${n}`, namespace: 'ns', uid: `u${n}`, resourceVersion: String(100 + n), ...(f.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: {
      nodeName: 'n1',
      hostname: f.hostname,
      subdomain: f.hostname ? 'web' : undefined,
      containers: [{ name: 'c', image: 'i', ports: [{ name: 'http', containerPort: 8080 }, ...(f.metrics ? [{ name: 'metrics', containerPort: 9100 }] : [])] }],
    },
    status: { phase: f.phase ?? 'Running', ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}), conditions: [{ type: 'Ready', status: (f.ready ?? true) ? 'True' : 'False' }] },
  };
}

function service(spec: Partial<Service['spec']> = {}, labels?: Record<string, string>): Service {
  return {
    metadata: { name: 'web', namespace: 'ns', uid: 's', labels },
    spec: {
      clusterIP: '10.96.0.20',
      ipFamilies: ['IPv4'],
      selector: { app: 'web' },
      ports: [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: 9100, targetPort: 'metrics', protocol: 'TCP' },
      ],
      ...spec,
    },
  };
}

const addr = (n: number, extra: object = {}) => ({ ip: `10.0.0.${n}`, nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name: `p${n}`, uid: `u${n}` }, ...extra });
const HTTP = { name: 'http', port: 8080, protocol: 'TCP' };
const METRICS = { name: 'metrics', port: 9100, protocol: 'TCP' };

describe('endpointSubsets', () => {
  it('groups the addresses serving each port, one subset per set of addresses; ready and not-ready addresses apart; terminating and addressless pods out', () => {
    const pods = [pod(1, { metrics: true }), pod(2, { metrics: true, ready: false }), pod(3), pod(4, { deleting: true }), pod(5, { ip: null }), pod(6, { phase: 'Failed' })];
    expect(endpointSubsets(service(), pods)).toEqual([
      { addresses: [addr(1), addr(3)], notReadyAddresses: [addr(2)], ports: [HTTP] },
      { addresses: [addr(1)], notReadyAddresses: [addr(2)], ports: [METRICS] },
    ]);
  });

  it('ports served by the same addresses share one subset', () => {
    expect(endpointSubsets(service(), [pod(3, { metrics: true }), pod(1, { metrics: true })])).toEqual([{ addresses: [addr(1), addr(3)], ports: [HTTP, METRICS] }]);
  });

  it('publishNotReadyAddresses lists every pod, terminating ones too, as ready', () => {
    const svc = service({ publishNotReadyAddresses: true, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] });
    expect(endpointSubsets(svc, [pod(1, { ready: false }), pod(2, { deleting: true })])).toEqual([{ addresses: [addr(1), addr(2)], ports: [HTTP] }]);
  });

  it('a headless Service without ports lists addresses, with the hostname of pods in its subdomain', () => {
    const svc = service({ clusterIP: 'None', ports: [] });
    expect(endpointSubsets(svc, [pod(1, { hostname: 'one' }), pod(2)])).toEqual([{ addresses: [addr(1, { hostname: 'one' }), addr(2)] }]);
  });
});

describe('endpointsToWrite', () => {
  const svc = service({ ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] }, { app: 'web' });

  it('makes the Endpoints named after the Service, with its labels', () => {
    expect(endpointsToWrite(svc, undefined, [pod(1)])).toEqual({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web', namespace: 'ns', labels: { app: 'web' }, annotations: {} },
      subsets: [{ addresses: [addr(1)], ports: [HTTP] }],
    });
  });

  it('writes nothing when only pods resourceVersions differ; writes when readiness changed', () => {
    const made = endpointsToWrite(svc, undefined, [pod(1)]) as Endpoints;
    const current: Endpoints = { ...made, metadata: { ...made.metadata, resourceVersion: '9' } };
    (current.subsets?.[0]?.addresses?.[0]?.targetRef as { resourceVersion?: string }).resourceVersion = '1';
    expect(endpointsToWrite(svc, current, [pod(1)])).toBeUndefined();
    const next = endpointsToWrite(svc, current, [pod(1, { ready: false })]);
    expect(next?.metadata.resourceVersion).toBe('9');
    expect(next?.subsets).toEqual([{ notReadyAddresses: [addr(1)], ports: [HTTP] }]);
  });

  it('labels a headless Service Endpoints', () => {
    expect(endpointsToWrite(service({ clusterIP: 'None' }), undefined, [])?.metadata.labels).toEqual({ 'service.kubernetes.io/headless': '' });
  });

  it('cuts past 1000 addresses and says so', () => {
    const pods = Array.from({ length: MAX_ENDPOINTS_CAPACITY + 20 }, (_, i) => pod(i));
    const ep = endpointsToWrite(svc, undefined, pods) as Endpoints;
    expect(ep.metadata.annotations?.[OVER_CAPACITY_ANNOTATION]).toBe('truncated');
    expect(ep.subsets?.[0]?.addresses).toHaveLength(MAX_ENDPOINTS_CAPACITY);
  });
});
