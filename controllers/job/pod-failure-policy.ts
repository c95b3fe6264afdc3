// A Job's podFailurePolicy applied to one failed pod, as job_controller's matchPodFailurePolicy:
// the rules in order, the first whose onExitCodes (a terminated container, app containers before
// init containers, exit code not 0, In/NotIn the values, of the named container if one is named)
// or onPodConditions (a condition of that type and status, True unless said) matches decides.
// Ignore: the failure does not count against backoffLimit; Count and FailIndex: it counts;
// FailJob: it counts and fails the Job with reason PodFailurePolicy and Kubernetes' message.
// No rule matches: the failure counts, as without a policy.
import type { PodFailurePolicy, PodFailurePolicyAction, PodFailurePolicyRule } from '../../api/types/batch.js';
import type { ContainerStatus, Pod, PodCondition } from '../../api/types/core.js';

/** The Job condition reason when a FailJob rule matched. */
export const POD_FAILURE_POLICY_REASON = 'PodFailurePolicy';

export interface PodFailureVerdict {
  /** Whether the failure counts in status.failed and against backoffLimit. */
  counts: boolean;
  /** The matching rule's action, undefined when none matched. */
  action?: PodFailurePolicyAction;
  /** FailJob: the Job's failure message. */
  failJobMessage?: string;
}

function exitCodeMatch(statuses: readonly ContainerStatus[] | undefined, req: NonNullable<PodFailurePolicyRule['onExitCodes']>): ContainerStatus | undefined {
  return (statuses ?? []).find((c) => {
    const code = c.state?.terminated?.exitCode;
    if (code === undefined || code === 0) return false;
    if (req.containerName !== undefined && req.containerName !== c.name) return false;
    return req.operator === 'In' ? req.values.includes(code) : !req.values.includes(code);
  });
}

function conditionMatch(pod: Pod, patterns: NonNullable<PodFailurePolicyRule['onPodConditions']>): PodCondition | undefined {
  return (pod.status?.conditions ?? []).find((c) => patterns.some((p) => p.type === c.type && (p.status ?? 'True') === c.status));
}

export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: Pod): PodFailureVerdict {
  const where = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
  for (const [index, rule] of (policy?.rules ?? []).entries()) {
    let failJobMessage: string | undefined;
    if (rule.onExitCodes) {
      const c = exitCodeMatch(pod.status?.containerStatuses, rule.onExitCodes) ?? exitCodeMatch(pod.status?.initContainerStatuses, rule.onExitCodes);
      if (!c) continue;
      failJobMessage = `Container ${c.name} for pod ${where} failed with exit code ${c.state?.terminated?.exitCode ?? ''} matching ${rule.action} rule at index ${index}`;
    } else if (rule.onPodConditions) {
      const c = conditionMatch(pod, rule.onPodConditions);
      if (!c) continue;
      failJobMessage = `Pod ${where} has condition ${c.type} matching ${rule.action} rule at index ${index}`;
    } else {
      continue;
    }
    if (rule.action === 'Ignore') return { counts: false, action: 'Ignore' };
    if (rule.action === 'FailJob') return { counts: true, action: 'FailJob', failJobMessage };
    return { counts: true, action: rule.action };
  }
  return { counts: true };
}
