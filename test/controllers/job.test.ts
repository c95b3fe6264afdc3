// The Job controller for real: a real etcd and API server, hollow nodes (pods bound to them
// finish Succeeded or Failed as their hollow-exit annotation says), the real scheduler in this
// process, the controller with the controller-manager's own token, and the real kubectl 1.33.
// The suite's own pod watch follows every pod of a Job, so "never more than parallelism
// active" is checked on what the API server held, event by event.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CronJob, Job, JobSpec } from '../../api/types/batch.js';
import type { Pod } from '../../api/types/core.js';
import { isApiError } from '../../api/errors.js';
import { Informer, listWatch } from '../../client/informer.js';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { isPodActive } from '../../controllers/active-pods.js';
import { CronJobController } from '../../controllers/cronjob/controller.js';
import { SCHEDULED_TIMESTAMP } from '../../controllers/cronjob/plan.js';
import { JOB_TRACKING_FINALIZER, JobController } from '../../controllers/job/controller.js';
import { TtlAfterFinishedController } from '../../controllers/ttl-after-finished/controller.js';
import { COMPLETION_INDEX } from '../../controllers/job/plan.js';
import { startKubectlCluster, type KubectlCluster } from '../compat/kubectl-harness.js';
import { eventually } from '../fixtures/eventually.js';
import { HOLLOW_EXIT } from '../fixtures/hollow-nodes.js';
import { startSkiff } from '../fixtures/process.js';

const ns = 'default';

function job(name: string, spec: Partial<JobSpec>, exit?: 'Succeeded' | 'Failed'): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: {
      ...spec,
      template: {
        metadata: exit ? { annotations: { [HOLLOW_EXIT]: exit } } : {},
        spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox' }] },
      },
    },
  };
}

