import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types/meta.js';
import { validateObject } from './validate.js';

const pod = (container: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox', ...container }] }, ...extra }) as KubeObject;

describe('validateObject', () => {
  it('accepts a valid pod', () => {
    expect(validateObject(pod({ ports: [{ containerPort: 80 }], resources: { limits: { memory: '128Mi', cpu: 0.5 } } }))).toEqual([]);
  });

  it('names an unknown field by its path', () => {
    expect(validateObject(pod({ imagee: 'x' }))).toEqual([{ field: 'spec.containers[0].imagee', message: 'unknown field "spec.containers[0].imagee"' }]);
    expect(validateObject(pod({}, { sepc: {} }))[0]?.field).toBe('sepc');
  });

  it('finds wrong types and bad quantities', () => {
    const problems = validateObject(pod({ ports: [{ containerPort: 'eighty' }], resources: { limits: { memory: '12 8Mi' } } }));
    expect(problems.map((p) => p.field)).toEqual(['spec.containers[0].ports[0].containerPort', 'spec.containers[0].resources.limits.memory']);
    expect(problems[0]?.message).toBe('expected integer, got string');
  });

  it('leaves kinds it has no schema for to the server', () => {
    expect(validateObject({ apiVersion: 'v1', kind: 'Widget', metadata: { name: 'x' }, dataa: {} } as KubeObject)).toEqual([]);
  });
});
