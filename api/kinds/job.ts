// batch/v1 Job: pods run to completion (the controller is controllers/; this is the API
// kind). A Job's selector is generated from its uid unless manualSelector says otherwise.
import { randomUUID } from 'node:crypto';
import { defaultPodSpec } from '../defaults.js';
import { humanDuration } from '../human-duration.js';
import { jobSchema } from '../schemas/batch.js';
import type { Job } from '../types/batch.js';
import { CONTROLLER_UID_LABELS, JOB_NAME_LABELS, validateJob, validateJobStatus, validateJobUpdate } from '../validation/batch.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';
import { formatLabelSelector, templateColumns } from './workload-columns.js';

/** SetDefaults_Job: completions and parallelism 1 when both are unset, backoffLimit 6, NonIndexed, not suspended; the pod's defaults in the template. */
export function defaultJob(job: Job): void {
  const spec = job.spec;
  if (typeof spec !== 'object' || spec === null) return;
  if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? 2147483647 : 6;
  const labels = spec.template?.metadata?.labels;
  if (labels && Object.keys(job.metadata.labels ?? {}).length === 0) job.metadata.labels = { ...labels };
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= 'TerminatingOrFailed';
  spec.manualSelector ??= false;
  if (spec.template?.spec) defaultPodSpec(spec.template.spec);
}

/**
 * generateSelector: the template gets job-name and controller-uid labels (both spellings)
 * unless it has them, and the selector matches batch.kubernetes.io/controller-uid.
 */
function generateSelector(job: Job): void {
  const spec = job.spec;
  if (typeof spec !== 'object' || spec === null || typeof spec.template !== 'object' || spec.template === null) return;
  const meta = (spec.template.metadata ??= {});
  const labels = (meta.labels ??= {});
  for (const k of JOB_NAME_LABELS) labels[k] ??= job.metadata.name ?? '';
  for (const k of CONTROLLER_UID_LABELS) labels[k] ??= job.metadata.uid ?? '';
  const selector = (spec.selector ??= {});
  const match = (selector.matchLabels ??= {});
  match[CONTROLLER_UID_LABELS[1]] ??= job.metadata.uid ?? '';
}

const hasCondition = (job: Job, type: string) => (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

/** STATUS as kubectl 1.33 prints it. */
function jobStatus(job: Job): string {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(job, 'Suspended')) return 'Suspended';
  if (hasCondition(job, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

/** COMPLETIONS: succeeded/completions, or "n/1 of p" for a work queue of parallelism p. */
function completions(job: Job): string {
  const done = job.status?.succeeded ?? 0;
  const { completions: c, parallelism: p } = job.spec ?? {};
  if (c !== undefined) return `${done}/${c}`;
  if (p !== undefined && p > 1) return `${done}/1 of ${p}`;
  return `${done}/1`;
}

/** DURATION: from start to completion, or to now while running; empty before it starts. */
function duration(job: Job, now: number): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now;
  return humanDuration(end - Date.parse(start));
}

export const jobKind = defineKind<Job>({
  resource: resourceRow({ group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true, subresources: ['status'], categories: ['all'] }),
  schema: jobSchema,
  nameRule: 'subdomain',
  defaults: defaultJob,
  validate: (job) => [...validateJob(job), ...validateJobStatus(job)],
  validateStatus: validateJobStatus,
  validateUpdate: validateJobUpdate,
  strategy: {
    // The uid is the generated selector's, so it is made here, before validation checks the labels.
    prepareForCreate: (job) => {
      job.metadata.uid = randomUUID();
      job.status = {};
      if (job.spec?.manualSelector !== true) generateSelector(job);
    },
    assignsUid: true,
  },
  // JobToSelectableFields.
  selectableFields: (job) => ({ 'status.successful': String(job.status?.succeeded ?? 0) }),
  columns: [
    nameColumn,
    { name: 'Status', type: 'string', priority: 0, description: 'Status of the job.', cell: jobStatus },
    { name: 'Completions', type: 'string', priority: 0, description: 'The completion status of the job', cell: completions },
    { name: 'Duration', type: 'string', priority: 0, description: 'Time required to complete the job.', cell: duration },
    ageColumn,
    ...templateColumns<Job>((j) => j.spec?.template, (j) => formatLabelSelector(j.spec?.selector), 'A label query over pods that should match the pod count. Normally, the system sets this field for you.'),
  ],
});
