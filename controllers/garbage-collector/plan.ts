// What the garbage collector does with one object, decided from plain records (Kubernetes'
// attemptToDeleteItem and processDeletingDependentsItem in garbagecollector.go). The collector
// gathers the records (the live object, each owner reference classified by a GET of the owner,
// the graph's dependents) and carries the decision out; the decision itself does no I/O.
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, type PropagationPolicy } from '../../api/garbage-collection.js';
import type { OwnerReference } from '../../api/types/meta.js';

/**
 * An owner reference as the API server answers for it: the owner exists and stays (solid),
 * exists but is waiting in foreground deletion for its dependents, or is gone (dangling: not
 * found, or found with another uid, so an owner of the same name made again does not count).
 */
export type OwnerState = 'solid' | 'dangling' | 'waitingForDependentsDeletion';

export interface DependentRecord {
  uid: string;
  /** Its reference to the owner in question has blockOwnerDeletion: true. */
  blocking: boolean;
  /** It is itself being deleted in the foreground. */
  deletingDependents: boolean;
}

export type GcAction =
  /** Nothing to do: an owner stays, or there are no owners. */
  | { type: 'none' }
  /** Remove these owner references (dangling ones, and those of owners waiting on us) and keep the object. */
  | { type: 'removeOwnerReferences'; uids: string[] }
  /**
   * Delete it with this propagation; `unblock` first turns blockOwnerDeletion off on its own
   * references, when its owner and one of its dependents both wait in foreground deletion (a cycle).
   */
  | { type: 'delete'; propagationPolicy: PropagationPolicy; unblock: boolean }
  /** The owner's foreground deletion is done: remove the foregroundDeletion finalizer. */
  | { type: 'removeFinalizer'; finalizer: typeof FOREGROUND_FINALIZER }
  /** The owner waits on these blocking dependents: attempt deleting them. */
  | { type: 'attemptToDelete'; uids: string[] };

/** An owner in foreground deletion: done when no dependent blocks it, else its blockers are pushed. */
export function planDeletingDependents(dependents: readonly DependentRecord[]): GcAction {
  const blocking = dependents.filter((d) => d.blocking);
  if (blocking.length === 0) return { type: 'removeFinalizer', finalizer: FOREGROUND_FINALIZER };
  // A blocker that is deleting its own dependents is already on its way.
  return { type: 'attemptToDelete', uids: blocking.filter((d) => !d.deletingDependents).map((d) => d.uid) };
}

export interface DeleteCandidate {
  /** The live object's finalizers: an orphan or foreground finalizer decides how it is deleted. */
  finalizers: readonly string[];
  /** The live object's owner references, each with what a GET of its owner said. */
  references: readonly { ref: OwnerReference; state: OwnerState }[];
  /** Its own dependents in the graph. */
  dependents: readonly DependentRecord[];
}

/** A dependent: kept while one owner stays; otherwise deleted, in the foreground when an owner waits on it and it has dependents. */
export function planAttemptToDelete(c: DeleteCandidate): GcAction {
  if (c.references.length === 0) return { type: 'none' };
  const uids = (state: OwnerState) => c.references.filter((r) => r.state === state).map((r) => r.ref.uid);
  const solid = uids('solid');
  const dangling = uids('dangling');
  const waiting = uids('waitingForDependentsDeletion');
  if (solid.length > 0) {
    if (dangling.length === 0 && waiting.length === 0) return { type: 'none' };
    // A reference to a waiting owner must go too, or that owner would wait on us for ever.
    return { type: 'removeOwnerReferences', uids: [...dangling, ...waiting] };
  }
  if (waiting.length > 0 && c.dependents.length > 0) {
    return { type: 'delete', propagationPolicy: 'Foreground', unblock: c.dependents.some((d) => d.deletingDependents) };
  }
  const propagationPolicy: PropagationPolicy = c.finalizers.includes(ORPHAN_FINALIZER) ? 'Orphan' : c.finalizers.includes(FOREGROUND_FINALIZER) ? 'Foreground' : 'Background';
  return { type: 'delete', propagationPolicy, unblock: false };
}
