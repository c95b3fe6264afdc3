// batch/v1 schemas: Job and CronJob. Types, enums and descriptions (kubectl explain); the
// rules between fields are api/validation/batch.ts'.
import type { JsonSchema } from './json-schema.js';
import { arr, bool, enumOf, int, int32, keyedArr, obj, str, time } from './json-schema.js';
import { envelope, objectMetaSchema } from './meta.js';
import { objectReferenceSchema } from './pod.js';
import { conditionSchema, labelSelectorSchema, podTemplateSpecSchema } from './workload.js';

const BATCH = 'io.k8s.api.batch.v1';

export const jobSpecSchema = obj(
  `${BATCH}.JobSpec`,
  {
    parallelism: int32('Specifies the maximum desired number of pods the job should run at any given time. The actual number of pods running in steady state will be less than this number when ((.spec.completions - .status.successful) < .spec.parallelism), i.e. when the work left to do is less than max parallelism.'),
    completions: int32('Specifies the desired number of successfully finished pods the job should be run with. Setting to null means that the success of any pod signals the success of all pods, and allows parallelism to have any positive value. Setting to 1 means that parallelism is limited to 1 and the success of that pod signals the success of the job.'),
    activeDeadlineSeconds: int('Specifies the duration in seconds relative to the startTime that the job may be continuously active before the system tries to terminate it; value must be positive integer.'),
    backoffLimit: int32('Specifies the number of retries before marking this job failed. Defaults to 6'),
    backoffLimitPerIndex: int32('Specifies the limit for the number of retries within an index before marking this index as failed. Only for Indexed jobs.'),
    maxFailedIndexes: int32('Specifies the maximal number of failed indexes before marking the Job as failed, when backoffLimitPerIndex is set.'),
    selector: { ...labelSelectorSchema, description: 'A label query over pods that should match the pod count. Normally, the system sets this field for you.' },
    manualSelector: bool('manualSelector controls generation of pod labels and pod selectors. Leave `manualSelector` unset unless you are certain what you are doing.'),
    template: { ...podTemplateSpecSchema, description: 'Describes the pod that will be created when executing a job. The only allowed template.spec.restartPolicy values are "Never" or "OnFailure".' },
    ttlSecondsAfterFinished: int32('ttlSecondsAfterFinished limits the lifetime of a Job that has finished execution (either Complete or Failed). If this field is set, ttlSecondsAfterFinished after the Job finishes, it is eligible to be automatically deleted.'),
    completionMode: enumOf(['NonIndexed', 'Indexed'], 'completionMode specifies how Pod completions are tracked. It can be `NonIndexed` (default) or `Indexed`.'),
    suspend: bool('suspend specifies whether the Job controller should create Pods or not. Defaults to false.'),
    podReplacementPolicy: enumOf(['TerminatingOrFailed', 'Failed'], 'podReplacementPolicy specifies when to create replacement Pods.'),
    podFailurePolicy: obj(
      `${BATCH}.PodFailurePolicy`,
      {
        rules: arr(
          obj(
            `${BATCH}.PodFailurePolicyRule`,
            {
              action: enumOf(['FailJob', 'FailIndex', 'Ignore', 'Count'], 'Specifies the action taken on a pod failure when the requirements are satisfied.'),
              onExitCodes: obj(
                `${BATCH}.PodFailurePolicyOnExitCodesRequirement`,
                {
                  containerName: str('Restricts the check for exit codes to the container with the specified name.'),
                  operator: enumOf(['In', 'NotIn'], 'Represents the relationship between the container exit code(s) and the specified values.'),
                  values: arr(int32('An exit code.'), 'Specifies the set of values. Each returned container exit code (might be multiple in case of multiple containers) is checked against this set of values with respect to the operator.'),
                },
                { required: ['operator', 'values'], description: 'Represents the requirement on the container exit codes.' },
              ),
              onPodConditions: arr(
                obj(
                  `${BATCH}.PodFailurePolicyOnPodConditionsPattern`,
                  { type: str('Specifies the required Pod condition type.'), status: str('Specifies the required Pod condition status. Defaults to True.') },
                  { required: ['type'], description: 'Represents the requirement on the pod conditions.' },
                ),
                'Represents the requirement on the pod conditions.',
              ),
            },
            { required: ['action'], description: 'PodFailurePolicyRule describes how a pod failure is handled when the requirements are met.' },
          ),
          'A list of pod failure policy rules. The rules are evaluated in order.',
        ),
      },
      { required: ['rules'], description: 'Specifies the policy of handling failed pods.' },
    ),
  },
  { required: ['template'], description: 'Specification of the desired behavior of a job.' },
);

