// The Job controller, as kube-controller-manager's job_controller.go: on shared informers of
// Jobs and Pods, a sync claims the Job's pods (controller-ref.ts), asks plan.ts what to do,
// creates pods from the template in slow-start batches (Indexed: one per completion index,
// with its annotation, label, JOB_COMPLETION_INDEX and hostname) or deletes what the plan
// says, and writes the status through /status. Expectations keep a lagging watch from making
// it create twice. Succeeded and failed pods are counted from the pods themselves, never
// counted down; each pod holds the job-tracking finalizer until a status counting it is written.
import { isApiError } from '../../api/errors.js';
import { labelSelectorFromObject, type LabelSelectorMatcher } from '../../api/selectors/labels.js';
import type { Job } from '../../api/types/batch.js';
import type { Pod } from '../../api/types/core.js';
import { objectKey, type Informer } from '../../client/informer.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { ControllerLoop, LoopController, type ControllerOptions } from '../controller-loop.js';
import { claimObjects, controllerRefOf, recheckOwner, type OwnerKind } from '../controller-ref.js';
import { podFromTemplate, writeStatusOnce } from '../owned-pods.js';
import { resolveControllerRef } from '../owners.js';
import { ControllerExpectations } from '../expectations.js';
import { slowStartBatch } from '../slow-start.js';
import { COMPLETION_INDEX, planJob } from './plan.js';

/** Keeps a Job's pod until the controller has counted it in the Job's status. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

export const JOB_KIND: OwnerKind = { apiVersion: 'batch/v1', kind: 'Job' };

export interface JobControllerOptions extends ControllerOptions {
  /** --concurrent-job-syncs (5). */
  workers?: number;
  now?: () => number;
  /** The pod-failure backoff's base (10 s) and cap (6 min); tests shorten them. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

/** The pod a Job's template describes (Indexed: for one completion index), controlled by the Job. */
export function podFromJobTemplate(job: Job, index?: number): Pod {
  const name = job.metadata.name ?? '';
  const pod = podFromTemplate(job, JOB_KIND, job.spec.template, index === undefined ? `${name}-` : `${name}-${index}-`);
  pod.metadata.finalizers = [...(pod.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER), JOB_TRACKING_FINALIZER];
  if (index !== undefined) {
    pod.metadata.annotations = { ...pod.metadata.annotations, [COMPLETION_INDEX]: String(index) };
    pod.metadata.labels = { ...pod.metadata.labels, [COMPLETION_INDEX]: String(index) };
    pod.spec.hostname ??= `${name}-${index}`;
    const env = { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } } };
    for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
      if (!(c.env ?? []).some((e) => e.name === env.name)) c.env = [...(c.env ?? []), structuredClone(env)];
    }
  }
  return pod;
}

function selectorOf(job: Job): LabelSelectorMatcher | undefined {
  try {
    return labelSelectorFromObject(job.spec.selector);
  } catch {
    return undefined;
  }
}

export class JobController extends LoopController {
  readonly #client: RestClient;
  readonly #jobClient: ResourceClient<Job>;
  readonly #o: JobControllerOptions;
  readonly #now: () => number;
  readonly jobs: Informer<Job>;
  readonly pods: Informer<Pod>;
  readonly expectations = new ControllerExpectations();

