import { describe, expect, it } from 'vitest';
import type { Namespace } from '../../api/types/core.js';
import { serviceAccountsToCreate } from './plan.js';

const ns = (extra: Partial<Namespace> = {}): Namespace => ({ metadata: { name: 'team' }, status: { phase: 'Active' }, ...extra });

describe('serviceAccountsToCreate', () => {
  it.each<[string, Namespace | undefined, boolean, string[]]>([
    ['an Active namespace without default', ns(), false, ['default']],
    ['an Active namespace with default', ns(), true, []],
    ['a namespace with no phase yet is Active', ns({ status: {} }), false, ['default']],
    ['a terminating namespace', ns({ status: { phase: 'Terminating' } }), false, []],
    ['a namespace being deleted', ns({ metadata: { name: 'team', deletionTimestamp: '2026-01-01T00:00:00Z' } }), false, []],
    ['a namespace that is gone', undefined, false, []],
  ])('%s', (_what, namespace, hasDefault, want) => {
    expect(serviceAccountsToCreate(namespace, (name) => hasDefault && name === 'default')).toEqual(want);
  });
});
