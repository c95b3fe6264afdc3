// ObjectMeta rules (apimachinery ValidateObjectMeta / ValidateObjectMetaUpdate): names,
// namespaces, labels, annotations, finalizers, owner references; immutability on update.
import {
  dns1035LabelErrors,
  dns1123LabelErrors,
  dns1123SubdomainErrors,
  labelValueErrors,
  qualifiedNameErrors,
} from '../names.js';
import type { ObjectMeta, StatusCause } from '../types/meta.js';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from '../garbage-collection.js';
import { FieldPath, asArray, asString, duplicate, forbidden, invalid, isObject, required, tooLong } from './field.js';

export type NameRule = 'subdomain' | 'label' | 'dns1035';

/** Kubernetes' TotalAnnotationSizeLimitB: all keys and values together. */
export const ANNOTATIONS_SIZE_LIMIT = 256 * 1024;

// Both DNS rules already exclude what would break a URL path segment ('/', '%', '.', '..').
const nameErrors = (rule: NameRule, name: string): string[] =>
  rule === 'label' ? dns1123LabelErrors(name) : rule === 'dns1035' ? dns1035LabelErrors(name) : dns1123SubdomainErrors(name);

export function validateLabels(labels: unknown, path: FieldPath): StatusCause[] {
  if (!isObject(labels)) return [];
  const causes: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels)) {
    for (const msg of qualifiedNameErrors(k)) causes.push(invalid(path, k, msg));
    if (typeof v === 'string') for (const msg of labelValueErrors(v)) causes.push(invalid(path, v, msg));
  }
  return causes;
}

export function validateAnnotations(annotations: unknown, path: FieldPath): StatusCause[] {
  if (!isObject(annotations)) return [];
  const causes: StatusCause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    // Kubernetes lower-cases keys before the check: annotation keys may use capitals in the name part.
    for (const msg of qualifiedNameErrors(k.toLowerCase())) causes.push(invalid(path, k, msg));
    size += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
  }
  if (size > ANNOTATIONS_SIZE_LIMIT) causes.push(tooLong(path, ANNOTATIONS_SIZE_LIMIT));
  return causes;
}

export interface MetaRules {
  /** the kind's name rule: DNS-1123 subdomain (pods, nodes, events, leases) or label (namespaces) */
  name: NameRule;
  namespaced: boolean;
}

export function validateObjectMeta(meta: ObjectMeta | undefined, rules: MetaRules): StatusCause[] {
  const path = FieldPath.root('metadata');
  const m: ObjectMeta = isObject(meta) ? meta : {};
  const causes: StatusCause[] = [];
  const name = asString(m.name) ?? '';
  const generateName = asString(m.generateName) ?? '';
  if (generateName) {
    // generateName is a prefix: a trailing '-' is fine because random characters follow
    // (Kubernetes' maskTrailingDash). skiff also allows a trailing '.' ("node-1." for events),
    // which makes an equally valid name once the suffix is appended.
    const prefix = generateName.replace(/[-.]+$/, '');
    const errs = prefix ? nameErrors(rules.name, prefix) : [];
    for (const msg of errs) causes.push(invalid(path.child('generateName'), generateName, msg));
  }
  if (!name) {
    if (!generateName) causes.push(required(path.child('name'), 'name or generateName is required'));
  } else {
    for (const msg of nameErrors(rules.name, name)) causes.push(invalid(path.child('name'), name, msg));
  }
  const namespace = asString(m.namespace) ?? '';
  if (rules.namespaced) {
    if (!namespace) causes.push(required(path.child('namespace')));
    else for (const msg of dns1123LabelErrors(namespace)) causes.push(invalid(path.child('namespace'), namespace, msg));
  } else if (namespace) {
    causes.push(forbidden(path.child('namespace'), 'not allowed on this type'));
  }
  if (typeof m.generation === 'number' && m.generation < 0) causes.push(invalid(path.child('generation'), m.generation, 'must be greater than or equal to 0'));
  if (typeof m.deletionGracePeriodSeconds === 'number' && m.deletionGracePeriodSeconds < 0) {
    causes.push(invalid(path.child('deletionGracePeriodSeconds'), m.deletionGracePeriodSeconds, 'must be greater than or equal to 0'));
  }
  causes.push(...validateLabels(m.labels, path.child('labels')));
  causes.push(...validateAnnotations(m.annotations, path.child('annotations')));
  const seenFinalizers = new Set<string>();
  asArray<string>(m.finalizers).forEach((f, i) => {
    const p = path.child('finalizers').index(i);
    for (const msg of qualifiedNameErrors(f)) causes.push(invalid(p, f, msg));
    if (seenFinalizers.has(f)) causes.push(duplicate(p, f));
    seenFinalizers.add(f);
  });
  // apimachinery's ValidateFinalizers: a deletion orphans its dependents or deletes them first, not both.
  if (seenFinalizers.has(ORPHAN_FINALIZER) && seenFinalizers.has(FOREGROUND_FINALIZER)) {
    causes.push(invalid(path.child('finalizers'), m.finalizers, `finalizer ${ORPHAN_FINALIZER} and ${FOREGROUND_FINALIZER} cannot be both set`));
  }
  asArray<Record<string, unknown>>(m.ownerReferences).forEach((ref, i) => {
    const p = path.child('ownerReferences').index(i);
    if (!isObject(ref)) return;
    if (!ref.apiVersion) causes.push(invalid(p.child('apiVersion'), ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) causes.push(invalid(p.child('kind'), ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) causes.push(invalid(p.child('name'), ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) causes.push(invalid(p.child('uid'), ref.uid ?? '', 'uid must not be empty'));
  });
  return causes;
}

/** Fields a client can never change once the object exists. */
export function validateObjectMetaUpdate(meta: ObjectMeta | undefined, old: ObjectMeta | undefined): StatusCause[] {
  const path = FieldPath.root('metadata');
  const m = isObject(meta) ? meta : {};
  const o = isObject(old) ? old : {};
  const causes: StatusCause[] = [];
  for (const f of ['name', 'namespace', 'uid', 'creationTimestamp'] as const) {
    // An empty uid/creationTimestamp in the body means "keep", as the server fills them from the old object.
    if ((f === 'uid' || f === 'creationTimestamp') && !m[f]) continue;
    if ((m[f] ?? '') !== (o[f] ?? '')) causes.push(invalid(path.child(f), m[f] ?? '', 'field is immutable'));
  }
  return causes;
}

/**
 * The values rule of the set operators that label and node selectors share: In and NotIn need
 * values, Exists and DoesNotExist take none. Undefined for any other operator (the caller's).
 */
export function setOperatorValueCauses(operator: string, values: readonly string[], path: FieldPath): StatusCause[] | undefined {
  switch (operator) {
    case 'In':
    case 'NotIn':
      return values.length === 0 ? [required(path, "must be specified when `operator` is 'In' or 'NotIn'")] : [];
    case 'Exists':
    case 'DoesNotExist':
      return values.length > 0 ? [forbidden(path, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")] : [];
    default:
      return undefined;
  }
}
