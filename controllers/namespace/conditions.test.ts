// The namespace deletion conditions from plain reports, with Kubernetes' types, reasons and
// messages (pkg/controller/namespace/deletion/status_condition_utils.go).
import { describe, expect, it } from 'vitest';
import type { NamespaceCondition } from '../../api/types/core.js';
import { CONDITION_TYPES, updatedConditions, type DeletionReport } from './conditions.js';

const clean: DeletionReport = { contentErrors: [], remaining: new Map(), finalizers: new Map() };
const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:00:05Z';

const byType = (cs: NamespaceCondition[]) => Object.fromEntries(cs.map((c) => [c.type, [c.status, c.reason, c.message]]));

describe('namespace deletion conditions', () => {
  it('a clean pass sets the five types to their well variants', () => {
    const { conditions, changed } = updatedConditions(undefined, clean, T0);
    expect(changed).toBe(true);
    expect(conditions.map((c) => c.type)).toEqual([...CONDITION_TYPES]);
    expect(byType(conditions)).toEqual({
      NamespaceDeletionDiscoveryFailure: ['False', 'ResourcesDiscovered', 'All resources successfully discovered'],
      NamespaceDeletionGroupVersionParsingFailure: ['False', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
      NamespaceDeletionContentFailure: ['False', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
      NamespaceContentRemaining: ['False', 'ContentRemoved', 'All content successfully removed'],
      NamespaceFinalizersRemaining: ['False', 'ContentHasNoFinalizers', 'All content-preserving finalizers finished'],
    });
    expect(conditions.every((c) => c.lastTransitionTime === T0)).toBe(true);
  });

  it.each<[string, DeletionReport, Record<string, [string, string, string]>]>([
    [
      'content held by finalizers, counted by kind and by finalizer, sorted',
      { ...clean, remaining: new Map([['pods.', 2], ['leases.coordination.k8s.io', 1], ['configmaps.', 0]]), finalizers: new Map([['example.com/hold', 1], ['a.example.com/x', 2]]) },
      {
        NamespaceContentRemaining: ['True', 'SomeResourcesRemain', 'Some resources are remaining: leases.coordination.k8s.io has 1 resource instances, pods. has 2 resource instances'],
        NamespaceFinalizersRemaining: ['True', 'SomeFinalizersRemain', 'Some content in the namespace has finalizers remaining: a.example.com/x in 2 resource instances, example.com/hold in 1 resource instances'],
      },
    ],
    [
      'kinds that could not be deleted',
      { ...clean, contentErrors: ['b failed', 'a failed'] },
      { NamespaceDeletionContentFailure: ['True', 'ContentDeletionFailed', 'Failed to delete all resource types, 2 remaining: a failed, b failed'] },
    ],
    [
      'discovery that failed',
      { ...clean, discoveryError: 'Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: apps/v1: boom' },
      { NamespaceDeletionDiscoveryFailure: ['True', 'DiscoveryFailed', 'Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: apps/v1: boom'] },
    ],
  ])('%s', (_what, report, failing) => {
    const got = byType(updatedConditions(undefined, report, T0).conditions);
    for (const [type, want] of Object.entries(failing)) expect(got[type], type).toEqual(want);
    for (const type of CONDITION_TYPES.filter((t) => !(t in failing))) expect(got[type]?.[0], type).toBe('False');
  });

  it('moves the transition time only when the status changes, keeps other types, and writes nothing when nothing changed', () => {
    const held: DeletionReport = { ...clean, remaining: new Map([['configmaps.', 1]]), finalizers: new Map([['example.com/hold', 1]]) };
    const other: NamespaceCondition = { type: 'Example', status: 'True', reason: 'Mine' };
    const first = updatedConditions([other], held, T0).conditions;
    expect(first[0]).toEqual(other);
    expect(updatedConditions(first, held, T1).changed).toBe(false);

    const more = updatedConditions(first, { ...held, remaining: new Map([['configmaps.', 2]]) }, T1).conditions;
    const remaining = (cs: NamespaceCondition[]) => cs.find((c) => c.type === 'NamespaceContentRemaining');
    expect(remaining(more)).toMatchObject({ status: 'True', lastTransitionTime: T0, message: 'Some resources are remaining: configmaps. has 2 resource instances' });

    const done = updatedConditions(more, clean, T1).conditions;
    expect(remaining(done)).toMatchObject({ status: 'False', reason: 'ContentRemoved', lastTransitionTime: T1 });
    expect(done.find((c) => c.type === 'NamespaceDeletionDiscoveryFailure')?.lastTransitionTime).toBe(T0);
  });
});
