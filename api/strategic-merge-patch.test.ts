import { describe, expect, it } from 'vitest';
import { isApiError } from './errors.js';
import { strategicMergePatch } from './strategic-merge-patch.js';

const pod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web', tier: 'fe' }, finalizers: ['a.io/x'] },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'nginx:1',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
        resources: { limits: { cpu: '1' } },
      },
      { name: 'side', image: 'busybox' },
    ],
    tolerations: [{ key: 'a', operator: 'Exists' }],
    volumes: [{ name: 'data', emptyDir: {} }],
    restartPolicy: 'Always',
  },
});

type P = ReturnType<typeof pod>;

// name, patch, what the result must satisfy
const cases: [string, Record<string, unknown>, (r: P) => void][] = [
  [
    'kubectl apply changing one image keeps everything else',
    { spec: { '$setElementOrder/containers': [{ name: 'app' }, { name: 'side' }], containers: [{ name: 'app', image: 'nginx:2' }] } },
    (r) => {
      expect(r.spec.containers.map((c) => [c.name, c.image])).toEqual([['app', 'nginx:2'], ['side', 'busybox']]);
      expect(r.spec.containers[0].ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
      expect(r.spec.containers[0].resources).toEqual({ limits: { cpu: '1' } });
    },
  ],
  ['a new container is appended', { spec: { containers: [{ name: 'extra', image: 'x' }] } }, (r) => expect(r.spec.containers.map((c) => c.name)).toEqual(['app', 'side', 'extra'])],
  ['$patch: delete removes one element', { spec: { containers: [{ name: 'side', $patch: 'delete' }] } }, (r) => expect(r.spec.containers.map((c) => c.name)).toEqual(['app'])],
  [
    'nested keyed lists merge too (env by name)',
    { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }] }] } },
    (r) => expect(r.spec.containers[0].env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'C', value: '3' }]),
  ],
  ['ports merge on containerPort', { spec: { containers: [{ name: 'app', ports: [{ containerPort: 80, name: 'http' }] }] } }, (r) => expect(r.spec.containers[0].ports).toEqual([{ containerPort: 80, protocol: 'TCP', name: 'http' }])],
  ['lists without a strategy are replaced (tolerations)', { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } }, (r) => expect(r.spec.tolerations).toEqual([{ key: 'b', operator: 'Exists' }])],
  ['$patch: replace on a list replaces it', { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] } }, (r) => expect(r.spec.containers).toEqual([{ name: 'only', image: 'x' }])],
  ['null deletes a key', { metadata: { labels: { tier: null } } }, (r) => expect(r.metadata.labels).toEqual({ app: 'web' })],
  ['maps merge', { metadata: { labels: { new: 'x' } } }, (r) => expect(r.metadata.labels).toEqual({ app: 'web', tier: 'fe', new: 'x' })],
  ['$patch: replace on a map replaces it', { metadata: { labels: { $patch: 'replace', only: 'x' } } }, (r) => expect(r.metadata.labels).toEqual({ only: 'x' })],
  ['$patch: delete on a map removes it', { spec: { containers: [{ name: 'app', resources: { $patch: 'delete' } }] } }, (r) => expect(r.spec.containers[0].resources).toBeUndefined()],
  ['finalizers are a set', { metadata: { finalizers: ['b.io/y', 'a.io/x'] } }, (r) => expect(r.metadata.finalizers).toEqual(['a.io/x', 'b.io/y'])],
  ['$deleteFromPrimitiveList removes from a set', { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.io/x'] } }, (r) => expect(r.metadata.finalizers).toEqual([])],
  ['$retainKeys clears other keys (volume source switch)', { spec: { volumes: [{ name: 'data', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/tmp' } }] } }, (r) => expect(r.spec.volumes).toEqual([{ name: 'data', hostPath: { path: '/tmp' } }])],
  [
    '$setElementOrder reorders',
    { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }], containers: [{ name: 'side', image: 'busybox:2' }] } },
    (r) => expect(r.spec.containers.map((c) => c.name)).toEqual(['side', 'app']),
  ],
  ['directives never reach new fields', { spec: { initContainers: [{ name: 'i', image: 'x', $patch: 'merge' }] } }, (r) => expect((r.spec as Record<string, unknown>).initContainers).toEqual([{ name: 'i', image: 'x' }])],
];

describe('strategicMergePatch', () => {
  it.each(cases)('%s', (_name, patch, check) => {
    const original = pod();
    const before = JSON.stringify(original);
    const result = strategicMergePatch(original, patch, 'Pod') as unknown as P;
    check(result);
    expect(JSON.stringify(original)).toBe(before);
  });

  it('merges node conditions by type', () => {
    const node = { kind: 'Node', metadata: { name: 'n' }, status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'DiskPressure', status: 'False' }] } };
    const r = strategicMergePatch(node, { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] } }, 'Node') as typeof node;
    expect(r.status.conditions).toEqual([{ type: 'Ready', status: 'True', reason: 'KubeletReady' }, { type: 'DiskPressure', status: 'False' }]);
  });

  it('behaves as a merge patch for kinds without a schema', () => {
    expect(strategicMergePatch({ a: [1, 2], b: { c: 1 } }, { a: [3], b: { d: 2 } })).toEqual({ a: [3], b: { c: 1, d: 2 } });
  });

  const bad: [string, unknown, RegExp][] = [
    ['not an object', [1], /must be a JSON object/],
    ['element without its merge key', { spec: { containers: [{ image: 'x' }] } }, /does not contain declared merge key: name/],
    ['unknown $patch', { spec: { $patch: 'explode' } }, /unknown patch type: explode/],
  ];
  it.each(bad)('rejects %s with 400', (_name, patch, message) => {
    let caught: unknown;
    try {
      strategicMergePatch(pod(), patch, 'Pod');
    } catch (e) {
      caught = e;
    }
    expect(isApiError(caught, 'BadRequest')).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });
});

