import { describe, expect, it } from 'vitest';
import type { ConfigMap, Container, Secret } from '../api/types/core.js';
import { staticLookup, type ConfigLookup } from './config-lookup.js';
import { EnvError, makeEnvironment } from './env.js';
import { makePod } from './testing/builders.js';

describe('resourceFieldRef', () => {
  const app: Container = {
    name: 'app',
    image: 'busybox',
    resources: { requests: { cpu: '250m' }, limits: { cpu: '1', memory: '128Mi', 'skiff.dev/memory-swap': '1Gi' } },
    env: [
      { name: 'CPU_REQUEST', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
      { name: 'MEM_REQUEST', valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '1Mi' } } },
      { name: 'MEM_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
      { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
    ],
  };

  it('reads requests as defaulting leaves them (a limit stands in for a missing request), limits as declared', () => {
    const env = makeEnvironment(makePod({ containers: [app] }), app, {});
    expect(env).toEqual([
      { key: 'CPU_REQUEST', value: '250' },
      { key: 'MEM_REQUEST', value: '128' },
      { key: 'MEM_LIMIT', value: String(128 * 2 ** 20) },
      { key: 'CPU_LIMIT', value: '1' },
    ]);
  });

  it('a limit not set reads the node allocatable', () => {
    const c: Container = { name: 'app', image: 'busybox', env: [{ name: 'MEM_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } }] };
    expect(makeEnvironment(makePod({ containers: [c] }), c, { nodeAllocatable: { milliCPU: 4000, memory: 8 * 2 ** 30 } })).toEqual([{ key: 'MEM_LIMIT', value: String(8 * 2 ** 30) }]);
  });
});

describe('ConfigMaps and Secrets in the environment', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const cm = (name: string, data: Record<string, string>): ConfigMap => ({ metadata: { name, namespace: 'default' }, data });
  const secret = (name: string, data: Record<string, string>): Secret => ({ metadata: { name, namespace: 'default' }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) });
  const objects = staticLookup({ configMaps: [cm('app', { mode: 'fast', 'bad key': 'x', 'level': '3' })], secrets: [secret('db', { password: 'hunter2', user: 'ann' })] });
  const run = (c: Partial<Container>, config: ConfigLookup = objects, warn?: (r: string, m: string) => void) => {
    const ctr: Container = { name: 'app', image: 'busybox', ...c };
    return makeEnvironment(makePod({ containers: [ctr] }), ctr, { config, ...(warn ? { warn } : {}) });
  };

  it('envFrom comes first with its prefix, env after it overrides and expands from it; secret values are decoded', () => {
    const warnings: string[] = [];
    const env = run(
      {
        envFrom: [{ configMapRef: { name: 'app' }, prefix: 'APP_' }, { secretRef: { name: 'db' } }],
        env: [
          { name: 'APP_mode', value: 'slow' },
          { name: 'DSN', value: '$(user):$(password)@$(APP_level)' },
          { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'app', key: 'level' } } },
          { name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
        ],
      },
      objects,
      (r, m) => warnings.push(`${r}: ${m}`),
    );
    expect(env).toEqual([
      { key: 'APP_level', value: '3' },
      { key: 'APP_mode', value: 'slow' },
      { key: 'password', value: 'hunter2' },
      { key: 'user', value: 'ann' },
      { key: 'DSN', value: 'ann:hunter2@3' },
      { key: 'LEVEL', value: '3' },
      { key: 'PW', value: 'hunter2' },
    ]);
    expect(warnings).toEqual([
      'InvalidEnvironmentVariableNames: Keys [APP_bad key] from the EnvFrom configMap default/app were skipped since they are considered invalid environment variable names.',
    ]);
  });

  it.each<[string, Partial<Container>, string]>([
    ['a missing ConfigMap', { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] }, 'configmap "nope" not found'],
    ['a missing key of a ConfigMap', { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'app', key: 'k' } } }] }, "couldn't find key k in ConfigMap default/app"],
    ['a missing Secret', { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }, 'secret "s" not found'],
    ['a missing key of a Secret', { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'db', key: 'k' } } }] }, "couldn't find key k in Secret default/db"],
    ['a missing envFrom ConfigMap', { envFrom: [{ configMapRef: { name: 'nope' } }] }, 'configmap "nope" not found'],
    ['a missing envFrom Secret', { envFrom: [{ secretRef: { name: 'nope' } }] }, 'secret "nope" not found'],
  ])('%s is an EnvError with Kubernetes\' message', (_what, c, message) => {
    expect(() => run(c)).toThrow(new EnvError(message));
  });

  it('optional references that are missing set nothing', () => {
    const env = run({
      envFrom: [{ configMapRef: { name: 'nope', optional: true } }, { secretRef: { name: 'nope', optional: true } }],
      env: [
        { name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
        { name: 'B', valueFrom: { configMapKeyRef: { name: 'app', key: 'k', optional: true } } },
        { name: 'C', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } },
        { name: 'D', valueFrom: { secretKeyRef: { name: 'db', key: 'k', optional: true } } },
        { name: 'E', value: '[$(A)]' },
      ],
    });
    expect(env).toEqual([{ key: 'E', value: '[$(A)]' }]);
  });

  it('an object that could not be read is an error even when optional (only a 404 is "missing")', () => {
    const failing: ConfigLookup = { configMap: () => ({ error: 'configmaps "app" is forbidden' }), secret: () => ({ notFound: true }) };
    expect(() => run({ envFrom: [{ configMapRef: { name: 'app', optional: true } }] }, failing)).toThrow('configmaps "app" is forbidden');
  });
});

describe('fieldRef', () => {
  it('reads metadata, spec and status fields', () => {
    const c: Container = {
      name: 'app',
      image: 'busybox',
      env: ['metadata.name', 'metadata.namespace', 'metadata.uid', "metadata.labels['tier']", "metadata.annotations['note']", 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.podIP', 'status.podIPs'].map(
        (fieldPath, i) => ({ name: `F${i}`, valueFrom: { fieldRef: { fieldPath } } }),
      ),
    };
    const pod = makePod({ containers: [c], serviceAccountName: 'robot' });
    pod.metadata.labels = { tier: 'web' };
    pod.metadata.annotations = { note: 'hi' };
    const env = makeEnvironment(pod, c, { podIP: '10.0.0.5', podIPs: ['10.0.0.5', 'fd00::5'], hostIP: '192.168.1.2' });
    expect(env.map((e) => e.value)).toEqual(['web', 'default', 'uid-web', 'web', 'hi', 'node-1', 'robot', '192.168.1.2', '10.0.0.5', '10.0.0.5,fd00::5']);
  });
});
