// The options of a request, checked as apimachinery's ValidateDeleteOptions and
// ValidateListOptions check them: a DELETE's DeleteOptions (from its body or its query) and the
// list/watch query parameters. Causes go into a 422 Invalid of kind DeleteOptions/ListOptions.
import type { StatusCause } from '../types/meta.js';
import { FieldPath, forbidden, invalid, isObject, notSupported, typeInvalid } from './field.js';
import { isInt64 } from '../schemas/json-schema.js';

export const PROPAGATION_POLICIES = ['Foreground', 'Background', 'Orphan'] as const;
export const RESOURCE_VERSION_MATCHES = ['Exact', 'NotOlderThan'] as const;
export const DRY_RUN_VALUES = ['All'] as const;

const root = (name: string) => FieldPath.root(name);

function checkDryRun(v: unknown, out: StatusCause[]): void {
  if (!Array.isArray(v)) {
    out.push(typeInvalid(root('dryRun'), v, 'must be of type array'));
    return;
  }
  v.forEach((x, i) => {
    if (x !== 'All') out.push(notSupported(root('dryRun').index(i), x, DRY_RUN_VALUES));
  });
}

/** DeleteOptions as decoded from a body (or built from the query): types first, then Kubernetes' rules. */
export function validateDeleteOptions(o: Record<string, unknown>): StatusCause[] {
  const out: StatusCause[] = [];
  if (o.gracePeriodSeconds !== undefined && !isInt64(o.gracePeriodSeconds)) {
    out.push(typeInvalid(root('gracePeriodSeconds'), o.gracePeriodSeconds, 'must be a 64-bit integer'));
  }
  if (o.preconditions !== undefined) {
    const p = o.preconditions;
    if (!isObject(p)) out.push(typeInvalid(root('preconditions'), p, 'must be of type object'));
    else {
      for (const k of ['uid', 'resourceVersion']) {
        if (p[k] !== undefined && typeof p[k] !== 'string') out.push(typeInvalid(root('preconditions').child(k), p[k], 'must be of type string'));
      }
    }
  }
  if (o.orphanDependents !== undefined && typeof o.orphanDependents !== 'boolean') {
    out.push(typeInvalid(root('orphanDependents'), o.orphanDependents, 'must be of type boolean'));
  }
  if (o.propagationPolicy !== undefined) {
    if (o.orphanDependents !== undefined) {
      out.push(invalid(root('propagationPolicy'), o.propagationPolicy, 'orphanDependents and deletionPropagation cannot be both set'));
    }
    if (!(PROPAGATION_POLICIES as readonly unknown[]).includes(o.propagationPolicy)) {
      out.push(notSupported(root('propagationPolicy'), o.propagationPolicy, PROPAGATION_POLICIES));
    }
  }
  if (o.dryRun !== undefined) checkDryRun(o.dryRun, out);
  return out;
}

/** The list and watch query parameters that have rules of their own (apimachinery's ValidateListOptions). */
export function validateListOptions(q: { resourceVersion?: string; resourceVersionMatch?: string; continue?: string; watch: boolean }): StatusCause[] {
  const out: StatusCause[] = [];
  const match = q.resourceVersionMatch;
  if (match) {
    const path = root('resourceVersionMatch');
    if (q.watch) out.push(forbidden(path, 'resourceVersionMatch is forbidden for watch'));
    if (!q.resourceVersion) out.push(forbidden(path, 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (q.continue) out.push(forbidden(path, 'resourceVersionMatch is forbidden when continue is provided'));
    if (!(RESOURCE_VERSION_MATCHES as readonly string[]).includes(match)) out.push(notSupported(path, match, [...RESOURCE_VERSION_MATCHES, '']));
    if (match === 'Exact' && q.resourceVersion === '0') out.push(forbidden(path, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  return out;
}
