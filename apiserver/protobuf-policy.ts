// The protobuf messages (k8s.io/api/policy generated.proto field numbers) of what kubectl
// 1.33 may post as protobuf to the policy group: `create pdb`'s PodDisruptionBudget (its
// status only with the zero counts Go writes) and an Eviction with its DeleteOptions, of
// policy/v1 or v1beta1. Anything else is refused as unknown, as in protobuf-body.ts.
import type { Message } from './protobuf-body.js';
import { LABEL_SELECTOR } from './protobuf-workloads.js';

export function policyMessages(objectMeta: Message): Record<string, Message> {
  const pdb: Message = {
    name: 'PodDisruptionBudget',
    fields: {
      1: ['metadata', objectMeta],
      2: ['spec', { name: 'PodDisruptionBudgetSpec', fields: { 1: ['minAvailable', 'int-or-string'], 2: ['selector', LABEL_SELECTOR], 3: ['maxUnavailable', 'int-or-string'], 4: ['unhealthyPodEvictionPolicy', 'string'] } }],
      3: ['status', { name: 'PodDisruptionBudgetStatus', fields: { 1: ['observedGeneration', 'int'], 3: ['disruptionsAllowed', 'int'], 4: ['currentHealthy', 'int'], 5: ['desiredHealthy', 'int'], 6: ['expectedPods', 'int'] } }],
    },
  };
  const deleteOptions: Message = {
    name: 'DeleteOptions',
    fields: {
      1: ['gracePeriodSeconds', 'int?'],
      2: ['preconditions', { name: 'Preconditions', fields: { 1: ['uid', 'string'], 2: ['resourceVersion', 'string'] } }],
      3: ['orphanDependents', 'bool'],
      4: ['propagationPolicy', 'string'],
      5: ['dryRun', 'strings'],
    },
  };
  const eviction: Message = { name: 'Eviction', fields: { 1: ['metadata', objectMeta], 2: ['deleteOptions', deleteOptions] } };
  return { 'policy/v1/PodDisruptionBudget': pdb, 'policy/v1/Eviction': eviction, 'policy/v1beta1/Eviction': eviction };
}
