// Admission: defaults, then validation, before anything reaches etcd. The rules themselves
// live in api/ (one source of truth for server and clients); this file only decides when
// they run and turns their causes into a 422 Invalid Status.
import { defaultTolerations, type DefaultTolerationSeconds } from '../api/defaults.js';
import * as kinds from '../api/kinds/index.js';
import type { Pod } from '../api/types/core.js';
import { errors } from '../api/errors.js';
import type { ResourceInfo } from '../api/resources.js';
import type { KubeObject } from '../api/types/meta.js';
import { dropUnknownFields, unknownFields, validateObject } from '../api/validation/index.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface AdmitOptions {
  operation: 'create' | 'update';
  old?: KubeObject;
  subresource?: 'status' | 'binding';
}

// Every object reaching admission came through checkObjectBody (handlers/common.ts), which
// checked it against its kind's schema as it was decoded; defaults and strategies since only
// added well-typed fields, so admission goes straight to the semantic rules.

/**
 * Fills in the defaults Kubernetes applies (pod restartPolicy, pull policy, qosClass, ...): the
 * kind's own, after the DefaultTolerationSeconds plugin with the server's seconds for a pod.
 */
export function applyDefaults(obj: KubeObject, tolerationSeconds?: DefaultTolerationSeconds): void {
  if (tolerationSeconds && obj?.kind === 'Pod') defaultTolerations(obj as Pod, tolerationSeconds);
  kinds.applyDefaults(obj);
}

/** A create starts as its kind's strategy says (a fresh status, a namespace's finalizer), then defaults. */
export function defaultForCreate(obj: KubeObject, tolerationSeconds?: DefaultTolerationSeconds): void {
  kinds.prepareForCreate(obj);
  applyDefaults(obj, tolerationSeconds);
}

/** Runs validation; throws 422 Invalid (400 for unknown fields under Strict); answers the warnings to send back (fieldValidation=Warn). */
export function admit(r: ResourceInfo, obj: KubeObject, opts: AdmitOptions, fieldValidation: FieldValidation = 'Warn'): string[] {
  const warnings: string[] = [];
  if (fieldValidation === 'Strict') {
    // Kubernetes' strict decoder refuses the body before validation runs: 400, not 422.
    const unknown = unknownFields(obj, r.kind);
    if (unknown.length) {
      const version = r.group ? `${r.group}/${r.version}` : r.version;
      throw errors.badRequest(`${r.kind} in version "${version}" cannot be handled as a ${r.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
    }
  } else {
    // As Kubernetes' decoder does: unknown fields are never stored; Warn says which went.
    const dropped = dropUnknownFields(obj, r.kind);
    if (fieldValidation === 'Warn') for (const f of dropped) warnings.push(`unknown field "${f}"`);
  }
  // Validation sees the object as decoded: without the fields its kind does not know (a pod
  // update with an unknown spec field is not a change of the spec).
  const causes = validateObject(obj, { ...opts, kind: r.kind, shapeChecked: true });
  if (causes.length) throw errors.invalid(r.kind, obj.metadata?.name ?? '', causes, r.group || undefined);
  return warnings;
}
