import { describe, expect, it } from 'vitest';
import { withLastApplied, lastAppliedOf, LAST_APPLIED } from './last-applied.js';
import { strategicMergePatch } from '../../api/strategic-merge-patch.js';
import { threeWayMergePatch, type JsonMap } from './three-way.js';
import type { KubeObject } from '../../api/types/meta.js';

/** What the server adds: identity, defaults, status. */
function live(applied: JsonMap, extra: (o: JsonMap) => void = () => {}): JsonMap {
  const o = structuredClone(applied) as JsonMap & { metadata: JsonMap; spec: { containers: JsonMap[] } };
  o.metadata.uid = 'u-1';
  o.metadata.resourceVersion = '7';
  for (const c of o.spec.containers) c.imagePullPolicy = 'IfNotPresent';
  o.status = { phase: 'Running' };
  extra(o);
  return o;
}

const manifest = (): JsonMap => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'kuard', namespace: 'default', labels: { app: 'kuard', tier: 'web' } },
  spec: {
    containers: [
      {
        name: 'kuard',
        image: 'kuard:1',
        ports: [{ containerPort: 8080, hostPort: 8080 }, { containerPort: 9090 }],
        env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      },
      { name: 'sidecar', image: 'busybox', args: ['sleep', '3600'] },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
    tolerations: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists' }],
  },
});

/** Runs one apply: returns the patch and the object the server would hold afterwards. */
function apply(previous: JsonMap | undefined, next: JsonMap, current: JsonMap) {
  const modified = withLastApplied(next as unknown as KubeObject) as unknown as JsonMap;
  const patch = threeWayMergePatch(previous, modified, current);
  return { patch, result: strategicMergePatch(current, patch) as JsonMap };
}

/** The live object after applying `m` on a fresh cluster, with the annotation the first apply sets. */
function appliedOnce(m: JsonMap, extra?: (o: JsonMap) => void): { current: JsonMap; original: JsonMap } {
  const created = withLastApplied(m as unknown as KubeObject) as unknown as JsonMap;
  const current = live(created, extra);
  return { current, original: lastAppliedOf(current as unknown as KubeObject) as JsonMap };
}

type Spec = { containers: JsonMap[]; volumes?: JsonMap[]; tolerations?: JsonMap[] };
const specOf = (o: JsonMap) => o.spec as unknown as Spec;

