import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../kinds/index.js';
import { podRequests, qosClass } from '../pod-resources.js';
import type { Pod } from '../types/core.js';
import { validateObject } from './index.js';

function fullPod(): Pod {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'full', namespace: 'default', labels: { app: 'full', 'example.com/tier': 'web' }, annotations: { note: 'x' } },
    spec: {
      initContainers: [{ name: 'init', image: 'busybox:1', command: ['sh', '-c', 'true'] }],
      containers: [
        {
          name: 'app',
          image: 'nginx:1.25',
          args: ['-g', 'daemon off;'],
          workingDir: '/srv',
          ports: [{ name: 'http', containerPort: 80, hostPort: 8080, protocol: 'TCP' }],
          env: [{ name: 'A', value: '1' }, { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: 1, memory: '128Mi' } },
          volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
          livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 },
          readinessProbe: { tcpSocket: { port: 80 } },
          securityContext: { runAsUser: 1000, capabilities: { drop: ['ALL'] } },
        },
      ],
      volumes: [{ name: 'data', emptyDir: { sizeLimit: '1Gi' } }, { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } }],
      nodeSelector: { disk: 'ssd' },
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }] } } },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
      hostname: 'full',
    },
  };
  applyDefaults(pod);
  return pod;
}

/** Every primitive leaf of a JSON value, with its Kubernetes-style field path. */
function leaves(v: unknown, path: string, out: [string, (string | number)[]][], keys: (string | number)[] = []): typeof out {
  if (Array.isArray(v)) v.forEach((x, i) => leaves(x, `${path}[${i}]`, out, [...keys, i]));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const p = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? (path ? `${path}.${k}` : k) : `${path}[${k}]`;
      leaves(x, p, out, [...keys, k]);
    }
  } else out.push([path, keys]);
  return out;
}

function setAt(obj: unknown, keys: (string | number)[], value: unknown): void {
  let cur = obj as Record<string | number, unknown>;
  for (const k of keys.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  cur[keys[keys.length - 1]] = value;
}

describe('malformed bodies', () => {
  it('the full pod is valid', () => {
    expect(validateObject(fullPod(), { operation: 'create' })).toEqual([]);
  });

  // `kind` picks the schema itself; a bad one is covered in kinds.test.ts.
  const all = leaves(fullPod(), '', []).filter(([path]) => path !== 'kind');
  it('covers a real number of fields', () => expect(all.length).toBeGreaterThan(60));

  // Any field replaced by an object: defaulting must not throw, and validation must name that field.
  it.each(all)('an object in place of %s is reported there', (path, keys) => {
    const pod = fullPod();
    setAt(pod, keys, { junk: true });
    expect(() => applyDefaults(pod)).not.toThrow();
    expect(() => qosClass(pod)).not.toThrow();
    expect(() => podRequests(pod)).not.toThrow();
    const causes = validateObject(pod, { operation: 'create' });
    expect(causes.find((c) => c.field === path && c.reason === 'FieldValueTypeInvalid'), JSON.stringify(causes)).toBeDefined();
  });

  const shapes: [string, unknown][] = [
    ['spec is a number', { kind: 'Pod', metadata: { name: 'x', namespace: 'd' }, spec: 5 }],
    ['containers is a string', { kind: 'Pod', metadata: { name: 'x', namespace: 'd' }, spec: { containers: 'abc' } }],
    ['containers holds null', { kind: 'Pod', metadata: { name: 'x', namespace: 'd' }, spec: { containers: [null] } }],
    ['ports is a string', { kind: 'Pod', metadata: { name: 'x', namespace: 'd' }, spec: { containers: [{ name: 'c', image: 'i', ports: 'x' }] } }],
    ['resources.limits is a list', { kind: 'Pod', metadata: { name: 'x', namespace: 'd' }, spec: { containers: [{ name: 'c', image: 'i', resources: { limits: ['1'] } }] } }],
    ['tolerations is an object', { kind: 'Pod', metadata: { name: 'x', namespace: 'd' }, spec: { containers: [], tolerations: { a: 1 } } }],
    ['status is a string', { kind: 'Pod', metadata: { name: 'x', namespace: 'd' }, spec: { containers: [] }, status: 'ok' }],
    ['metadata is a list', { kind: 'Node', metadata: [] }],
    ['namespace spec is a string', { kind: 'Namespace', metadata: { name: 'n' }, spec: 'x' }],
    ['node status capacity is a number', { kind: 'Node', metadata: { name: 'n' }, status: { capacity: 3 } }],
  ];
  it.each(shapes)('%s: defaults do not throw and validation reports it', (_name, body) => {
    expect(() => applyDefaults(body as Pod)).not.toThrow();
    expect(validateObject(body, { operation: 'create' }).length).toBeGreaterThan(0);
  });
});