const serverPod = {
  metadata: { name: 'p', labels: { a: '1' }, finalizers: ['x'] },
  spec: {
    containers: [
      { name: 'app', image: 'busybox:1', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] },
      { name: 'side', image: 'nginx' },
    ],
    tolerations: [{ key: 't1', operator: 'Exists' }],
  },
};

// The API server's PATCH cases, from when it had its own copy (apiserver/handlers/strategic-merge.ts).
describe('strategicMergePatch as the API server PATCHes', () => {
  it('merges containers by name, as kubectl apply sends them', () => {
    const out = strategicMergePatch(serverPod, {
      spec: { '$setElementOrder/containers': [{ name: 'app' }, { name: 'side' }], containers: [{ name: 'app', image: 'busybox:2' }] },
    }, 'Pod') as typeof serverPod;
    expect(out.spec.containers).toEqual([
      { name: 'app', image: 'busybox:2', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] },
      { name: 'side', image: 'nginx' },
    ]);
    expect(JSON.stringify(out)).not.toContain('$setElementOrder');
  });

  it('adds, deletes and replaces elements by directive', () => {
    const out = strategicMergePatch(serverPod, {
      spec: { containers: [{ name: 'side', $patch: 'delete' }, { name: 'new', image: 'x' }], tolerations: [{ key: 't2', operator: 'Exists' }] },
    }, 'Pod') as typeof serverPod;
    expect(out.spec.containers.map((c) => c.name)).toEqual(['app', 'new']);
    // tolerations have no merge key: replaced, as in Kubernetes
    expect(out.spec.tolerations).toEqual([{ key: 't2', operator: 'Exists' }]);
    const replaced = strategicMergePatch(serverPod, { metadata: { labels: { $patch: 'replace', b: '2' } } }, 'Pod') as typeof serverPod;
    expect(replaced.metadata.labels).toEqual({ b: '2' });
  });

  it('merges finalizers as a set and deletes from it', () => {
    expect((strategicMergePatch(serverPod, { metadata: { finalizers: ['y', 'x'] } }, 'Pod') as typeof serverPod).metadata.finalizers).toEqual(['x', 'y']);
    expect((strategicMergePatch(serverPod, { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] } }, 'Pod') as typeof serverPod).metadata.finalizers).toEqual([]);
  });

  it('behaves as a merge patch for maps and nulls', () => {
    const out = strategicMergePatch(serverPod, { metadata: { labels: { a: null, c: '3' } } }, 'Pod') as typeof serverPod;
    expect(out.metadata.labels).toEqual({ c: '3' });
    expect(serverPod.metadata.labels).toEqual({ a: '1' });
  });
});
