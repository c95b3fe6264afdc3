// batch/v1 rules (pkg/apis/batch/validation): a Job's spec (counts, completion mode, the
// template with restartPolicy OnFailure or Never, the selector generated or matching), what
// an update may not change, and a CronJob's schedule, time zone and job template.
import { isDeepStrictEqual } from 'node:util';
import { scheduleErrors, timeZoneErrors } from '../cron.js';
import type { CronJob, Job, JobSpec, JobTemplateSpec } from '../types/batch.js';
import type { StatusCause } from '../types/meta.js';
import { FieldPath, forbidden, invalid, notSupported, required } from './field.js';
import { validatePodFailurePolicy } from './pod-failure-policy.js';
import { immutable, nonNegative, nonNegativeCounts, selectorOf, validateLabelSelector, validatePodTemplate } from './workload.js';

/** Labels a generated selector puts on the template (batch.LegacyJobNameLabel, JobNameLabel, and the controller-uid pair). */
export const JOB_NAME_LABELS = ['job-name', 'batch.kubernetes.io/job-name'];
export const CONTROLLER_UID_LABELS = ['controller-uid', 'batch.kubernetes.io/controller-uid'];
/** maxParallelismForIndexedJob. */
const MAX_INDEXED_PARALLELISM = 100_000;

const RESTART = ['OnFailure', 'Never'] as const;

/** validateJobSpec: what a Job and a CronJob's job template share. */
function validateJobSpecCommon(spec: JobSpec, path: FieldPath): StatusCause[] {
  const causes = [
    ...nonNegative(spec.parallelism, path.child('parallelism')),
    ...nonNegative(spec.completions, path.child('completions')),
    ...nonNegative(spec.activeDeadlineSeconds, path.child('activeDeadlineSeconds')),
    ...nonNegative(spec.backoffLimit, path.child('backoffLimit')),
    ...nonNegative(spec.ttlSecondsAfterFinished, path.child('ttlSecondsAfterFinished')),
    ...nonNegative(spec.backoffLimitPerIndex, path.child('backoffLimitPerIndex')),
    ...nonNegative(spec.maxFailedIndexes, path.child('maxFailedIndexes')),
  ];
  const indexed = spec.completionMode === 'Indexed';
  if (spec.backoffLimitPerIndex !== undefined && !indexed) causes.push(forbidden(path.child('backoffLimitPerIndex'), 'requires indexed completion mode'));
  if (spec.maxFailedIndexes !== undefined && spec.backoffLimitPerIndex === undefined) causes.push(required(path.child('backoffLimitPerIndex'), 'when maxFailedIndexes is specified'));
  if (indexed) {
    if (spec.completions === undefined) causes.push(required(path.child('completions'), 'when completion mode is Indexed'));
    if (spec.parallelism !== undefined && spec.parallelism > MAX_INDEXED_PARALLELISM) {
      causes.push(invalid(path.child('parallelism'), spec.parallelism, `must be less than or equal to ${MAX_INDEXED_PARALLELISM} when completion mode is Indexed`));
    }
  }
  const template = path.child('template');
  causes.push(...validatePodTemplate(spec.template, template, { restartPolicies: ['Always', ...RESTART] }));
  causes.push(...validatePodFailurePolicy(spec, path));
  const policy = spec.template?.spec?.restartPolicy;
  // The template's default is Always, so an unset policy is reported as missing, as Kubernetes does.
  if (spec.template?.spec && (policy === 'Always' || !policy)) {
    causes.push(required(template.child('spec', 'restartPolicy'), 'valid values: "OnFailure", "Never"'));
  }
  return causes;
}

/** ValidateJob: the generated selector's labels, the spec, the selector matching the template. */
export function validateJob(job: Job): StatusCause[] {
  const spec = job.spec ?? ({} as JobSpec);
  const path = FieldPath.root('spec');
  const causes: StatusCause[] = [];
  const labels = spec.template?.metadata?.labels;
  if (spec.manualSelector !== true && labels) {
    const meta = path.child('template', 'metadata', 'labels');
    const want = (keys: string[], value: string | undefined) => {
      for (const k of keys) if (labels[k] !== value) causes.push(invalid(meta.bracketKey(k), labels[k], `must be '${value ?? ''}'`));
    };
    want(JOB_NAME_LABELS, job.metadata.name);
    want(CONTROLLER_UID_LABELS, job.metadata.uid);
  }
  causes.push(...validateJobSpecCommon(spec, path));
  if (!spec.selector) causes.push(required(path.child('selector'), ''));
  else {
    causes.push(...validateLabelSelector(spec.selector, path.child('selector')));
    const selector = selectorOf(spec.selector);
    if (selector && !selector.matches(labels)) causes.push(invalid(path.child('template', 'metadata', 'labels'), undefined, '`selector` does not match template `labels`'));
  }
  return causes;
}

