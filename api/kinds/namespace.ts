// core/v1 Namespace: a scope for names. A new one is Active with the "kubernetes" finalizer.
// Its lifecycle is kube-apiserver's namespace storage: a DELETE marks it Terminating, the
// namespace controller empties it and removes "kubernetes" from spec.finalizers through
// /finalize, and once spec.finalizers and metadata.finalizers are both empty it goes.
import { namespaceSchema } from '../schemas/cluster.js';
import type { Namespace } from '../types/core.js';
import type { DeleteOptions } from '../types/meta.js';
import { FieldPath, invalid } from '../validation/field.js';
import { validateNamespace } from '../validation/kinds.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';

/** The finalizer the namespace controller owns (FinalizerKubernetes). */
export const FINALIZER_KUBERNETES = 'kubernetes';
/** metadata.finalizers a DELETE's propagation policy asks for (the garbage collector's). */
const FINALIZER_ORPHAN = 'orphan';
const FINALIZER_FOREGROUND = 'foregroundDeletion';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether a namespace is ending: its deletion asked for, or its phase says so. */
export function isTerminating(ns: Namespace | undefined): boolean {
  return ns !== undefined && (ns.metadata.deletionTimestamp !== undefined || ns.status?.phase === 'Terminating');
}

/**
 * The metadata.finalizers a first DELETE leaves, as the namespace storage decides them:
 * orphanDependents, else propagationPolicy, says whether "orphan" and "foregroundDeletion"
 * are there; without either, what is there stays.
 */
function propagationFinalizers(current: string[], opts: DeleteOptions): string[] {
  const orphanDependents = (opts as { orphanDependents?: boolean }).orphanDependents;
  const policy = opts.propagationPolicy;
  const want = (finalizer: string, fromOrphan: boolean | undefined, fromPolicy: boolean | undefined): boolean =>
    fromOrphan ?? fromPolicy ?? current.includes(finalizer);
  const orphan = want(FINALIZER_ORPHAN, orphanDependents, policy === undefined ? undefined : policy === 'Orphan');
  const foreground = want(FINALIZER_FOREGROUND, orphanDependents === undefined ? undefined : !orphanDependents, policy === undefined ? undefined : policy === 'Foreground');
  const out = current.filter((f) => f !== FINALIZER_ORPHAN && f !== FINALIZER_FOREGROUND);
  if (orphan) out.push(FINALIZER_ORPHAN);
  if (foreground) out.push(FINALIZER_FOREGROUND);
  return out;
}

export const namespaceKind = defineKind<Namespace>({
  resource: resourceRow({
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    // No deletecollection: deleting a namespace empties it, one at a time.
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['status', 'finalize'],
  }),
  schema: namespaceSchema,
  nameRule: 'label',
  defaults: (ns) => {
    ns.spec ??= {};
    ns.status ??= {};
    if (isObj(ns.status)) ns.status.phase ??= 'Active';
  },
  validate: validateNamespace,
  // ValidateNamespaceStatusUpdate: the phase follows deletionTimestamp.
  validateStatus: (ns) => {
    const phase = ns.status?.phase;
    const path = FieldPath.root('status').child('Phase');
    if (ns.metadata.deletionTimestamp === undefined) {
      return phase === 'Active' ? [] : [invalid(path, phase ?? '', "may only be 'Active' if `deletionTimestamp` is empty")];
    }
    return phase === 'Terminating' ? [] : [invalid(path, phase ?? '', 'may only be in terminating status if `deletionTimestamp` is not empty')];
  },
  strategy: {
    prepareForCreate: (ns) => {
      // The client's finalizers stay; "kubernetes" is always among them.
      const finalizers = Array.isArray(ns.spec?.finalizers) ? ns.spec.finalizers : [];
      ns.spec = { ...ns.spec, finalizers: finalizers.includes(FINALIZER_KUBERNETES) ? finalizers : [...finalizers, FINALIZER_KUBERNETES] };
      ns.status = { phase: 'Active' };
    },
    prepareForUpdate: (ns, old, subresource) => {
      // Only /finalize changes spec.finalizers.
      if (subresource === 'finalize') return;
      ns.spec = { ...ns.spec };
      if (old.spec?.finalizers === undefined) delete ns.spec.finalizers;
      else ns.spec.finalizers = old.spec.finalizers;
    },
    prepareForDelete: (ns, opts, now) => {
      if (ns.metadata.deletionTimestamp === undefined) {
        // The first DELETE: Terminating, and the controller takes over.
        ns.metadata.deletionTimestamp = now;
        ns.status = { ...ns.status, phase: 'Terminating' };
        const finalizers = propagationFinalizers(ns.metadata.finalizers ?? [], opts);
        if (finalizers.length > 0) ns.metadata.finalizers = finalizers;
        else delete ns.metadata.finalizers;
        return ns;
      }
      // Still being emptied: the DELETE changes nothing. Once finalized, the generic rules.
      return (ns.spec?.finalizers?.length ?? 0) > 0 ? ns : undefined;
    },
    holdsDeletion: (ns) => (ns.spec?.finalizers?.length ?? 0) > 0,
  },
  selectableFields: (ns) => ({ 'status.phase': ns.status?.phase ?? '' }),
  columns: [
    nameColumn,
    { name: 'Status', type: 'string', priority: 0, description: 'The status of the namespace', cell: (ns) => ns.status?.phase ?? '' },
    ageColumn,
  ],
});
