import { describe, expect, it } from 'vitest';
import { FieldSet, fieldSetOf, formatPath, fromFieldsV1, removeAt, toFieldsV1, valueAt } from './managed-fields.js';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, finalizers: ['a/b'] },
  spec: { containers: [{ name: 'app', image: 'nginx', command: ['sh', '-c', 'x'], ports: [{ containerPort: 80 }] }], nodeSelector: {} },
};

describe('field sets', () => {
  it('are the leaves of an applied configuration, list elements by merge key, sets by value', () => {
    const set = fieldSetOf(pod);
    expect(set.paths().map(formatPath).sort()).toEqual(
      [
        '.metadata.finalizers["a/b"]',
        '.metadata.labels.app',
        '.spec.containers[name="app"]',
        '.spec.containers[name="app"].command',
        '.spec.containers[name="app"].image',
        '.spec.containers[name="app"].name',
        '.spec.containers[name="app"].ports[containerPort=80]',
        '.spec.containers[name="app"].ports[containerPort=80].containerPort',
        '.spec.nodeSelector',
      ].sort(),
    );
  });

  it('round-trip through FieldsV1 as Kubernetes writes it', () => {
    const v1 = toFieldsV1(fieldSetOf(pod));
    expect(v1).toEqual({
      'f:metadata': { 'f:finalizers': { 'v:"a/b"': {} }, 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"app"}': {
            '.': {},
            'f:command': {},
            'f:image': {},
            'f:name': {},
            'f:ports': { 'k:{"containerPort":80}': { '.': {}, 'f:containerPort': {} } },
          },
        },
        'f:nodeSelector': {},
      },
    });
    expect(fromFieldsV1(v1).equals(fieldSetOf(pod))).toBe(true);
  });

  it('find and remove what a path names', () => {
    const obj = structuredClone(pod) as unknown as Record<string, unknown>;
    expect(valueAt(obj, ['f:spec', 'f:containers', 'k:{"name":"app"}', 'f:image'])).toBe('nginx');
    expect(valueAt(obj, ['f:spec', 'f:containers', 'k:{"name":"nope"}', 'f:image'])).toBeUndefined();
    removeAt(obj, ['f:metadata', 'f:labels', 'f:app']);
    expect((obj.metadata as Record<string, unknown>).labels).toBeUndefined();
    removeAt(obj, ['f:spec', 'f:containers', 'k:{"name":"app"}', 'f:ports', 'k:{"containerPort":80}']);
    expect(valueAt(obj, ['f:spec', 'f:containers', 'k:{"name":"app"}', 'f:ports'])).toEqual([]);
    removeAt(obj, ['f:metadata', 'f:finalizers', 'v:"a/b"']);
    expect((obj.metadata as Record<string, unknown>).finalizers).toEqual([]);
  });

  it('compare and subtract', () => {
    const a = new FieldSet([['f:a'], ['f:b', 'f:c']]);
    const b = new FieldSet([['f:a']]);
    expect(a.minus(b).paths()).toEqual([['f:b', 'f:c']]);
    expect(a.hasAtOrUnder(['f:b'])).toBe(true);
    expect(b.equals(new FieldSet([['f:a']]))).toBe(true);
  });
});
