// The conditions a terminating namespace carries while the namespace controller empties it,
// as Kubernetes' namespace condition updater (pkg/controller/namespace/deletion) writes them:
// each of its five types is True with the failure's reason and message, or False with the
// type's "all is well" reason and message. Pure: a pass's report in, the conditions out.
import type { NamespaceCondition } from '../../api/types/core.js';

/** What one pass over a namespace's content found. */
export interface DeletionReport {
  /** Discovery of the kinds to delete failed (the message, as Kubernetes words it). */
  discoveryError?: string;
  /** Each kind whose deletion failed, one message each. */
  contentErrors: string[];
  /** Objects left, by resource as Kubernetes names it ("pods.", "leases.coordination.k8s.io"). */
  remaining: ReadonlyMap<string, number>;
  /** Objects left, by each finalizer that holds them. */
  finalizers: ReadonlyMap<string, number>;
}

export const CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;

type ConditionType = (typeof CONDITION_TYPES)[number];

const OK: Record<ConditionType, { reason: string; message: string }> = {
  NamespaceDeletionDiscoveryFailure: { reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  NamespaceDeletionGroupVersionParsingFailure: { reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  NamespaceDeletionContentFailure: { reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  NamespaceContentRemaining: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  NamespaceFinalizersRemaining: { reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
};

/** "what in N resource instances" items, sorted so that an unchanged state writes nothing. */
function counted(m: ReadonlyMap<string, number>, word: string): string[] {
  return [...m].filter(([, n]) => n > 0).map(([what, n]) => `${what} ${word} ${n} resource instances`).sort();
}

/** The failures a report shows, by type; a type absent here is well. */
export function failures(r: DeletionReport): Partial<Record<ConditionType, { reason: string; message: string }>> {
  const out: Partial<Record<ConditionType, { reason: string; message: string }>> = {};
  if (r.discoveryError !== undefined) out.NamespaceDeletionDiscoveryFailure = { reason: 'DiscoveryFailed', message: r.discoveryError };
  if (r.contentErrors.length > 0) {
    const msgs = [...r.contentErrors].sort();
    out.NamespaceDeletionContentFailure = { reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}` };
  }
  const remaining = counted(r.remaining, 'has');
  if (remaining.length > 0) out.NamespaceContentRemaining = { reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${remaining.join(', ')}` };
  const held = counted(r.finalizers, 'in');
  if (held.length > 0) out.NamespaceFinalizersRemaining = { reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${held.join(', ')}` };
  return out;
}

/**
 * The namespace's conditions after a pass: each of the five types set to the report's failure
 * or its "well" variant, the transition time moving only when the status does; other types
 * are kept. `changed` says whether anything is to be written.
 */
export function updatedConditions(current: readonly NamespaceCondition[] | undefined, report: DeletionReport, now: string): { conditions: NamespaceCondition[]; changed: boolean } {
  const conditions = (current ?? []).map((c) => ({ ...c }));
  const failed = failures(report);
  let changed = false;
  for (const type of CONDITION_TYPES) {
    const f = failed[type];
    const want = { type, status: f ? ('True' as const) : ('False' as const), ...(f ?? OK[type]) };
    const old = conditions.find((c) => c.type === type);
    if (!old) {
      conditions.push({ type, status: want.status, lastTransitionTime: now, reason: want.reason, message: want.message });
      changed = true;
    } else if (old.status !== want.status || old.reason !== want.reason || old.message !== want.message) {
      if (old.status !== want.status) old.lastTransitionTime = now;
      old.status = want.status;
      old.reason = want.reason;
      old.message = want.message;
      changed = true;
    }
  }
  return { conditions, changed };
}
