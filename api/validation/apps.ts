// apps/v1 rules (pkg/apis/apps/validation): ReplicaSet and Deployment specs and statuses,
// what an update may not change. The shared pieces (selector, pod template, int-or-percent)
// are workload.ts'.
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet } from '../types/apps.js';
import { intOrPercentValue } from '../int-or-percent.js';
import type { StatusCause } from '../types/meta.js';
import { FieldPath, forbidden, invalid, notSupported, required } from './field.js';
import {
  immutable,
  nonNegative,
  nonNegativeCounts,
  notGreater,
  validateDeploymentRollingUpdate,
  validateIntOrPercent,
  notMoreThan100Percent,
  validatePodTemplate,
  validateWorkloadSelector,
} from './workload.js';

const spec = FieldPath.root('spec');

/** ValidateReplicaSetSpec. */
export function validateReplicaSet(rs: ReplicaSet): StatusCause[] {
  const s = rs.spec ?? ({} as ReplicaSet['spec']);
  const causes = [...nonNegative(s.replicas, spec.child('replicas')), ...nonNegative(s.minReadySeconds, spec.child('minReadySeconds'))];
  // Kubernetes' message names a deployment for ReplicaSets too.
  const { causes: sel, selector } = validateWorkloadSelector(s.selector, spec.child('selector'), 'deployment');
  causes.push(...sel);
  if (selector) causes.push(...validatePodTemplate(s.template, spec.child('template'), { restartPolicies: ['Always'], selector, forbidActiveDeadline: 'ReplicaSet' }));
  return causes;
}

/** ValidateReplicaSetStatus. */
export function validateReplicaSetStatus(rs: ReplicaSet): StatusCause[] {
  const st = rs.status as Record<string, unknown> | undefined;
  return [
    ...nonNegativeCounts(st, ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'terminatingReplicas', 'observedGeneration']),
    ...notGreater(st, 'fullyLabeledReplicas', 'replicas', 'status.replicas'),
    ...notGreater(st, 'readyReplicas', 'replicas', 'status.replicas'),
    ...notGreater(st, 'availableReplicas', 'replicas', 'status.replicas'),
    ...notGreater(st, 'availableReplicas', 'readyReplicas', 'readyReplicas'),
  ];
}

/** The selector of an apps/v1 workload may not change. */
export function validateSelectorUpdate<T extends { spec?: { selector?: unknown } }>(obj: T, old: T): StatusCause[] {
  return immutable(obj.spec?.selector, old.spec?.selector, spec.child('selector'));
}