describe('three-way merge patch', () => {
  it('is empty when nothing changed, even with server defaults and status', () => {
    const { current, original } = appliedOnce(manifest());
    expect(apply(original, manifest(), current).patch).toEqual({});
  });

  it('changes a label and the annotation, nothing else', () => {
    const { current, original } = appliedOnce(manifest());
    const next = manifest();
    (next.metadata as { labels: JsonMap }).labels.tier = 'api';
    const { patch, result } = apply(original, next, current);
    expect(Object.keys(patch)).toEqual(['metadata']);
    expect((patch.metadata as { labels: JsonMap }).labels).toEqual({ tier: 'api' });
    expect((result.metadata as { labels: JsonMap }).labels).toEqual({ app: 'kuard', tier: 'api' });
    const recorded = lastAppliedOf(result as unknown as KubeObject) as { metadata: { labels: JsonMap } };
    expect(recorded.metadata.labels).toEqual({ app: 'kuard', tier: 'api' });
  });

  it('deletes a field the manifest dropped, keeps fields others added', () => {
    const { current, original } = appliedOnce(manifest(), (o) => {
      (o.metadata as { labels: JsonMap }).labels.addedByOthers = 'yes';
    });
    const next = manifest();
    delete (next.metadata as { labels: JsonMap }).labels.tier;
    const { patch, result } = apply(original, next, current);
    expect((patch.metadata as { labels: JsonMap }).labels).toEqual({ tier: null });
    expect((result.metadata as { labels: JsonMap }).labels).toEqual({ app: 'kuard', addedByOthers: 'yes' });
  });

  it('patches one container by name, keeping the server-defaulted fields', () => {
    const { current, original } = appliedOnce(manifest());
    const next = manifest();
    specOf(next).containers[1] = { ...specOf(next).containers[1], image: 'busybox:1.36' };
    const { patch, result } = apply(original, next, current);
    expect(patch.spec).toEqual({
      '$setElementOrder/containers': [{ name: 'kuard' }, { name: 'sidecar' }],
      containers: [{ name: 'sidecar', image: 'busybox:1.36' }],
    });
    expect(specOf(result).containers[1]).toEqual({ name: 'sidecar', image: 'busybox:1.36', args: ['sleep', '3600'], imagePullPolicy: 'IfNotPresent' });
  });

  it('removes a container, an env var by name and a port by containerPort; changes a mount by mountPath', () => {
    const { current, original } = appliedOnce(manifest());
    const next = manifest();
    specOf(next).containers = [
      {
        name: 'kuard',
        image: 'kuard:1',
        ports: [{ containerPort: 8080, hostPort: 8081 }],
        env: [{ name: 'B', value: '2' }],
        volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
      },
    ];
    const { patch, result } = apply(original, next, current);
    const containers = specOf(patch as JsonMap).containers;
    expect(containers).toContainEqual({ $patch: 'delete', name: 'sidecar' });
    const kuard = containers.find((c) => c.name === 'kuard') as JsonMap;
    expect(kuard.env).toEqual([{ $patch: 'delete', name: 'A' }]);
    expect(kuard.ports).toEqual(expect.arrayContaining([{ $patch: 'delete', containerPort: 9090 }, { containerPort: 8080, hostPort: 8081 }]));
    expect(specOf(result).containers).toEqual([
      {
        name: 'kuard',
        image: 'kuard:1',
        ports: [{ containerPort: 8080, hostPort: 8081 }],
        env: [{ name: 'B', value: '2' }],
        volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
        imagePullPolicy: 'IfNotPresent',
      },
    ]);
  });

  it('replaces tolerations as a whole list', () => {
    const { current, original } = appliedOnce(manifest());
    const next = manifest();
    specOf(next).tolerations = [{ key: 'b', operator: 'Exists' }];
    const { patch, result } = apply(original, next, current);
    expect(specOf(patch as JsonMap).tolerations).toEqual([{ key: 'b', operator: 'Exists' }]);
    expect(specOf(result).tolerations).toEqual([{ key: 'b', operator: 'Exists' }]);
  });

  it('puts back a field someone changed on the live object', () => {
    const { current, original } = appliedOnce(manifest(), (o) => {
      specOf(o).containers[0] = { ...specOf(o).containers[0], image: 'kuard:hacked' };
    });
    const { patch, result } = apply(original, manifest(), current);
    expect(specOf(patch as JsonMap).containers).toEqual([{ name: 'kuard', image: 'kuard:1' }]);
    expect(specOf(result).containers[0]?.image).toBe('kuard:1');
  });

  it('without a last-applied annotation, only adds and changes (never deletes)', () => {
    const current = live(manifest());
    const next = manifest();
    delete (next.metadata as { labels: JsonMap }).labels.tier;
    const { patch, result } = apply(undefined, next, current);
    expect((patch.metadata as { labels?: JsonMap }).labels).toBeUndefined();
    expect((result.metadata as { annotations: JsonMap }).annotations[LAST_APPLIED]).toBeTypeOf('string');
    expect((result.metadata as { labels: JsonMap }).labels.tier).toBe('web');
  });

  it('adds a volume and keeps the manifest order of volumes', () => {
    const { current, original } = appliedOnce(manifest());
    const next = manifest();
    specOf(next).volumes = [{ name: 'cache', emptyDir: { medium: 'Memory' } }, { name: 'data', emptyDir: {} }];
    const { patch, result } = apply(original, next, current);
    expect((patch.spec as JsonMap)['$setElementOrder/volumes']).toEqual([{ name: 'cache' }, { name: 'data' }]);
    expect(specOf(result).volumes?.map((v) => v.name)).toEqual(['cache', 'data']);
  });

  it('says which keys a changed volume keeps ($retainKeys), as kubectl does', () => {
    const { current, original } = appliedOnce(manifest());
    const next = manifest();
    specOf(next).volumes = [{ name: 'data', hostPath: { path: '/tmp' } }];
    const { patch, result } = apply(original, next, current);
    expect(specOf(patch as JsonMap).volumes).toEqual([{ name: 'data', $retainKeys: ['hostPath', 'name'], emptyDir: null, hostPath: { path: '/tmp' } }]);
    expect(specOf(result).volumes).toEqual([{ name: 'data', hostPath: { path: '/tmp' } }]);
  });

  it('adds and removes finalizers as set members, keeping those others added', () => {
    const withFinalizers = (names: string[]) => {
      const m = manifest();
      (m.metadata as JsonMap).finalizers = names;
      return m;
    };
    const { current, original } = appliedOnce(withFinalizers(['a.io/x', 'b.io/y']), (o) => {
      ((o.metadata as JsonMap).finalizers as string[]).push('others.io/z');
    });
    const { patch, result } = apply(original, withFinalizers(['a.io/x', 'c.io/w']), current);
    expect(patch.metadata).toMatchObject({ '$deleteFromPrimitiveList/finalizers': ['b.io/y'], finalizers: ['c.io/w'] });
    expect((result.metadata as JsonMap).finalizers).toEqual(['a.io/x', 'c.io/w', 'others.io/z']);
  });
});

describe('withLastApplied', () => {
  it('stores the manifest as sorted JSON with an empty annotations map, as kubectl does', () => {
    const o = withLastApplied<KubeObject>({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p' } });
    expect(o.metadata.annotations?.[LAST_APPLIED]).toBe('{"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{},"name":"p"}}\n');
  });
});
