// The CronJob controller, as kube-controller-manager's cronjob_controllerv2.go: on shared
// informers of CronJobs and Jobs, a sync takes the Jobs the CronJob controls, asks plan.ts what
// to do at `now` (an injectable clock), deletes what it says (Replace's running Jobs, Jobs
// beyond the history limits), creates the Job of the most recent schedule time, writes the
// status through /status and queues the CronJob again for its next schedule time.
import { isApiError } from '../../api/errors.js';
import type { CronJob, Job } from '../../api/types/batch.js';
import type { ObjectReference } from '../../api/types/core.js';
import type { Informer } from '../../client/informer.js';
import type { ResourceClient } from '../../client/rest.js';
import { ControllerLoop, LoopController, type ControllerOptions } from '../controller-loop.js';
import { controllerRefOf } from '../controller-ref.js';
import { planCronJob } from './plan.js';

export interface CronJobControllerOptions extends ControllerOptions {
  /** --concurrent-cron-job-syncs (5). */
  workers?: number;
  now?: () => number;
}

export class CronJobController extends LoopController {
  readonly #cronClient: ResourceClient<CronJob>;
  readonly #jobClient: ResourceClient<Job>;
  readonly #now: () => number;
  readonly cronJobs: Informer<CronJob>;
  readonly jobs: Informer<Job>;

  constructor(o: CronJobControllerOptions) {
    super();
    this.#cronClient = o.client.resourceByName<CronJob>('cronjobs', 'batch');
    this.#jobClient = o.client.resourceByName<Job>('jobs', 'batch');
    this.#now = o.now ?? Date.now;
    this.loop = new ControllerLoop({
      ...o,
      workers: o.workers ?? 5,
      name: 'cronjob-controller',
      sync: (key) => this.syncCronJob(key),
      synced: () => this.loop.enqueueAll(this.cronJobs),
    });
    const enqueue = (c: CronJob) => this.loop.enqueue(c);
    this.cronJobs = this.loop.informer(this.#cronClient, { add: enqueue, update: enqueue });
    const jobChanged = (job: Job) => {
      const ref = controllerRefOf(job);
      if (ref?.kind === 'CronJob' && ref.apiVersion.split('/')[0] === 'batch') this.loop.queue.add(`${job.metadata.namespace ?? ''}/${ref.name}`);
    };
    this.jobs = this.loop.informer(this.#jobClient, { add: jobChanged, update: jobChanged, delete: jobChanged });
  }

  async syncCronJob(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const cronJob = this.cronJobs.get(name, namespace);
    if (!cronJob) return;
    const owned = this.jobs.list(namespace).filter((j) => controllerRefOf(j)?.uid === cronJob.metadata.uid);
    const plan = planCronJob(cronJob, owned, this.#now());
    const ref: ObjectReference = { apiVersion: 'batch/v1', kind: 'CronJob', name, namespace, uid: cronJob.metadata.uid, resourceVersion: cronJob.metadata.resourceVersion };
    for (const e of plan.events) this.loop.events.event(ref, e.type, e.reason, e.message);
    for (const r of plan.deleteActive) await this.#deleteJob(ref, r.name ?? '', namespace, 'SuccessfulDelete');
    for (const j of plan.deleteFinished) await this.#deleteJob(ref, j.metadata.name ?? '', namespace, 'SuccessfulDelete');
    if (plan.create) {
      try {
        const job = await this.#jobClient.create(plan.create, { namespace });
        this.loop.events.event(ref, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name ?? ''}`);
        plan.status.active = [...(plan.status.active ?? []), { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, namespace, uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion }];
      } catch (err) {
        // Made by an earlier sync whose status write was lost: the informer will show it.
        if (!isApiError(err, 'AlreadyExists')) {
          this.loop.events.event(ref, 'Warning', 'FailedCreate', `Error creating job: ${err instanceof Error ? err.message : String(err)}`);
          throw err;
        }
      }
    }
    if (JSON.stringify(plan.status) !== JSON.stringify(cronJob.status ?? {})) {
      try {
        await this.#cronClient.updateStatus({ ...cronJob, status: plan.status });
      } catch (err) {
        if (!isApiError(err, 'NotFound')) throw err;
      }
    }
    if (plan.requeueAfterMs !== undefined) this.loop.queue.addAfter(key, Math.max(1, plan.requeueAfterMs + 100));
  }

  async #deleteJob(ref: ObjectReference, jobName: string, namespace: string, reason: string): Promise<void> {
    try {
      await this.#jobClient.delete(jobName, { namespace, propagationPolicy: 'Background' });
      this.loop.events.event(ref, 'Normal', reason, `Deleted job ${jobName}`);
    } catch (err) {
      if (!isApiError(err, 'NotFound')) throw err;
    }
  }
}
