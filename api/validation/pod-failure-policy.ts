// A Job's spec.podFailurePolicy (pkg/apis/batch/validation validatePodFailurePolicy): only with
// restartPolicy Never, each rule with exactly one of onExitCodes and onPodConditions, exit codes
// ordered and unique and never 0 under In, FailIndex only with backoffLimitPerIndex.
import type { JobSpec, PodFailurePolicyRule } from '../types/batch.js';
import type { StatusCause } from '../types/meta.js';
import { asArray, duplicate, type FieldPath, invalid, isObject, notSupported, required } from './field.js';

const ACTIONS = ['FailJob', 'FailIndex', 'Ignore', 'Count'] as const;
const OPERATORS = ['In', 'NotIn'] as const;
const STATUSES = ['True', 'False', 'Unknown'] as const;
const MAX_RULES = 20;
const MAX_VALUES = 255;

function validateRule(rule: PodFailurePolicyRule, path: FieldPath, spec: JobSpec): StatusCause[] {
  const causes: StatusCause[] = [];
  const action = path.child('action');
  if (!(ACTIONS as readonly string[]).includes(rule.action)) causes.push(notSupported(action, rule.action, ACTIONS));
  else if (rule.action === 'FailIndex' && spec.backoffLimitPerIndex === undefined) causes.push(invalid(action, rule.action, 'requires the backoffLimitPerIndex to be set'));
  if (rule.onExitCodes && rule.onPodConditions) causes.push(invalid(path, undefined, 'specifying both OnExitCodes and OnPodConditions is not supported'));
  else if (!rule.onExitCodes && !rule.onPodConditions) causes.push(invalid(path, undefined, 'specifying one of OnExitCodes and OnPodConditions is required'));
  if (isObject(rule.onExitCodes)) {
    const req = rule.onExitCodes;
    const at = path.child('onExitCodes');
    if (!(OPERATORS as readonly string[]).includes(req.operator)) causes.push(notSupported(at.child('operator'), req.operator, OPERATORS));
    const values = asArray<number>(req.values);
    if (values.length === 0) causes.push(invalid(at.child('values'), values, 'at least one value is required'));
    if (values.length > MAX_VALUES) causes.push(invalid(at.child('values'), undefined, `must have at most ${MAX_VALUES} items`));
    values.forEach((v, i) => {
      const vp = at.child('values').index(i);
      if (req.operator === 'In' && v === 0) causes.push(invalid(vp, v, 'must not be 0 for the In operator'));
      if (values.indexOf(v) !== i) causes.push(duplicate(vp, v));
      else if (i > 0 && v < (values[i - 1] as number)) causes.push(invalid(vp, v, 'must be ordered'));
    });
    if (req.containerName !== undefined && !(spec.template?.spec?.containers ?? []).concat(spec.template?.spec?.initContainers ?? []).some((c) => c.name === req.containerName)) {
      causes.push(invalid(at.child('containerName'), req.containerName, 'must be one of the container or initContainer names in the pod template'));
    }
  }
  asArray<NonNullable<PodFailurePolicyRule['onPodConditions']>[number]>(rule.onPodConditions).forEach((p, i) => {
    const at = path.child('onPodConditions').index(i);
    if (!p.type) causes.push(required(at.child('type')));
    if (p.status !== undefined && !(STATUSES as readonly string[]).includes(p.status)) causes.push(notSupported(at.child('status'), p.status, STATUSES));
  });
  return causes;
}

export function validatePodFailurePolicy(spec: JobSpec, path: FieldPath): StatusCause[] {
  const policy = spec.podFailurePolicy;
  if (!isObject(policy)) return [];
  const causes: StatusCause[] = [];
  const restartPolicy = spec.template?.spec?.restartPolicy;
  if (restartPolicy !== 'Never') causes.push(invalid(path.child('template', 'spec', 'restartPolicy'), restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'));
  const rules = asArray<PodFailurePolicyRule>(policy.rules);
  const at = path.child('podFailurePolicy', 'rules');
  if (rules.length > MAX_RULES) causes.push(invalid(at, undefined, `must have at most ${MAX_RULES} items`));
  rules.forEach((rule, i) => causes.push(...validateRule(rule, at.index(i), spec)));
  return causes;
}
