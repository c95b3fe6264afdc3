import { describe, expect, it } from 'vitest';
import type { OwnerReference } from '../../api/types/meta.js';
import { planAttemptToDelete, planDeletingDependents, type DeleteCandidate, type DependentRecord, type GcAction, type OwnerState } from './plan.js';

const ref = (uid: string): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name: `owner-${uid}`, uid });
const refs = (...states: [string, OwnerState][]) => states.map(([uid, state]) => ({ ref: ref(uid), state }));
const dep = (uid: string, blocking = false, deletingDependents = false): DependentRecord => ({ uid, blocking, deletingDependents });
const candidate = (c: Partial<DeleteCandidate>): DeleteCandidate => ({ finalizers: [], references: [], dependents: [], ...c });

describe('planAttemptToDelete', () => {
  it.each<[string, DeleteCandidate, GcAction]>([
    ['no owner references: nothing', candidate({}), { type: 'none' }],
    ['its one owner exists: kept', candidate({ references: refs(['a', 'solid']) }), { type: 'none' }],
    ['its one owner is gone: deleted in the background', candidate({ references: refs(['a', 'dangling']) }), { type: 'delete', propagationPolicy: 'Background', unblock: false }],
    ['all owners gone: deleted', candidate({ references: refs(['a', 'dangling'], ['b', 'dangling']) }), { type: 'delete', propagationPolicy: 'Background', unblock: false }],
    ['one of two owners gone: kept, the dangling reference removed', candidate({ references: refs(['a', 'solid'], ['b', 'dangling']) }), { type: 'removeOwnerReferences', uids: ['b'] }],
    [
      'an owner stays and another waits in foreground deletion: the waiting reference goes too',
      candidate({ references: refs(['a', 'solid'], ['b', 'waitingForDependentsDeletion'], ['c', 'dangling']) }),
      { type: 'removeOwnerReferences', uids: ['c', 'b'] },
    ],
    ['its owner waits and it has no dependents: deleted in the background', candidate({ references: refs(['a', 'waitingForDependentsDeletion']) }), { type: 'delete', propagationPolicy: 'Background', unblock: false }],
    [
      'its owner waits and it has dependents: deleted in the foreground',
      candidate({ references: refs(['a', 'waitingForDependentsDeletion']), dependents: [dep('x', true)] }),
      { type: 'delete', propagationPolicy: 'Foreground', unblock: false },
    ],
    [
      'its owner waits and a dependent waits too (a cycle): unblocked, then deleted in the foreground',
      candidate({ references: refs(['a', 'waitingForDependentsDeletion']), dependents: [dep('x', true, true)] }),
      { type: 'delete', propagationPolicy: 'Foreground', unblock: true },
    ],
    ['owners gone, an orphan finalizer on it: deleted with Orphan', candidate({ finalizers: ['orphan'], references: refs(['a', 'dangling']) }), { type: 'delete', propagationPolicy: 'Orphan', unblock: false }],
    [
      'owners gone, in foreground deletion itself: deleted with Foreground',
      candidate({ finalizers: ['example.com/keep', 'foregroundDeletion'], references: refs(['a', 'dangling']) }),
      { type: 'delete', propagationPolicy: 'Foreground', unblock: false },
    ],
  ])('%s', (_what, input, want) => {
    expect(planAttemptToDelete(input)).toEqual(want);
  });
});

describe('planDeletingDependents', () => {
  it.each<[string, DependentRecord[], GcAction]>([
    ['no dependents: the foregroundDeletion finalizer goes', [], { type: 'removeFinalizer', finalizer: 'foregroundDeletion' }],
    ['dependents that do not block: the finalizer goes', [dep('x'), dep('y')], { type: 'removeFinalizer', finalizer: 'foregroundDeletion' }],
    ['blocking dependents: they are attempted', [dep('x', true), dep('y')], { type: 'attemptToDelete', uids: ['x'] }],
    ['a blocker already deleting its own dependents is left to it', [dep('x', true, true), dep('y', true)], { type: 'attemptToDelete', uids: ['y'] }],
  ])('%s', (_what, dependents, want) => {
    expect(planDeletingDependents(dependents)).toEqual(want);
  });
});
