// Rules every workload kind shares (pkg/apis/apps/validation, pkg/apis/batch/validation and
// apimachinery's ValidateLabelSelector): the selector, the pod template (the pod's own
// ValidatePodSpec under spec.template.spec, plus the restart policies the kind allows),
// int-or-percent fields, and the non-negative counts.
import { isDeepStrictEqual } from 'node:util';
import { isApiError } from '../errors.js';
import { intOrPercentValue } from '../int-or-percent.js';
import { percentErrors, qualifiedNameErrors } from '../names.js';
import { labelSelectorFromObject, type LabelSelectorMatcher } from '../selectors/labels.js';
import type { IntOrString, PodTemplateSpec } from '../types/apps.js';
import type { RestartPolicy } from '../types/core.js';
import type { LabelSelector, StatusCause } from '../types/meta.js';
import { FieldPath, forbidden, invalid, notSupported, required } from './field.js';
import { setOperatorValueCauses, validateAnnotations, validateLabels } from './meta.js';
import { validatePodSpec } from './pod.js';

/** ValidateNonnegativeField. */
export function nonNegative(value: number | undefined, path: FieldPath): StatusCause[] {
  return value !== undefined && value < 0 ? [invalid(path, value, 'must be greater than or equal to 0')] : [];
}

/** ValidateImmutableField. */
export function immutable(value: unknown, old: unknown, path: FieldPath): StatusCause[] {
  return isDeepStrictEqual(value, old) ? [] : [invalid(path, typeof value === 'object' ? undefined : value, 'field is immutable')];
}

/** metav1 ValidateLabelSelector: matchLabels as labels, each expression's key, operator and values. */
export function validateLabelSelector(sel: LabelSelector, path: FieldPath): StatusCause[] {
  const causes = validateLabels(sel.matchLabels, path.child('matchLabels'));
  (sel.matchExpressions ?? []).forEach((r, i) => {
    const p = path.child('matchExpressions').index(i);
    causes.push(...(setOperatorValueCauses(r.operator, r.values ?? [], p.child('values')) ?? [invalid(p.child('operator'), r.operator, 'not a valid selector operator')]));
    for (const msg of qualifiedNameErrors(r.key ?? '')) causes.push(invalid(p.child('key'), r.key, msg));
  });
  return causes;
}

/** The selector as a matcher, or undefined when it cannot be one (its causes are validateLabelSelector's). */
export function selectorOf(sel: LabelSelector | undefined): LabelSelectorMatcher | undefined {
  try {
    return labelSelectorFromObject(sel);
  } catch (e) {
    if (isApiError(e)) return undefined;
    throw e;
  }
}

/**
 * A workload's spec.selector: required, valid, not empty (`what` names the kind in
 * Kubernetes' message, "deployment" for ReplicaSets too). Answers the matcher when it is one.
 */
export function validateWorkloadSelector(sel: LabelSelector | undefined, path: FieldPath, what: string): { causes: StatusCause[]; selector?: LabelSelectorMatcher } {
  if (sel === undefined) return { causes: [required(path, '')] };
  const causes = validateLabelSelector(sel, path);
  if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0) {
    causes.push(invalid(path, undefined, `empty selector is invalid for ${what}`));
  }
  const selector = selectorOf(sel);
  if (!selector) causes.push(invalid(path, undefined, 'invalid label selector'));
  return { causes, selector };
}

export interface TemplateRules {
  /** The restart policies the kind allows (Always for ReplicaSets, Deployments, DaemonSets). */
  restartPolicies: readonly RestartPolicy[];
  /** When set, the template's labels must match it. */
  selector?: LabelSelectorMatcher;
  /** "activeDeadlineSeconds in ReplicaSet is not Supported": the kind that forbids it, if any. */
  forbidActiveDeadline?: string;
}

/**
 * ValidatePodTemplateSpec with a kind's own rules on top: labels and annotations of the
 * template, the pod's spec rules at `path`.spec, the restart policy, the selector matching.
 */
export function validatePodTemplate(template: PodTemplateSpec | undefined, path: FieldPath, rules: TemplateRules): StatusCause[] {
  if (!template) return [required(path, '')];
  const causes: StatusCause[] = [];
  const labels = template.metadata?.labels;
  if (rules.selector && !rules.selector.isEmpty() && !rules.selector.matches(labels)) {
    causes.push(invalid(path.child('metadata', 'labels'), undefined, '`selector` does not match template `labels`'));
  }
  causes.push(...validateLabels(labels, path.child('metadata', 'labels')));
  causes.push(...validateAnnotations(template.metadata?.annotations, path.child('metadata', 'annotations')));
  causes.push(...validatePodSpec(template.spec, path.child('spec')));
  const policy = template.spec?.restartPolicy;
  if (template.spec && !rules.restartPolicies.includes(policy as RestartPolicy)) {
    causes.push(notSupported(path.child('spec', 'restartPolicy'), policy ?? '', rules.restartPolicies));
  }
  if (rules.forbidActiveDeadline && template.spec?.activeDeadlineSeconds !== undefined) {
    causes.push(forbidden(path.child('spec', 'activeDeadlineSeconds'), `activeDeadlineSeconds in ${rules.forbidActiveDeadline} is not Supported`));
  }
  return causes;
}

/** ValidatePositiveIntOrPercent: a non-negative int or a percentage string. */
export function validateIntOrPercent(v: IntOrString | undefined, path: FieldPath): StatusCause[] {
  if (typeof v === 'string') return percentErrors(v).map((msg) => invalid(path, v, msg));
  return nonNegative(v, path);
}

/** IsNotMoreThan100Percent. */
export function notMoreThan100Percent(v: IntOrString | undefined, path: FieldPath): StatusCause[] {
  if (typeof v !== 'string' || percentErrors(v).length) return [];
  return intOrPercentValue(v) > 100 ? [invalid(path, v, 'must not be greater than 100%')] : [];
}

/** ValidateRollingUpdateDeployment: maxUnavailable and maxSurge each valid, not both 0, maxUnavailable at most 100%. */
export function validateDeploymentRollingUpdate(ru: { maxUnavailable?: IntOrString; maxSurge?: IntOrString }, path: FieldPath): StatusCause[] {
  const causes = [...validateIntOrPercent(ru.maxUnavailable, path.child('maxUnavailable')), ...validateIntOrPercent(ru.maxSurge, path.child('maxSurge'))];
  if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
    causes.push(invalid(path.child('maxUnavailable'), ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
  }
  causes.push(...notMoreThan100Percent(ru.maxUnavailable, path.child('maxUnavailable')));
  return causes;
}

/** Status counts that may not be negative, each at status.<name>. */
export function nonNegativeCounts(status: Record<string, unknown> | undefined, names: readonly string[], path = FieldPath.root('status')): StatusCause[] {
  return names.flatMap((n) => nonNegative(typeof status?.[n] === 'number' ? (status[n] as number) : undefined, path.child(n)));
}

/** `a` may not exceed `b` in a status ("cannot be greater than status.replicas"). */
export function notGreater(status: Record<string, unknown> | undefined, a: string, b: string, bName: string, path = FieldPath.root('status')): StatusCause[] {
  const x = status?.[a];
  const y = status?.[b];
  return typeof x === 'number' && x > (typeof y === 'number' ? y : 0) ? [invalid(path.child(a), x, `cannot be greater than ${bName}`)] : [];
}