/** ValidateDeploymentStrategy. */
function validateStrategy(d: Deployment): StatusCause[] {
  const st = d.spec.strategy ?? {};
  const path = spec.child('strategy');
  switch (st.type) {
    case 'Recreate':
      return st.rollingUpdate ? [forbidden(path.child('rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'")] : [];
    case 'RollingUpdate':
      if (!st.rollingUpdate) return [required(path.child('rollingUpdate'), 'this should be defaulted and never be nil')];
      return validateDeploymentRollingUpdate(st.rollingUpdate, path.child('rollingUpdate'));
    default:
      return [notSupported(path.child('type'), st.type ?? '', ['Recreate', 'RollingUpdate'])];
  }
}

/** ValidateDeploymentSpec. */
export function validateDeployment(d: Deployment): StatusCause[] {
  const s = d.spec ?? ({} as Deployment['spec']);
  const causes = nonNegative(s.replicas, spec.child('replicas'));
  const { causes: sel, selector } = validateWorkloadSelector(s.selector, spec.child('selector'), 'deployment');
  causes.push(...sel);
  if (selector) causes.push(...validatePodTemplate(s.template, spec.child('template'), { restartPolicies: ['Always'], selector, forbidActiveDeadline: 'ReplicaSet' }));
  if (d.spec) causes.push(...validateStrategy(d));
  causes.push(...nonNegative(s.minReadySeconds, spec.child('minReadySeconds')));
  causes.push(...nonNegative(s.revisionHistoryLimit, spec.child('revisionHistoryLimit')));
  if (s.progressDeadlineSeconds !== undefined) {
    causes.push(...nonNegative(s.progressDeadlineSeconds, spec.child('progressDeadlineSeconds')));
    if (s.progressDeadlineSeconds <= (s.minReadySeconds ?? 0)) {
      causes.push(invalid(spec.child('progressDeadlineSeconds'), s.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return causes;
}

/** ValidateDeploymentStatus. */
export function validateDeploymentStatus(d: Deployment): StatusCause[] {
  const st = d.status as Record<string, unknown> | undefined;
  return [
    ...nonNegativeCounts(st, ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'terminatingReplicas', 'collisionCount']),
    ...notGreater(st, 'updatedReplicas', 'replicas', 'status.replicas'),
    ...notGreater(st, 'readyReplicas', 'replicas', 'status.replicas'),
    ...notGreater(st, 'availableReplicas', 'replicas', 'status.replicas'),
    ...notGreater(st, 'availableReplicas', 'readyReplicas', 'readyReplicas'),
  ];
}

/** ValidateDaemonSetUpdateStrategy and ValidateRollingUpdateDaemonSet: exactly one of maxUnavailable and maxSurge non-zero. */
function validateDaemonSetStrategy(ds: DaemonSet): StatusCause[] {
  const st = ds.spec.updateStrategy ?? {};
  const path = spec.child('updateStrategy');
  if (st.type === 'OnDelete') return [];
  if (st.type !== 'RollingUpdate') return [notSupported(path.child('type'), st.type ?? '', ['RollingUpdate', 'OnDelete'])];
  const ru = st.rollingUpdate;
  if (!ru) return [required(path.child('rollingUpdate'), '')];
  const p = path.child('rollingUpdate');
  const causes = [
    ...validateIntOrPercent(ru.maxUnavailable, p.child('maxUnavailable')),
    ...validateIntOrPercent(ru.maxSurge, p.child('maxSurge')),
    ...notMoreThan100Percent(ru.maxUnavailable, p.child('maxUnavailable')),
    ...notMoreThan100Percent(ru.maxSurge, p.child('maxSurge')),
  ];
  const unavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
  const surge = intOrPercentValue(ru.maxSurge) !== 0;
  if (unavailable && surge) causes.push(invalid(p.child('maxSurge'), ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
  if (!unavailable && !surge) causes.push(invalid(p.child('maxUnavailable'), ru.maxUnavailable, 'cannot be 0 when maxSurge is 0'));
  return causes;
}

/** ValidateDaemonSetSpec. */
export function validateDaemonSet(ds: DaemonSet): StatusCause[] {
  const s = ds.spec ?? ({} as DaemonSet['spec']);
  const { causes, selector } = validateWorkloadSelector(s.selector, spec.child('selector'), 'daemonset');
  causes.push(...validatePodTemplate(s.template, spec.child('template'), { restartPolicies: ['Always'], selector }));
  const deadline = s.template?.spec?.activeDeadlineSeconds;
  if (deadline !== undefined) causes.push(invalid(spec.child('template', 'spec', 'activeDeadlineSeconds'), deadline, 'activeDeadlineSeconds must be nil for daemonset'));
  causes.push(...nonNegative(s.minReadySeconds, spec.child('minReadySeconds')));
  if (ds.spec) causes.push(...validateDaemonSetStrategy(ds));
  causes.push(...nonNegative(s.revisionHistoryLimit, spec.child('revisionHistoryLimit')));
  return causes;
}

/** ValidateDaemonSetStatus. */
export function validateDaemonSetStatus(ds: DaemonSet): StatusCause[] {
  return nonNegativeCounts(ds.status as Record<string, unknown> | undefined, [
    'currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady', 'observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount',
  ]);
}

/** ValidateControllerRevision: data is mandatory, the revision number not negative. */
export function validateControllerRevision(cr: ControllerRevision): StatusCause[] {
  const causes = nonNegative(cr.revision, FieldPath.root('revision'));
  if (cr.data === undefined) causes.push(required(FieldPath.root('data'), 'data is mandatory'));
  return causes;
}

/** ValidateControllerRevisionUpdate: the data of a revision never changes. */
export function validateControllerRevisionUpdate(cr: ControllerRevision, old: ControllerRevision): StatusCause[] {
  return immutable(cr.data, old.data, FieldPath.root('data'));
}
