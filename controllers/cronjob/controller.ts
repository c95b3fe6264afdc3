// The CronJob controller, as kube-controller-manager's cronjob_controllerv2.go: on shared
// informers of CronJobs and Jobs, a sync takes the Jobs the CronJob controls, asks plan.ts what
// to do at `now` (an injectable clock), deletes what it says (Replace's running Jobs, Jobs
// beyond the history limits), creates the Job of the most recent schedule time, writes the
// status through /status and queues the CronJob again for its next schedule time.
import type { Logger } from 'pino';
import { isApiError } from '../../api/errors.js';
import type { CronJob, Job } from '../../api/types/batch.js';
import type { ObjectReference } from '../../api/types/core.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { objectKey, type Informer } from '../../client/informer.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { controllerRefOf } from '../controller-ref.js';
import { SharedInformers } from '../shared-informers.js';
import { WorkQueue } from '../work-queue.js';
import { planCronJob } from './plan.js';

export interface CronJobControllerOptions {
  client: RestClient;
  informers?: SharedInformers;
  /** --concurrent-cron-job-syncs (5). */
  workers?: number;
  now?: () => number;
  logger?: Logger;
}

export class CronJobController {
  readonly #cronClient: ResourceClient<CronJob>;
  readonly #jobClient: ResourceClient<Job>;
  readonly #informers: SharedInformers;
  readonly #ownInformers: boolean;
  readonly #now: () => number;
  readonly #log?: Logger;
  readonly #events: EventRecorder;
  readonly #queue: WorkQueue;
  readonly cronJobs: Informer<CronJob>;
  readonly jobs: Informer<Job>;

  constructor(o: CronJobControllerOptions) {
    this.#cronClient = o.client.resourceByName<CronJob>('cronjobs', 'batch');
    this.#jobClient = o.client.resourceByName<Job>('jobs', 'batch');
    this.#ownInformers = !o.informers;
    this.#informers = o.informers ?? new SharedInformers();
    this.#now = o.now ?? Date.now;
    this.#log = o.logger;
    this.#events = new EventRecorder({ client: o.client, source: { component: 'cronjob-controller' }, logger: o.logger });
    this.#queue = new WorkQueue({
      workers: o.workers ?? 5,
      sync: (key) => this.syncCronJob(key),
      onError: (key, err) => o.logger?.warn({ err, cronJob: key }, 'cron job sync failed; retrying'),
    });
    this.cronJobs = this.#informers.informer(this.#cronClient);
    this.jobs = this.#informers.informer(this.#jobClient);
    this.cronJobs.on('add', (c) => this.#queue.add(objectKey(c)));
    this.cronJobs.on('update', (c) => this.#queue.add(objectKey(c)));
    const jobChanged = (job: Job) => {
      const ref = controllerRefOf(job);
      if (ref?.kind === 'CronJob' && ref.apiVersion.split('/')[0] === 'batch') this.#queue.add(`${job.metadata.namespace ?? ''}/${ref.name}`);
    };
    this.jobs.on('add', jobChanged);
    this.jobs.on('update', jobChanged);
    this.jobs.on('delete', jobChanged);
  }

  async start(signal?: AbortSignal): Promise<void> {
    for (const inf of [this.cronJobs, this.jobs]) inf.on('error', (err) => this.#log?.warn({ err }, 'cron job controller informer error'));
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    await this.#informers.start(signal);
    for (const c of this.cronJobs.list()) this.#queue.add(objectKey(c));
  }

  async stop(): Promise<void> {
    await this.#queue.stop();
    if (this.#ownInformers) await this.#informers.stop();
    await this.#events.flush();
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  async syncCronJob(key: string): Promise<void> {
    if (!this.cronJobs.hasSynced || !this.jobs.hasSynced) return;
    const [namespace = '', name = ''] = key.split('/');
    const cronJob = this.cronJobs.get(name, namespace);
    if (!cronJob) return;
    const owned = this.jobs.list(namespace).filter((j) => controllerRefOf(j)?.uid === cronJob.metadata.uid);
    const plan = planCronJob(cronJob, owned, this.#now());
    const ref: ObjectReference = { apiVersion: 'batch/v1', kind: 'CronJob', name, namespace, uid: cronJob.metadata.uid, resourceVersion: cronJob.metadata.resourceVersion };
    for (const e of plan.events) this.#events.event(ref, e.type, e.reason, e.message);
    for (const r of plan.deleteActive) await this.#deleteJob(ref, r.name ?? '', namespace, 'SuccessfulDelete');
    for (const j of plan.deleteFinished) await this.#deleteJob(ref, j.metadata.name ?? '', namespace, 'SuccessfulDelete');
    if (plan.create) {
      try {
        const job = await this.#jobClient.create(plan.create, { namespace });
        this.#events.event(ref, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name ?? ''}`);
        plan.status.active = [...(plan.status.active ?? []), { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, namespace, uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion }];
      } catch (err) {
        // Made by an earlier sync whose status write was lost: the informer will show it.
        if (!isApiError(err, 'AlreadyExists')) {
          this.#events.event(ref, 'Warning', 'FailedCreate', `Error creating job: ${err instanceof Error ? err.message : String(err)}`);
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
    if (plan.requeueAfterMs !== undefined) this.#queue.addAfter(key, Math.max(1, plan.requeueAfterMs + 100));
  }

  async #deleteJob(ref: ObjectReference, jobName: string, namespace: string, reason: string): Promise<void> {
    try {
      await this.#jobClient.delete(jobName, { namespace, propagationPolicy: 'Background' });
      this.#events.event(ref, 'Normal', reason, `Deleted job ${jobName}`);
    } catch (err) {
      if (!isApiError(err, 'NotFound')) throw err;
    }
  }
}