export const jobSchema: JsonSchema = envelope(
  { group: 'batch', version: 'v1', kind: 'Job' },
  'Job represents the configuration of a single job.',
  {
    spec: jobSpecSchema,
    status: obj(
      `${BATCH}.JobStatus`,
      {
        conditions: keyedArr(
          conditionSchema(`${BATCH}.JobCondition`, { lastProbeTime: time('Last time the condition was checked.') }),
          'type',
          'The latest available observations of an object\'s current state. When a Job fails, one of the conditions will have type "Failed" and status true. When a Job is suspended, one of the conditions will have type "Suspended" and status true; when the Job is resumed, the status of this condition will become false. When a Job is completed, one of the conditions will have type "Complete" and status true.',
        ),
        startTime: time('Represents time when the job controller started processing a job.'),
        completionTime: time('Represents time when the job was completed.'),
        active: int32('The number of pending and running pods which are not terminating (without a deletionTimestamp).'),
        succeeded: int32('The number of pods which reached phase Succeeded.'),
        failed: int32('The number of pods which reached phase Failed.'),
        terminating: int32('The number of pods which are terminating (in phase Pending or Running and have a deletionTimestamp).'),
        ready: int32('The number of active pods which have a Ready condition and are not terminating (without a deletionTimestamp).'),
        completedIndexes: str('completedIndexes holds the completed indexes when .spec.completionMode = "Indexed" in a text format, e.g. "1,3-5,7".'),
        failedIndexes: str('FailedIndexes holds the failed indexes when spec.backoffLimitPerIndex is set.'),
        uncountedTerminatedPods: obj(`${BATCH}.UncountedTerminatedPods`, {
          succeeded: arr(str(), 'succeeded holds UIDs of succeeded Pods.'),
          failed: arr(str(), 'failed holds UIDs of failed Pods.'),
        }, { description: 'uncountedTerminatedPods holds the UIDs of Pods that have terminated but the job controller hasn\'t yet accounted for in the status counters.' }),
      },
      { description: 'Current status of a job.' },
    ),
  },
);

export const cronJobSchema: JsonSchema = envelope(
  { group: 'batch', version: 'v1', kind: 'CronJob' },
  'CronJob represents the configuration of a single cron job.',
  {
    spec: obj(
      `${BATCH}.CronJobSpec`,
      {
        schedule: str('The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
        timeZone: str('The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process.'),
        startingDeadlineSeconds: int('Optional deadline in seconds for starting the job if it misses scheduled time for any reason. Missed jobs executions will be counted as failed ones.'),
        concurrencyPolicy: enumOf(['Allow', 'Forbid', 'Replace'], 'Specifies how to treat concurrent executions of a Job. Valid values are: "Allow" (default): allows CronJobs to run concurrently; "Forbid": forbids concurrent runs, skipping next run if previous run hasn\'t finished yet; "Replace": cancels currently running job and replaces it with a new one'),
        suspend: bool('This flag tells the controller to suspend subsequent executions, it does not apply to already started executions. Defaults to false.'),
        jobTemplate: obj(
          `${BATCH}.JobTemplateSpec`,
          { metadata: { ...objectMetaSchema, description: 'Standard object\'s metadata of the jobs created from this template.' }, spec: jobSpecSchema },
          { required: ['spec'], description: 'Specifies the job that will be created when executing a CronJob.' },
        ),
        successfulJobsHistoryLimit: int32('The number of successful finished jobs to retain. Value must be non-negative integer. Defaults to 3.'),
        failedJobsHistoryLimit: int32('The number of failed finished jobs to retain. Value must be non-negative integer. Defaults to 1.'),
      },
      { required: ['schedule', 'jobTemplate'], description: 'Specification of the desired behavior of a cron job, including the schedule.' },
    ),
    status: obj(
      `${BATCH}.CronJobStatus`,
      {
        active: arr(objectReferenceSchema, 'A list of pointers to currently running jobs.'),
        lastScheduleTime: time('Information when was the last time the job was successfully scheduled.'),
        lastSuccessfulTime: time('Information when was the last time the job successfully completed.'),
      },
      { description: 'Current status of a cron job.' },
    ),
  },
);
