// apps/v1 rules (pkg/apis/apps/validation): ReplicaSet and Deployment specs and statuses,
// what an update may not change. The shared pieces (selector, pod template, int-or-percent)
// are workload.ts'.
import type { Deployment, ReplicaSet } from '../types/apps.js';
import type { StatusCause } from '../types/meta.js';
import { FieldPath, forbidden, invalid, notSupported, required } from './field.js';
import {
  immutable,
  nonNegative,
  nonNegativeCounts,
  notGreater,
  validateDeploymentRollingUpdate,
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
