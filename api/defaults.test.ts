import { describe, expect, it } from 'vitest';
import { defaultPullPolicy, imageTag } from './defaults.js';
import { applyDefaults, prepareForCreate } from './kinds/index.js';
import type { Container, Namespace, Node, Pod } from './types/core.js';

const pod = (...containers: Container[]): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers } });

describe('image pull policy', () => {
  const cases: [string, 'Always' | 'IfNotPresent', string | undefined][] = [
    ['nginx', 'Always', undefined],
    ['nginx:latest', 'Always', 'latest'],
    ['nginx:1.25', 'IfNotPresent', '1.25'],
    ['localhost:5000/kuard', 'Always', undefined],
    ['localhost:5000/kuard:v1', 'IfNotPresent', 'v1'],
    ['busybox@sha256:abcd', 'IfNotPresent', undefined],
    ['busybox:latest@sha256:abcd', 'Always', 'latest'],
    ['ghcr.io/org/app:2.0@sha256:ef01', 'IfNotPresent', '2.0'],
  ];
  it.each(cases)('%s -> %s (tag %s)', (image, policy, tag) => {
    expect(defaultPullPolicy(image)).toBe(policy);
    expect(imageTag(image).tag).toBe(tag);
    const p = pod({ name: 'c', image });
    applyDefaults(p);
    expect(p.spec.containers[0].imagePullPolicy).toBe(policy);
  });

  it('keeps an explicit policy', () => {
    const p = pod({ name: 'c', image: 'nginx', imagePullPolicy: 'Never' });
    applyDefaults(p);
    expect(p.spec.containers[0].imagePullPolicy).toBe('Never');
  });
});