/** ValidateJobStatus: the counters are not negative. */
export function validateJobStatus(job: Job): StatusCause[] {
  return nonNegativeCounts(job.status as Record<string, unknown> | undefined, ['active', 'succeeded', 'failed', 'ready', 'terminating']);
}

/**
 * ValidateJobSpecUpdate: selector, completion mode and (but for an Indexed job scaled with
 * parallelism) completions are immutable; the template too, except the scheduling
 * directives of a suspended job that never started.
 */
export function validateJobUpdate(job: Job, old: Job): StatusCause[] {
  const spec = FieldPath.root('spec');
  const n = job.spec ?? ({} as JobSpec);
  const o = old.spec ?? ({} as JobSpec);
  const causes = [
    ...immutable(n.selector, o.selector, spec.child('selector')),
    ...immutable(n.completionMode, o.completionMode, spec.child('completionMode')),
    ...immutable(n.backoffLimitPerIndex, o.backoffLimitPerIndex, spec.child('backoffLimitPerIndex')),
  ];
  if (n.completionMode === 'Indexed' && o.completionMode === 'Indexed') {
    if (n.completions !== undefined && n.parallelism !== undefined && n.completions !== n.parallelism && n.completions !== o.completions) {
      causes.push(invalid(spec.child('completions'), n.completions, 'can only be modified in tandem with spec.parallelism'));
    }
  } else causes.push(...immutable(n.completions, o.completions, spec.child('completions')));
  let oldTemplate = o.template;
  // AllowMutableSchedulingDirectives: a suspended job that never started may move its pods.
  if (o.suspend === true && !old.status?.startTime && oldTemplate) {
    const nodeAffinity = n.template?.spec?.affinity?.nodeAffinity;
    const affinity = { ...oldTemplate.spec?.affinity, nodeAffinity };
    if (nodeAffinity === undefined) delete affinity.nodeAffinity;
    oldTemplate = {
      ...oldTemplate,
      metadata: { ...oldTemplate.metadata, labels: n.template?.metadata?.labels, annotations: n.template?.metadata?.annotations },
      spec: oldTemplate.spec && { ...oldTemplate.spec, nodeSelector: n.template?.spec?.nodeSelector, tolerations: n.template?.spec?.tolerations, affinity: Object.keys(affinity).length ? affinity : undefined },
    };
  }
  const strip = (v: unknown) => JSON.parse(JSON.stringify(v ?? null)) as unknown;
  if (!isDeepStrictEqual(strip(n.template), strip(oldTemplate))) causes.push(invalid(spec.child('template'), undefined, 'field is immutable'));
  return causes;
}

/** ValidateJobTemplateSpec: a job spec whose selector is left to be generated. */
function validateJobTemplate(t: JobTemplateSpec | undefined, path: FieldPath): StatusCause[] {
  if (!t?.spec) return [required(path.child('spec'), '')];
  const causes = validateJobSpecCommon(t.spec, path.child('spec'));
  if (t.spec.selector) causes.push(invalid(path.child('spec', 'selector'), undefined, '`selector` will be auto-generated'));
  if (t.spec.manualSelector === true) causes.push(notSupported(path.child('spec', 'manualSelector'), true, ['nil', 'false']));
  return causes;
}

/** The CronJob controller names its Jobs <cronjob>-<minutes since the epoch>: 11 more characters in a 63-character name. */
const MAX_CRONJOB_NAME = 52;

/**
 * ValidateCronJobCreate and validateCronJobSpec. (Kubernetes skips the name's length, a TZ=
 * kept in an old schedule and an unchanged time zone on update; none of those can have been
 * stored here.)
 */
export function validateCronJob(cj: CronJob): StatusCause[] {
  const spec = cj.spec ?? ({} as CronJob['spec']);
  const path = FieldPath.root('spec');
  const causes: StatusCause[] = [];
  if ((cj.metadata.name?.length ?? 0) > MAX_CRONJOB_NAME) {
    causes.push(invalid(FieldPath.root('metadata').child('name'), cj.metadata.name, `must be no more than ${MAX_CRONJOB_NAME} characters`));
  }
  if (!spec.schedule) causes.push(required(path.child('schedule'), ''));
  else {
    for (const msg of scheduleErrors(spec.schedule)) causes.push(invalid(path.child('schedule'), spec.schedule, msg));
  }
  causes.push(...nonNegative(spec.startingDeadlineSeconds, path.child('startingDeadlineSeconds')));
  if (spec.timeZone !== undefined) {
    for (const msg of timeZoneErrors(spec.timeZone)) causes.push(invalid(path.child('timeZone'), spec.timeZone, msg));
  }
  causes.push(...validateJobTemplate(spec.jobTemplate, path.child('jobTemplate')));
  causes.push(...nonNegative(spec.successfulJobsHistoryLimit, path.child('successfulJobsHistoryLimit')));
  causes.push(...nonNegative(spec.failedJobsHistoryLimit, path.child('failedJobsHistoryLimit')));
  return causes;
}
