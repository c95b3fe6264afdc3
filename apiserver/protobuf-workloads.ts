// The protobuf messages (k8s.io/api generated.proto field numbers) of the workload kinds
// kubectl 1.33 posts as protobuf: `create deployment`, `create job`, `create cronjob` and
// `create job --from=cronjob/...`. Each table holds the fields kubectl's generators write (Go
// writes every non-pointer field, zero values too) and the ones they set from flags
// (--replicas, --port, --image, a command); anything else is refused as unknown, as in
// protobuf-body.ts.
import type { FieldType, Message } from './protobuf-body.js';

/** A message table by name and fields. */
export const msg = (name: string, fields: Record<number, [string, FieldType]>): Message => ({ name, fields });

export const LABEL_SELECTOR = msg('LabelSelector', {
  1: ['matchLabels', 'map-string'],
  2: ['matchExpressions', { list: msg('LabelSelectorRequirement', { 1: ['key', 'string'], 2: ['operator', 'string'], 3: ['values', 'strings'] }) }],
});

const CONTAINER_PORT = msg('ContainerPort', { 1: ['name', 'string'], 2: ['hostPort', 'int'], 3: ['containerPort', 'int'], 4: ['protocol', 'string'], 5: ['hostIP', 'string'] });

const CONTAINER = msg('Container', {
  1: ['name', 'string'],
  2: ['image', 'string'],
  3: ['command', 'strings'],
  4: ['args', 'strings'],
  5: ['workingDir', 'string'],
  6: ['ports', { list: CONTAINER_PORT }],
  7: ['env', { list: msg('EnvVar', { 1: ['name', 'string'], 2: ['value', 'string'] }) }],
  // kubectl's generators leave resources empty; limits and requests are not decoded here.
  8: ['resources', msg('ResourceRequirements', {})],
  13: ['terminationMessagePath', 'string'],
  14: ['imagePullPolicy', 'string'],
  16: ['stdin', 'flag'],
  17: ['stdinOnce', 'flag'],
  18: ['tty', 'flag'],
  20: ['terminationMessagePolicy', 'string'],
});

const POD_SPEC = msg('PodSpec', {
  2: ['containers', { list: CONTAINER }],
  3: ['restartPolicy', 'string'],
  4: ['terminationGracePeriodSeconds', 'int?'],
  5: ['activeDeadlineSeconds', 'int?'],
  6: ['dnsPolicy', 'string'],
  7: ['nodeSelector', 'map-string'],
  8: ['serviceAccountName', 'string'],
  // serviceAccount: the deprecated alias kubectl still writes empty.
  9: ['serviceAccount', 'string'],
  10: ['nodeName', 'string'],
  11: ['hostNetwork', 'flag'],
  12: ['hostPID', 'flag'],
  13: ['hostIPC', 'flag'],
  // A template copied from a stored object (create job --from=cronjob/x) carries the defaulted, empty securityContext.
  14: ['securityContext', msg('PodSecurityContext', {})],
  16: ['hostname', 'string'],
  17: ['subdomain', 'string'],
  19: ['schedulerName', 'string'],
  20: ['initContainers', { list: CONTAINER }],
  21: ['automountServiceAccountToken', 'bool'],
  24: ['priorityClassName', 'string'],
});

const podTemplateSpec = (objectMeta: Message): Message => msg('PodTemplateSpec', { 1: ['metadata', objectMeta], 2: ['spec', POD_SPEC] });

const CONDITION_FIELDS: Record<number, [string, FieldType]> = { 1: ['type', 'string'], 2: ['status', 'string'] };

export function workloadMessages(objectMeta: Message): Record<string, Message> {
  const template = podTemplateSpec(objectMeta);
  const jobSpec = msg('JobSpec', {
    1: ['parallelism', 'int?'],
    2: ['completions', 'int?'],
    3: ['activeDeadlineSeconds', 'int?'],
    4: ['selector', LABEL_SELECTOR],
    5: ['manualSelector', 'bool'],
    6: ['template', template],
    7: ['backoffLimit', 'int?'],
    8: ['ttlSecondsAfterFinished', 'int?'],
    9: ['completionMode', 'string'],
    10: ['suspend', 'bool'],
  });
  const jobStatus = msg('JobStatus', {
    1: ['conditions', { list: msg('JobCondition', CONDITION_FIELDS) }],
    2: ['startTime', 'time'],
    3: ['completionTime', 'time'],
    4: ['active', 'int'],
    5: ['succeeded', 'int'],
    6: ['failed', 'int'],
    7: ['completedIndexes', 'string'],
    9: ['ready', 'int?'],
    10: ['failedIndexes', 'string'],
    11: ['terminating', 'int?'],
  });
  return {
    'apps/v1/Deployment': msg('Deployment', {
      1: ['metadata', objectMeta],
      2: [
        'spec',
        msg('DeploymentSpec', {
          1: ['replicas', 'int?'],
          2: ['selector', LABEL_SELECTOR],
          3: ['template', template],
          4: ['strategy', msg('DeploymentStrategy', { 1: ['type', 'string'], 2: ['rollingUpdate', msg('RollingUpdateDeployment', { 1: ['maxUnavailable', 'int-or-string'], 2: ['maxSurge', 'int-or-string'] })] })],
          5: ['minReadySeconds', 'int'],
          6: ['revisionHistoryLimit', 'int?'],
          7: ['paused', 'flag'],
          9: ['progressDeadlineSeconds', 'int?'],
        }),
      ],
      // Written empty by kubectl; a create resets status anyway.
      3: ['status', msg('DeploymentStatus', { 1: ['observedGeneration', 'int'], 2: ['replicas', 'int'], 3: ['updatedReplicas', 'int'], 4: ['availableReplicas', 'int'], 5: ['unavailableReplicas', 'int'], 7: ['readyReplicas', 'int'], 8: ['collisionCount', 'int?'] })],
    }),
    'batch/v1/Job': msg('Job', { 1: ['metadata', objectMeta], 2: ['spec', jobSpec], 3: ['status', jobStatus] }),
    'batch/v1/CronJob': msg('CronJob', {
      1: ['metadata', objectMeta],
      2: [
        'spec',
        msg('CronJobSpec', {
          1: ['schedule', 'string'],
          2: ['startingDeadlineSeconds', 'int?'],
          3: ['concurrencyPolicy', 'string'],
          4: ['suspend', 'bool'],
          5: ['jobTemplate', msg('JobTemplateSpec', { 1: ['metadata', objectMeta], 2: ['spec', jobSpec] })],
          6: ['successfulJobsHistoryLimit', 'int?'],
          7: ['failedJobsHistoryLimit', 'int?'],
          8: ['timeZone', 'string'],
        }),
      ],
      3: ['status', msg('CronJobStatus', {})],
    }),
  };
}
