import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../kinds/index.js';
import type { Node, Pod } from '../types/core.js';
import { POD_UPDATE_FORBIDDEN_MESSAGE, validateObject } from './index.js';

function stored(): Pod {
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'u-1', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }],
      initContainers: [{ name: 'init', image: 'busybox:1' }],
      activeDeadlineSeconds: 600,
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
    },
  };
  applyDefaults(p);
  return p;
}

const update = (next: Pod, old: Pod = stored()) => validateObject(next, { operation: 'update', old });

// name, mutation, expected causes as [field, reason]
const cases: [string, (p: Pod) => void, [string, string][]][] = [
  ['nothing changed', () => {}, []],
  ['labels changed', (p) => (p.metadata.labels = { tier: 'web' }), []],
  ['container image changed', (p) => (p.spec.containers[0].image = 'nginx:1.26'), []],
  ['init container image changed', (p) => (p.spec.initContainers![0].image = 'busybox:2'), []],
  ['activeDeadlineSeconds lowered', (p) => (p.spec.activeDeadlineSeconds = 60), []],
  ['activeDeadlineSeconds raised', (p) => (p.spec.activeDeadlineSeconds = 6000), [['spec.activeDeadlineSeconds', 'FieldValueInvalid']]],
  ['activeDeadlineSeconds removed', (p) => delete p.spec.activeDeadlineSeconds, [['spec.activeDeadlineSeconds', 'FieldValueInvalid']]],
  ['toleration added', (p) => p.spec.tolerations!.push({ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }), []],
  ['toleration removed', (p) => p.spec.tolerations!.shift(), [['spec.tolerations', 'FieldValueForbidden']]],
  ['NoExecute tolerationSeconds shortened', (p) => (p.spec.tolerations!.find((t) => t.key === 'node.kubernetes.io/unreachable')!.tolerationSeconds = 10), []],
  ['NoExecute tolerationSeconds lengthened', (p) => (p.spec.tolerations!.find((t) => t.key === 'node.kubernetes.io/unreachable')!.tolerationSeconds = 1000), [['spec.tolerations', 'FieldValueForbidden']]],
  ['restartPolicy changed', (p) => (p.spec.restartPolicy = 'Never'), [['spec', 'FieldValueForbidden']]],
  ['container added', (p) => p.spec.containers.push({ name: 'side', image: 'busybox' }), [['spec', 'FieldValueForbidden']]],
  ['container port changed', (p) => (p.spec.containers[0].ports![0].containerPort = 81), [['spec', 'FieldValueForbidden']]],
  ['nodeName set by plain update', (p) => (p.spec.nodeName = 'n1'), [['spec', 'FieldValueForbidden']]],
  ['grace period changed', (p) => (p.spec.terminationGracePeriodSeconds = 5), [['spec', 'FieldValueForbidden']]],
  ['name changed', (p) => (p.metadata.name = 'other'), [['metadata.name', 'FieldValueInvalid']]],
  ['namespace changed', (p) => (p.metadata.namespace = 'other'), [['metadata.namespace', 'FieldValueInvalid']]],
  ['uid changed', (p) => (p.metadata.uid = 'u-2'), [['metadata.uid', 'FieldValueInvalid']]],
];

describe('pod update immutability', () => {
  it.each(cases)('%s', (_name, mutate, want) => {
    const next = stored();
    mutate(next);
    expect(update(next).map((c) => [c.field, c.reason])).toEqual(want);
  });

  it('uses Kubernetes wording and points at the change', () => {
    const next = stored();
    next.spec.restartPolicy = 'OnFailure';
    const [cause] = update(next);
    expect(cause.message).toBe(`Forbidden: ${POD_UPDATE_FORBIDDEN_MESSAGE}\n  changed: spec.restartPolicy`);
    expect(POD_UPDATE_FORBIDDEN_MESSAGE).toContain('`spec.tolerations` (only additions to existing tolerations)');
  });

  it('lets a negative grace period become 1', () => {
    const old = stored();
    old.spec.terminationGracePeriodSeconds = -1;
    const next = structuredClone(old);
    next.spec.terminationGracePeriodSeconds = 1;
    expect(update(next, old)).toEqual([]);
  });

  it('ignores the spec on a status update but checks the status', () => {
    const next = stored();
    next.spec.restartPolicy = 'Never';
    next.status = { phase: 'Running', podIP: '10.1.0.4' };
    expect(validateObject(next, { operation: 'update', old: stored(), subresource: 'status' })).toEqual([]);
    next.status.podIP = 'nope';
    expect(validateObject(next, { operation: 'update', old: stored(), subresource: 'status' }).map((c) => c.field)).toEqual(['status.podIP']);
  });
});

describe('binding', () => {
  const binding = (name: string, kind = 'Node') => ({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'web', namespace: 'default' }, target: { apiVersion: 'v1', kind, name } });

  const cases: [string, unknown, Pod | undefined, [string, string][]][] = [
    ['a good binding', binding('n1'), stored(), []],
    ['no target name', binding(''), stored(), [['target.name', 'FieldValueRequired']]],
    ['bad target name', binding('N_1'), stored(), [['target.name', 'FieldValueInvalid']]],
    ['target not a node', binding('n1', 'Pod'), stored(), [['target.kind', 'FieldValueNotSupported']]],
    ['no target at all', { kind: 'Binding', metadata: { name: 'web' } }, stored(), [['target', 'FieldValueRequired']]],
    ['pod already bound', binding('n2'), { ...stored(), spec: { ...stored().spec, nodeName: 'n1' } }, [['spec.nodeName', 'FieldValueForbidden']]],
  ];
  it.each(cases)('%s', (_name, body, pod, want) => {
    expect(validateObject(body, { operation: 'create', subresource: 'binding', old: pod }).map((c) => [c.field, c.reason])).toEqual(want);
  });
});

describe('node update', () => {
  it('keeps an assigned podCIDR', () => {
    const old: Node = { kind: 'Node', metadata: { name: 'n1' }, spec: { podCIDR: '10.244.1.0/24' } };
    const next: Node = { kind: 'Node', metadata: { name: 'n1' }, spec: { podCIDR: '10.244.2.0/24' } };
    expect(validateObject(next, { operation: 'update', old }).map((c) => c.field)).toEqual(['spec.podCIDR']);
    expect(validateObject(structuredClone(old), { operation: 'update', old })).toEqual([]);
  });
});