describe('Job controller', () => {
  let cluster: KubectlCluster;
  let manager: RestClient;
  let jobs: ResourceClient<Job>;
  let controller: JobController;
  let pods: Informer<Pod>;
  /** Per job-name label: the most pods seen active at once, and every pod name seen. */
  const maxActive = new Map<string, number>();
  const seen = new Map<string, Set<string>>();
  /** Pods seen holding the job-tracking finalizer. */
  const tracked = new Set<string>();

  const jobNamed = (name: string) => jobs.get(name, { namespace: ns });
  const finished = (name: string, type: 'Complete' | 'Failed') =>
    eventually(async () => {
      const j = await jobNamed(name);
      return j.status?.conditions?.some((c) => c.type === type && c.status === 'True') && j;
    }, `Job ${name} ${type}`);

  beforeAll(async () => {
    cluster = await startKubectlCluster();
    manager = cluster.client(cluster.api.controllerManagerToken);
    jobs = cluster.admin.resourceByName<Job>('jobs', 'batch');
    await cluster.hollowNodes({ count: 2, finishDeletion: true });
    await cluster.startScheduler({ identity: 'job-test' });
    pods = new Informer(listWatch(cluster.admin.pods, { namespace: ns }));
    const note = () => {
      const byJob = new Map<string, number>();
      for (const p of pods.list(ns)) {
        const j = p.metadata.labels?.['batch.kubernetes.io/job-name'];
        if (!j) continue;
        if (!seen.has(j)) seen.set(j, new Set());
        seen.get(j)?.add(p.metadata.name ?? '');
        if (p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)) tracked.add(p.metadata.name ?? '');
        if (isPodActive(p)) byJob.set(j, (byJob.get(j) ?? 0) + 1);
      }
      for (const [j, count] of byJob) maxActive.set(j, Math.max(maxActive.get(j) ?? 0, count));
    };
    for (const ev of ['add', 'update', 'delete'] as const) pods.on(ev, note);
    await pods.start();
    controller = new JobController({ client: manager, workers: 5, backoffBaseMs: 200 });
    await controller.start();
  });
  afterAll(async () => {
    await controller?.stop();
    await pods?.stop();
    await cluster?.stop();
  });

  it('completes 5 completions with parallelism 2, never more than 2 active; kubectl get jobs shows Complete 5/5', async () => {
    const created = await jobs.create(job('five', { completions: 5, parallelism: 2 }, 'Succeeded'));
    const done = await finished('five', 'Complete');
    expect(done.status).toMatchObject({ succeeded: 5, failed: 0, active: 0 });
    expect(done.status?.startTime).toBeDefined();
    expect(done.status?.completionTime).toBeDefined();
    expect(done.status?.conditions?.map((c) => [c.type, c.reason])).toEqual([
      ['SuccessCriteriaMet', 'CompletionsReached'],
      ['Complete', 'CompletionsReached'],
    ]);
    await controller.idle();
    expect(maxActive.get('five')).toBeGreaterThan(0);
    expect(maxActive.get('five')).toBeLessThanOrEqual(2);
    expect(seen.get('five')?.size).toBe(5);
    const mine = pods.list(ns).filter((p) => p.metadata.labels?.['job-name'] === 'five');
    for (const p of mine) {
      expect(p.metadata.name).toMatch(/^five-[a-z0-9]{5}$/);
      expect(p.metadata.labels).toMatchObject({ 'batch.kubernetes.io/controller-uid': created.metadata.uid, 'controller-uid': created.metadata.uid, 'batch.kubernetes.io/job-name': 'five' });
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'five', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }

    // Every pod held the job-tracking finalizer until it was counted, and none holds it now.
    expect([...(seen.get('five') ?? [])].every((name) => tracked.has(name))).toBe(true);
    await eventually(() => pods.list(ns).filter((p) => p.metadata.labels?.['job-name'] === 'five').every((p) => !p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)), 'the finalizers removed');

    const get = await cluster.kubectl(['get', 'jobs', 'five', '-n', ns], { version: '1.33' });
    expect(get.stderr).toBe('');
    const [header, row] = get.stdout.trim().split('\n');
    expect(header?.split(/\s+/)).toEqual(['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    expect(row?.split(/\s+/).slice(0, 3)).toEqual(['five', 'Complete', '5/5']);
  });

  it('a Job whose pods fail, backoffLimit 1, is Failed with BackoffLimitExceeded after 2 pods', async () => {
    await jobs.create(job('failing', { completions: 1, backoffLimit: 1 }, 'Failed'));
    const failed = await finished('failing', 'Failed');
    const cond = failed.status?.conditions?.find((c) => c.type === 'Failed');
    expect(cond).toMatchObject({ status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(failed.status).toMatchObject({ failed: 2, succeeded: 0, active: 0 });
    expect(failed.status?.completionTime).toBeUndefined();
    await controller.idle();
    expect(seen.get('failing')?.size).toBe(2);
    const get = await cluster.kubectl(['get', 'jobs', 'failing', '-n', ns], { version: '1.33' });
    expect(get.stdout).toMatch(/failing\s+Failed\s+0\/1/);
  });

  it('podFailurePolicy FailJob on the exit code: Failed with PodFailurePolicy after the first pod, whatever the backoffLimit', async () => {
    await jobs.create(job('policy', { completions: 1, backoffLimit: 6, podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'work', operator: 'In', values: [1] } }] } }, 'Failed'));
    const failed = await finished('policy', 'Failed');
    expect(failed.spec.podFailurePolicy?.rules[0]?.action).toBe('FailJob');
    const cond = failed.status?.conditions?.find((c) => c.type === 'Failed');
    expect(cond?.reason).toBe('PodFailurePolicy');
    expect(cond?.message).toMatch(/^Container work for pod [^ ]+\/policy-[a-z0-9]+ failed with exit code 1 matching FailJob rule at index 0$/);
    expect(failed.status).toMatchObject({ failed: 1, active: 0 });
    await controller.idle();
    expect(seen.get('policy')?.size).toBe(1);
  });

  it('past activeDeadlineSeconds a running Job is Failed with DeadlineExceeded and its pods are deleted', async () => {
    await jobs.create(job('deadline', { completions: 2, parallelism: 2, activeDeadlineSeconds: 2 }));
    await eventually(() => pods.list(ns).filter((p) => p.metadata.labels?.['job-name'] === 'deadline' && p.status?.phase === 'Running').length === 2, 'two running pods');
    const failed = await finished('deadline', 'Failed');
    expect(failed.status?.conditions?.find((c) => c.type === 'Failed')).toMatchObject({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect(failed.status).toMatchObject({ active: 0, succeeded: 0 });
    expect(Date.parse(failed.status?.conditions?.find((c) => c.type === 'FailureTarget')?.lastTransitionTime ?? '')).toBeGreaterThanOrEqual(Date.parse(failed.status?.startTime ?? '') + 2000);
    await eventually(() => pods.list(ns).filter((p) => p.metadata.labels?.['job-name'] === 'deadline').length === 0, 'the pods gone');
  });

  it('a deleted Job lets go of its pods: none keeps the job-tracking finalizer', async () => {
    await jobs.create(job('dropped', { completions: 2, parallelism: 2 }));
    const mine = () => pods.list(ns).filter((p) => p.metadata.labels?.['job-name'] === 'dropped');
    await eventually(() => mine().filter((p) => p.status?.phase === 'Running').length === 2, 'two running pods');
    expect(mine().every((p) => p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER))).toBe(true);
    await jobs.delete('dropped', { namespace: ns });
    await eventually(() => mine().every((p) => !p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)), 'the finalizers removed');
  });

  it('a */1 CronJob on a clock past the next minute starts a Job that completes; lastSuccessfulTime follows', async () => {
    // The CronJob controller's clock runs ahead to just past the next minute: one real tick, no wait for it.
    const wall = Date.now();
    const tick = Math.ceil((wall + 1) / 60_000) * 60_000;
    const ahead = tick + 1_000 - wall;
    const cron = new CronJobController({ client: manager, now: () => Date.now() + ahead });
    await cron.start();
    try {
      const cronJobs = cluster.admin.resourceByName<CronJob>('cronjobs', 'batch');
      const template = job('x', { completions: 1 }, 'Succeeded');
      await cronJobs.create({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tick', namespace: ns }, spec: { schedule: '*/1 * * * *', jobTemplate: { spec: template.spec } } });
      const jobName = `tick-${tick / 60_000}`;
      const done = await finished(jobName, 'Complete');
      expect(done.metadata.annotations?.[SCHEDULED_TIMESTAMP]).toBe(new Date(tick).toISOString().replace('.000Z', 'Z'));
      expect(done.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'tick', controller: true });
      const status = await eventually(async () => {
        const s = (await cronJobs.get('tick', { namespace: ns })).status;
        return s?.lastSuccessfulTime ? s : undefined;
      }, 'lastSuccessfulTime');
      expect(status.active).toBeUndefined();
      expect(status.lastScheduleTime).toBe(new Date(tick).toISOString().replace('.000Z', 'Z'));
      const get = await cluster.kubectl(['get', 'cronjobs', 'tick', '-n', ns], { version: '1.33' });
      expect(get.stdout).toMatch(/tick\s+\*\/1 \* \* \* \*/);
    } finally {
      await cron.stop();
    }
  });

  it('ttlSecondsAfterFinished: the finished Job is deleted once its TTL passed', async () => {
    const ttl = new TtlAfterFinishedController({ client: manager });
    await ttl.start();
    try {
      // 3 s: long enough for the poll below to see it Complete before it goes (at 1 s, CI once
      // found it already deleted).
      await jobs.create(job('short', { completions: 1, ttlSecondsAfterFinished: 3 }, 'Succeeded'));
      const done = await finished('short', 'Complete');
      const finishedAt = Date.parse(done.status?.completionTime ?? '');
      await eventually(async () => {
        try {
          await jobNamed('short');
          return false;
        } catch (err) {
          return isApiError(err, 'NotFound');
        }
      }, 'the Job deleted');
      expect(Date.now()).toBeGreaterThanOrEqual(finishedAt + 3000);
    } finally {
      await ttl.stop();
    }
  });

  it('kubectl create job --from=cronjob/X makes a Job from the template, which completes', async () => {
    const cronJobs = cluster.admin.resourceByName<CronJob>('cronjobs', 'batch');
    const template = job('x', { completions: 1 }, 'Succeeded');
    await cronJobs.create({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'manual', namespace: ns }, spec: { schedule: '0 0 1 1 *', jobTemplate: { spec: template.spec } } });
    const out = await cluster.kubectl(['create', 'job', 'manual-run', '--from=cronjob/manual', '-n', ns], { version: '1.33' });
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('job.batch/manual-run created');
    const done = await finished('manual-run', 'Complete');
    expect(done.metadata.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
  });

  it('Indexed: one pod per index with its annotation, label, env and hostname; completedIndexes "0-3"', async () => {
    await jobs.create(job('idx', { completions: 4, parallelism: 2, completionMode: 'Indexed' }, 'Succeeded'));
    const done = await finished('idx', 'Complete');
    expect(done.status).toMatchObject({ succeeded: 4, completedIndexes: '0-3' });
    const mine = pods.list(ns).filter((p) => p.metadata.labels?.['job-name'] === 'idx');
    expect(mine.map((p) => p.metadata.annotations?.[COMPLETION_INDEX]).sort()).toEqual(['0', '1', '2', '3']);
    for (const p of mine) {
      const i = p.metadata.annotations?.[COMPLETION_INDEX] ?? '';
      expect(p.metadata.name).toMatch(new RegExp(`^idx-${i}-[a-z0-9]{5}$`));
      expect(p.metadata.labels?.[COMPLETION_INDEX]).toBe(i);
      expect(p.spec.hostname).toBe(`idx-${i}`);
      expect(p.spec.containers[0]?.env).toContainEqual({ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } } });
    }
  });

  it('runs in `skiff controller-manager --concurrent-job-syncs 2`: an Indexed Job there completes', async () => {
    // The in-process controller steps aside: one Job controller per cluster.
    await controller.stop();
    const kubeconfig = path.join(cluster.dir, 'controller-manager.kubeconfig');
    await writeKubeconfig(kubeconfig, buildKubeconfig({ server: cluster.api.url, token: cluster.api.controllerManagerToken, name: 'controller-manager' }));
    const proc = startSkiff(['controller-manager', `--kubeconfig=${kubeconfig}`, '--concurrent-job-syncs=2']);
    try {
      await jobs.create(job('in-process', { completions: 3, parallelism: 3, completionMode: 'Indexed' }, 'Succeeded'));
      const done = await finished('in-process', 'Complete');
      expect(done.status).toMatchObject({ succeeded: 3, completedIndexes: '0-2' });
      expect(seen.get('in-process')?.size).toBe(3);
    } finally {
      await proc.stop(5000);
    }
  });
});
