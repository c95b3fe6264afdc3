// batch/v1 CronJob: Jobs from a template on a cron schedule in a time zone (the controller
// is controllers/; this is the API kind; api/cron.ts reads schedules for both).
import { defaultPodSpec } from '../defaults.js';
import { ageOf } from '../human-duration.js';
import { cronJobSchema } from '../schemas/batch.js';
import type { CronJob } from '../types/batch.js';
import { validateCronJob } from '../validation/batch.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';
import { formatLabelSelector, templateColumns } from './workload-columns.js';

/** SetDefaults_CronJob (Allow, not suspended, history 3 and 1), and the pod's defaults in the job template's pod template. */
function defaultCronJob(cj: CronJob): void {
  const spec = cj.spec;
  if (typeof spec !== 'object' || spec === null) return;
  spec.concurrencyPolicy ??= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  const pod = spec.jobTemplate?.spec?.template?.spec;
  if (pod) defaultPodSpec(pod);
}

export const cronJobKind = defineKind<CronJob>({
  resource: resourceRow({ group: 'batch', version: 'v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true, shortNames: ['cj'], subresources: ['status'], categories: ['all'] }),
  schema: cronJobSchema,
  nameRule: 'subdomain',
  defaults: defaultCronJob,
  validate: (cj) => validateCronJob(cj),
  validateStatus: () => [],
  strategy: {
    prepareForCreate: (cj) => {
      cj.status = {};
    },
  },
  columns: [
    nameColumn,
    { name: 'Schedule', type: 'string', priority: 0, description: 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.', cell: (cj) => cj.spec?.schedule ?? '' },
    { name: 'Timezone', type: 'string', priority: 0, description: 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.', cell: (cj) => cj.spec?.timeZone ?? '<none>' },
    { name: 'Suspend', type: 'boolean', priority: 0, description: 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions. Defaults to false.', cell: (cj) => (cj.spec?.suspend === undefined ? '<unset>' : cj.spec.suspend ? 'True' : 'False') },
    { name: 'Active', type: 'integer', priority: 0, description: 'A list of pointers to currently running jobs.', cell: (cj) => cj.status?.active?.length ?? 0 },
    { name: 'Last Schedule', type: 'string', priority: 0, description: 'Information when was the last time the job was successfully scheduled.', cell: (cj, now) => (cj.status?.lastScheduleTime ? ageOf(cj.status.lastScheduleTime, now) : '<none>') },
    ageColumn,
    ...templateColumns<CronJob>(
      (cj) => cj.spec?.jobTemplate?.spec?.template,
      (cj) => formatLabelSelector(cj.spec?.jobTemplate?.spec?.selector),
      'A label query over pods that should match the pod count. Normally, the system sets this field for you.',
    ),
  ],
});