describe('pod defaults', () => {
  it('fills the pod spec as Kubernetes does', () => {
    const p = pod({ name: 'c', image: 'nginx:1', ports: [{ containerPort: 80 }] });
    applyDefaults(p);
    expect(p.spec).toMatchObject({
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      securityContext: {},
      enableServiceLinks: true,
      priority: 0,
    });
    expect(p.spec.containers[0]).toMatchObject({
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
    });
    expect(p.spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    expect(p.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  it('keeps values the user gave', () => {
    const p = pod({ name: 'c', image: 'nginx' });
    Object.assign(p.spec, { restartPolicy: 'Never', terminationGracePeriodSeconds: 0, dnsPolicy: 'Default', schedulerName: 'mine' });
    applyDefaults(p);
    expect(p.spec).toMatchObject({ restartPolicy: 'Never', terminationGracePeriodSeconds: 0, dnsPolicy: 'Default', schedulerName: 'mine' });
  });

  it('is idempotent', () => {
    const p = pod({ name: 'c', image: 'nginx', resources: { limits: { cpu: '0.5', memory: '1.5Gi' } }, livenessProbe: { httpGet: { port: 8080 } } });
    applyDefaults(p);
    const once = structuredClone(p);
    applyDefaults(p);
    expect(p).toEqual(once);
  });

  it('defaults probes and httpGet', () => {
    const p = pod({ name: 'c', image: 'nginx', livenessProbe: { httpGet: { port: 8080 } }, readinessProbe: { exec: { command: ['true'] }, periodSeconds: 5 } });
    applyDefaults(p);
    expect(p.spec.containers[0].livenessProbe).toEqual({
      httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(p.spec.containers[0].readinessProbe?.periodSeconds).toBe(5);
  });

  const resourceCases: [string, Container['resources'], Container['resources'], string][] = [
    ['limits only: requests copied', { limits: { cpu: '1', memory: '128Mi' } }, { limits: { cpu: '1', memory: '128Mi' }, requests: { cpu: '1', memory: '128Mi' } }, 'Guaranteed'],
    ['partial requests: the rest copied', { limits: { cpu: '1', memory: '128Mi' }, requests: { cpu: '500m' } }, { limits: { cpu: '1', memory: '128Mi' }, requests: { cpu: '500m', memory: '128Mi' } }, 'Burstable'],
    ['canonical forms', { requests: { cpu: 0.5, memory: '1.5Gi' } }, { requests: { cpu: '500m', memory: '1536Mi' } }, 'Burstable'],
    ['memory-swap stays a limit', { limits: { memory: '64Mi', 'skiff.dev/memory-swap': '128Mi' } }, { limits: { memory: '64Mi', 'skiff.dev/memory-swap': '128Mi' }, requests: { memory: '64Mi' } }, 'Burstable'],
    ['invalid quantities left for validation', { limits: { memory: '12Q' } }, { limits: { memory: '12Q' }, requests: { memory: '12Q' } }, 'BestEffort'],
  ];
  it.each(resourceCases)('%s', (_name, resources, want, qos) => {
    const p = pod({ name: 'c', image: 'nginx', resources });
    applyDefaults(p);
    expect(p.spec.containers[0].resources).toEqual(want);
    expect(p.status?.qosClass).toBe(qos);
  });

  it('does not add tolerations the pod already has', () => {
    const p = pod({ name: 'c', image: 'nginx' });
    p.spec.tolerations = [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }];
    applyDefaults(p);
    expect(p.spec.tolerations.map((t) => [t.key, t.tolerationSeconds])).toEqual([
      ['node.kubernetes.io/not-ready', 10],
      ['node.kubernetes.io/unreachable', 300],
    ]);
    const all = pod({ name: 'c', image: 'nginx' });
    all.spec.tolerations = [{ operator: 'Exists' }];
    applyDefaults(all);
    expect(all.spec.tolerations).toEqual([{ operator: 'Exists' }]);
  });

  it('gives host-network ports their host port and volumes an emptyDir', () => {
    const p = pod({ name: 'c', image: 'nginx', ports: [{ containerPort: 8080 }] });
    p.spec.hostNetwork = true;
    p.spec.volumes = [{ name: 'scratch' }, { name: 'sized', emptyDir: { sizeLimit: '1.5Gi' } }];
    applyDefaults(p);
    expect(p.spec.containers[0].ports?.[0].hostPort).toBe(8080);
    expect(p.spec.volumes).toEqual([{ name: 'scratch', emptyDir: {} }, { name: 'sized', emptyDir: { sizeLimit: '1536Mi' } }]);
  });

  it('leaves API data volumes their own source, with files 0644 unless a mode is given', () => {
    const p = pod({ name: 'c', image: 'nginx' });
    p.spec.volumes = [
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'sec', secret: { secretName: 's', defaultMode: 0o400 } },
      { name: 'info', downwardAPI: {} },
      { name: 'all', projected: { sources: [] } },
    ];
    applyDefaults(p);
    expect(p.spec.volumes).toEqual([
      { name: 'cfg', configMap: { name: 'cfg', defaultMode: 0o644 } },
      { name: 'sec', secret: { secretName: 's', defaultMode: 0o400 } },
      { name: 'info', downwardAPI: { defaultMode: 0o644 } },
      { name: 'all', projected: { sources: [], defaultMode: 0o644 } },
    ]);
  });

  it('survives malformed bodies (validation reports them)', () => {
    const bad = { kind: 'Pod', metadata: {}, spec: { containers: 'nope' } } as unknown as Pod;
    expect(() => applyDefaults(bad)).not.toThrow();
    const noSpec = { kind: 'Pod', metadata: {} } as unknown as Pod;
    expect(() => applyDefaults(noSpec)).not.toThrow();
  });
});

describe('prepareForCreate', () => {
  it('throws away a client-written pod status', () => {
    const p = pod({ name: 'c', image: 'nginx' });
    p.status = { phase: 'Running', podIP: '1.2.3.4' };
    prepareForCreate(p);
    applyDefaults(p);
    expect(p.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  it('gives namespaces the kubernetes finalizer and Active phase', () => {
    const ns: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' }, status: { phase: 'Terminating' } };
    prepareForCreate(ns);
    applyDefaults(ns);
    expect(ns.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(ns.status).toEqual({ phase: 'Active' });
  });
});

describe('node defaults', () => {
  it('defaults allocatable to capacity, canonically', () => {
    const node: Node = { kind: 'Node', metadata: { name: 'n1' }, status: { capacity: { cpu: '4', memory: '8388608Ki', pods: '110' } } };
    applyDefaults(node);
    expect(node.status?.allocatable).toEqual({ cpu: '4', memory: '8Gi', pods: '110' });
    expect(node.status?.capacity?.memory).toBe('8Gi');
  });
});