  constructor(o: JobControllerOptions) {
    super();
    this.#o = o;
    this.#client = o.client;
    this.#jobClient = o.client.resourceByName<Job>('jobs', 'batch');
    this.#now = o.now ?? Date.now;
    this.loop = new ControllerLoop({
      ...o,
      workers: o.workers ?? 5,
      name: 'job-controller',
      sync: (key) => this.syncJob(key),
      synced: () => this.loop.enqueueAll(this.jobs),
    });
    const enqueue = (j: Job) => this.loop.enqueue(j);
    this.jobs = this.loop.informer(this.#jobClient, {
      add: enqueue,
      update: enqueue,
      delete: (j) => {
        this.expectations.delete(objectKey(j));
        // Nothing will count its pods any more: let them go.
        void this.#releasePods(this.pods.list(j.metadata.namespace).filter((p) => controllerRefOf(p)?.uid === j.metadata.uid)).catch((err: unknown) =>
          o.logger?.warn({ err, job: objectKey(j) }, 'could not remove the job-tracking finalizer'),
        );
        enqueue(j);
      },
    });
    this.pods = this.loop.informer(o.client.pods, {
      add: (pod) => {
        const job = this.#resolve(pod);
        if (!job) return;
        if (!pod.metadata.deletionTimestamp) this.expectations.creationObserved(objectKey(job));
        else this.expectations.deletionObserved(objectKey(job), objectKey(pod));
        enqueue(job);
      },
      update: (pod, old) => {
        const job = this.#resolve(pod) ?? this.#resolve(old);
        if (!job) return;
        if (pod.metadata.deletionTimestamp) this.expectations.deletionObserved(objectKey(job), objectKey(pod));
        enqueue(job);
      },
      delete: (pod) => {
        const job = this.#resolve(pod);
        if (!job) return;
        this.expectations.deletionObserved(objectKey(job), objectKey(pod));
        enqueue(job);
      },
    });
  }

  #resolve(pod: Pod): Job | undefined {
    return resolveControllerRef(pod, JOB_KIND, this.jobs);
  }

  async syncJob(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const job = this.jobs.get(name, namespace);
    if (!job) {
      this.expectations.delete(key);
      return;
    }
    if (job.metadata.deletionTimestamp) {
      await this.#releasePods(this.pods.list(namespace).filter((p) => controllerRefOf(p)?.uid === job.metadata.uid));
      return;
    }
    if (!this.expectations.satisfied(key)) return;
    const selector = selectorOf(job);
    if (!selector) return;
    const { claimed, errors } = await claimObjects(this.pods.list(namespace), {
      owner: job,
      ownerKind: JOB_KIND,
      selector,
      resource: this.#client.pods,
      canAdopt: () => recheckOwner(job, JOB_KIND, () => this.#jobClient.get(name, { namespace })),
    });
    if (errors.length > 0) throw errors[0];
    const plan = planJob(job, claimed, { now: this.#now(), backoffBaseMs: this.#o.backoffBaseMs, backoffCapMs: this.#o.backoffCapMs });
    const ref = { apiVersion: JOB_KIND.apiVersion, kind: JOB_KIND.kind, name, namespace, uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion };
    const wasFinished = (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');

    let error: unknown;
    if (plan.delete.length > 0) error = await this.#deletePods(key, plan.delete);
    const creates: (number | undefined)[] = plan.createIndexes.length > 0 ? plan.createIndexes : Array.from({ length: plan.create }, () => undefined);
    if (creates.length > 0) {
      this.expectations.expectCreations(key, creates.length);
      const { successes, error: createError } = await slowStartBatch(creates.length, 1, async (i) => {
        if (this.loop.stopping.aborted) throw new Error('the controller is stopping');
        try {
          const pod = await this.#client.pods.create(podFromJobTemplate(job, creates[i]), { namespace });
          this.loop.events.event(ref, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name ?? ''}`);
        } catch (err) {
          this.loop.events.event(ref, 'Warning', 'FailedCreate', `Error creating: ${err instanceof Error ? err.message : String(err)}`);
          throw err;
        }
      });
      for (let i = successes; i < creates.length; i++) this.expectations.creationObserved(key);
      if (plan.status.active !== undefined) plan.status.active -= creates.length - successes;
      error ??= createError;
    }
    await this.#writeStatus(job, plan.status);
    // Counted in the status just written: finished pods, and pods on their way out, may go now.
    await this.#releasePods(claimed.filter((p) => p.metadata.deletionTimestamp || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed'));
    const finished = (plan.status.conditions ?? []).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (finished && !wasFinished) {
      if (finished.type === 'Complete') this.loop.events.event(ref, 'Normal', 'Completed', 'Job completed');
      else this.loop.events.event(ref, 'Warning', finished.reason ?? 'Failed', finished.message ?? '');
    }
    if (error !== undefined) throw error;
    if (plan.requeueAfterMs !== undefined) this.loop.queue.addAfter(key, Math.max(1, plan.requeueAfterMs + 1));
  }

  /** Removes the job-tracking finalizer from these pods (those that have it); a conflict waits for the next sync. */
  async #releasePods(pods: Pod[]): Promise<void> {
    const holding = pods.filter((p) => p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER));
    const results = await Promise.allSettled(
      holding.map(async (pod) => {
        const rest = (pod.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
        try {
          await this.#client.pods.patch(pod.metadata.name ?? '', { metadata: { finalizers: rest.length > 0 ? rest : null, resourceVersion: pod.metadata.resourceVersion } }, { type: 'merge', namespace: pod.metadata.namespace });
        } catch (err) {
          if (!isApiError(err, 'NotFound')) throw err;
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async #deletePods(key: string, pods: Pod[]): Promise<unknown> {
    this.expectations.expectDeletions(key, pods.map(objectKey));
    const results = await Promise.allSettled(
      pods.map(async (pod) => {
        try {
          await this.#client.pods.delete(pod.metadata.name ?? '', { namespace: pod.metadata.namespace });
        } catch (err) {
          this.expectations.deletionObserved(key, objectKey(pod));
          if (!isApiError(err, 'NotFound')) throw err;
        }
      }),
    );
    return results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
  }

  async #writeStatus(job: Job, status: Job['status']): Promise<void> {
    if (JSON.stringify(status) !== JSON.stringify(job.status)) await writeStatusOnce(this.#jobClient, job, status);
  }
}
