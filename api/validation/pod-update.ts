// Pod spec immutability (ValidatePodUpdate): after create only container images,
// activeDeadlineSeconds, added tolerations and (from a negative value to 1)
// terminationGracePeriodSeconds may change. Everything else, spec.nodeName included (which
// only the binding subresource sets, once), is a single Forbidden cause on `spec`.
import { isDeepStrictEqual } from 'node:util';
import type { Pod, PodSpec, Toleration } from '../types/core.js';
import type { StatusCause } from '../types/meta.js';
import { FieldPath, forbidden, invalid } from './field.js';

export const POD_UPDATE_FORBIDDEN_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) or `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

const sameToleration = (a: Toleration, b: Toleration): boolean =>
  (a.key ?? '') === (b.key ?? '') && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');

/** Each old toleration must still be there; a NoExecute one may only shorten its tolerationSeconds. */
function validateOnlyAddedTolerations(next: Toleration[], old: Toleration[], path: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const o of old) {
    const kept = next.some((n) => {
      if (!sameToleration(n, o)) return false;
      if (o.tolerationSeconds === n.tolerationSeconds) return true;
      return o.effect === 'NoExecute' && o.tolerationSeconds !== undefined && n.tolerationSeconds !== undefined && n.tolerationSeconds <= o.tolerationSeconds;
    });
    if (!kept) {
      causes.push(forbidden(path, 'existing toleration can not be modified except its tolerationSeconds'));
      break;
    }
  }
  return causes;
}

/** The first path at which two JSON values differ, for the message's hint. */
function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return path;
}

/** JSON semantics: a key holding undefined is no key at all. */
const plain = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

export function validatePodSpecUpdate(pod: Pod, old: Pod): StatusCause[] {
  const path = FieldPath.root('spec');
  const next = plain(pod.spec ?? ({} as PodSpec));
  const prev = plain(old.spec ?? ({} as PodSpec));
  const causes: StatusCause[] = [];

  const nextDeadline = next.activeDeadlineSeconds;
  const prevDeadline = prev.activeDeadlineSeconds;
  if (nextDeadline === undefined && prevDeadline !== undefined) {
    causes.push(invalid(path.child('activeDeadlineSeconds'), null, 'must not update from a positive integer to nil value'));
  } else if (nextDeadline !== undefined && prevDeadline !== undefined && nextDeadline > prevDeadline) {
    causes.push(invalid(path.child('activeDeadlineSeconds'), nextDeadline, 'must be less than or equal to previous value'));
  }
  causes.push(...validateOnlyAddedTolerations(next.tolerations ?? [], prev.tolerations ?? [], path.child('tolerations')));

  // The old spec with every allowed change applied must equal the new spec.
  const munged: PodSpec = structuredClone(prev);
  for (const field of ['containers', 'initContainers'] as const) {
    const nc = next[field];
    const mc = munged[field];
    if (!nc || !mc || nc.length !== mc.length) continue;
    mc.forEach((c, i) => {
      if (nc[i].image !== undefined) c.image = nc[i].image;
      else delete c.image;
    });
  }
  munged.activeDeadlineSeconds = next.activeDeadlineSeconds;
  munged.tolerations = next.tolerations;
  if ((prev.terminationGracePeriodSeconds ?? 0) < 0 && next.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = 1;
  const clean = plain(munged);
  if (!isDeepStrictEqual(clean, next)) {
    const where = firstDifference(clean, next, 'spec');
    causes.push(forbidden(path, `${POD_UPDATE_FORBIDDEN_MESSAGE}${where && where !== 'spec' ? `\n  changed: ${where}` : ''}`));
  }
  return causes;
}
