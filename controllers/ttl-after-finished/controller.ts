// The TTL-after-finished controller, as kube-controller-manager's ttlafterfinished: a Job with
// ttlSecondsAfterFinished that has finished (Complete or Failed) is deleted, with Background
// propagation so its pods go too, that many seconds after it finished; until then it is queued
// again for the moment it expires. Before deleting, a fresh read checks the Job still expired
// (its TTL may have been changed), and the delete is guarded by its uid.
import type { Logger } from 'pino';
import { isApiError } from '../../api/errors.js';
import type { Job } from '../../api/types/batch.js';
import type { Informer } from '../../client/informer.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { ControllerLoop } from '../controller-loop.js';
import type { SharedInformers } from '../shared-informers.js';

/** When a Job finished (its Complete or Failed condition's transition, else completionTime), in ms; undefined while it runs. */
export function jobFinishedAt(job: Job): number | undefined {
  const c = job.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  if (!c) return undefined;
  const t = Date.parse(c.lastTransitionTime ?? job.status?.completionTime ?? '');
  return Number.isNaN(t) ? undefined : t;
}

/** ms until the Job may be deleted: 0 when it may now, undefined when it has no TTL or has not finished. */
export function msUntilExpiry(job: Job, now: number): number | undefined {
  const ttl = job.spec.ttlSecondsAfterFinished;
  const finished = jobFinishedAt(job);
  if (ttl === undefined || finished === undefined || job.metadata.deletionTimestamp) return undefined;
  return Math.max(0, finished + ttl * 1000 - now);
}

export interface TtlAfterFinishedControllerOptions {
  client: RestClient;
  informers?: SharedInformers;
  /** --concurrent-ttl-after-finished-syncs (5). */
  workers?: number;
  now?: () => number;
  logger?: Logger;
}

export class TtlAfterFinishedController {
  readonly #jobClient: ResourceClient<Job>;
  readonly #now: () => number;
  readonly #loop: ControllerLoop;
  readonly jobs: Informer<Job>;

  constructor(o: TtlAfterFinishedControllerOptions) {
    this.#jobClient = o.client.resourceByName<Job>('jobs', 'batch');
    this.#now = o.now ?? Date.now;
    const consider = (job: Job) => {
      if (msUntilExpiry(job, this.#now()) !== undefined) this.#loop.enqueue(job);
    };
    this.#loop = new ControllerLoop({
      ...o,
      workers: o.workers ?? 5,
      name: 'ttl-after-finished',
      keyField: 'job',
      sync: (key) => this.sync(key),
      synced: () => this.jobs.list().forEach(consider),
    });
    this.jobs = this.#loop.informer(this.#jobClient);
    this.jobs.on('add', consider);
    this.jobs.on('update', consider);
  }

  start(signal?: AbortSignal): Promise<void> {
    return this.#loop.start(signal);
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  async sync(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const cached = this.jobs.get(name, namespace);
    if (!cached) return;
    const wait = msUntilExpiry(cached, this.#now());
    if (wait === undefined) return;
    if (wait > 0) return this.#loop.queue.addAfter(key, wait + 1);
    try {
      // The cache may be stale: the TTL may have changed since.
      const fresh = await this.#jobClient.get(name, { namespace });
      const left = msUntilExpiry(fresh, this.#now());
      if (left === undefined) return;
      if (left > 0) return this.#loop.queue.addAfter(key, left + 1);
      await this.#jobClient.delete(name, { namespace, propagationPolicy: 'Background', preconditions: { uid: fresh.metadata.uid, resourceVersion: fresh.metadata.resourceVersion } });
    } catch (err) {
      if (!isApiError(err, 'NotFound')) throw err;
    }
  }
}
