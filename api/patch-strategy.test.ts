import { describe, expect, it } from 'vitest';
import { fieldSchema, listStrategy, patchSchemaFor, type JsonSchema, type ListStrategy } from './patch-strategy.js';

/** The schema at a dotted path of a kind, through list items where a segment is `[]`. */
function at(kind: string, path: string): JsonSchema | undefined {
  let s = patchSchemaFor(kind);
  for (const seg of path.split('.')) s = seg === '[]' ? s?.items : fieldSchema(s, seg);
  return s;
}

const keyed = (mergeKey: string, retainKeys = false): ListStrategy => ({ type: 'keyed', mergeKey, retainKeys });

// core/v1's patchStrategy/patchMergeKey tags, as the schemas carry them.
const table: [string, string, ListStrategy][] = [
  ['Pod', 'spec.containers', keyed('name')],
  ['Pod', 'spec.initContainers', keyed('name')],
  ['Pod', 'spec.containers.[].env', keyed('name')],
  ['Pod', 'spec.containers.[].ports', keyed('containerPort')],
  ['Pod', 'spec.containers.[].volumeMounts', keyed('mountPath')],
  ['Pod', 'spec.volumes', keyed('name', true)],
  ['Pod', 'spec.tolerations', { type: 'replace' }],
  ['Pod', 'spec.containers.[].args', { type: 'replace' }],
  ['Pod', 'metadata.finalizers', { type: 'set' }],
  ['Pod', 'metadata.ownerReferences', keyed('uid')],
  ['Pod', 'status.conditions', keyed('type')],
  ['Node', 'spec.taints', { type: 'replace' }],
  ['Node', 'spec.podCIDRs', { type: 'set' }],
  ['Node', 'status.addresses', keyed('type')],
  ['Node', 'status.conditions', keyed('type')],
];

describe('listStrategy', () => {
  it.each(table)('%s %s', (kind, path, strategy) => {
    expect(listStrategy(at(kind, path))).toEqual(strategy);
  });

  it('replaces lists of kinds it has no schema for, as a JSON merge patch does', () => {
    expect(patchSchemaFor('Widget')).toBeUndefined();
    expect(patchSchemaFor(undefined)).toBeUndefined();
    expect(listStrategy(undefined)).toEqual({ type: 'replace' });
  });

  it('reads a map value schema for keys a map does not declare', () => {
    const labels = fieldSchema(patchSchemaFor('Pod'), 'metadata');
    expect(fieldSchema(fieldSchema(labels, 'labels'), 'any-key')).toMatchObject({ type: 'string' });
  });
});
