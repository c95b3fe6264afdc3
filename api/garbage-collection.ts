// The finalizers through which a DELETE hands its propagationPolicy to the garbage collector
// (apimachinery's FinalizerOrphanDependents and FinalizerDeleteDependents), and which of them a
// DELETE leaves on the object: the rule of the generic registry's
// deletionFinalizersForGarbageCollection, shared by the API server (which sets them) and the
// garbage collector (which reads and removes them).
import type { DeleteOptions, ObjectMeta } from './types/meta.js';

/** The GC removes the owner's uid from its dependents' ownerReferences, then this finalizer. */
export const ORPHAN_FINALIZER = 'orphan';
/** The GC deletes the dependents, waits for those with blockOwnerDeletion, then removes this finalizer. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

export type PropagationPolicy = NonNullable<DeleteOptions['propagationPolicy']>;

/**
 * What the options (or, when they say nothing, the finalizers already there) ask of the
 * dependents. The default of every kind skiff serves is Background, as it is for all of
 * Kubernetes' current group versions (only deprecated ones defaulted to Orphan).
 */
function wanted(finalizers: readonly string[], opts: Pick<DeleteOptions, 'propagationPolicy' | 'orphanDependents'>): PropagationPolicy {
  if (opts.orphanDependents !== undefined) return opts.orphanDependents ? 'Orphan' : 'Background';
  if (opts.propagationPolicy) return opts.propagationPolicy;
  // Set by an earlier DELETE or by the writer: kept.
  if (finalizers.includes(ORPHAN_FINALIZER)) return 'Orphan';
  if (finalizers.includes(FOREGROUND_FINALIZER)) return 'Foreground';
  return 'Background';
}

/**
 * The finalizers the object keeps once this DELETE is applied, or undefined when they do not
 * change: both GC finalizers removed, then the one the policy asks for added at the end.
 */
export function deletionFinalizers(finalizers: readonly string[] | undefined, opts: Pick<DeleteOptions, 'propagationPolicy' | 'orphanDependents'>): string[] | undefined {
  const old = finalizers ?? [];
  const policy = wanted(old, opts);
  const next = old.filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
  if (policy === 'Orphan') next.push(ORPHAN_FINALIZER);
  if (policy === 'Foreground') next.push(FOREGROUND_FINALIZER);
  const same = next.length === old.length && next.every((f) => old.includes(f));
  return same ? undefined : next;
}

/** Being deleted (a deletionTimestamp) and waiting for the GC to delete its dependents first. */
export function isDeletingDependents(meta: Pick<ObjectMeta, 'deletionTimestamp' | 'finalizers'>): boolean {
  return meta.deletionTimestamp !== undefined && (meta.finalizers ?? []).includes(FOREGROUND_FINALIZER);
}

/** Being deleted and waiting for the GC to orphan its dependents first. */
export function isOrphaningDependents(meta: Pick<ObjectMeta, 'deletionTimestamp' | 'finalizers'>): boolean {
  return meta.deletionTimestamp !== undefined && (meta.finalizers ?? []).includes(ORPHAN_FINALIZER);
}
