// Jobs and CronJobs with the real kubectl 1.33 against a real skiff API server on a real etcd
// (no controller runs: these are the API's answers): create job and create cronjob
// (protobuf bodies), create job --from=cronjob, the columns of get, apply of manifests, and
// bad schedules, time zones and restart policies refused with the field path.
import { describe, expect, it } from 'vitest';
import { kubectl133Suite } from './kubectl-133.js';
import { haveKubectl, KUBECTL } from './kubectl-harness.js';

if (!haveKubectl) console.warn(`kubectl not found at ${KUBECTL}: skipping the kubectl Job and CronJob suite (test/compat/kubectl-batch.test.ts)`);


const jobManifest = (name: string, restartPolicy = 'Never') => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
  completions: 5
  parallelism: 2
  template:
    spec:
      restartPolicy: ${restartPolicy}
      containers:
      - name: work
        image: busybox
        command: ["true"]
`;

const cronJobManifest = (name: string, schedule: string, timeZone?: string) => `apiVersion: batch/v1
kind: CronJob
metadata:
  name: ${name}
spec:
  schedule: "${schedule}"
  ${timeZone ? `timeZone: ${timeZone}` : ''}
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: tick
            image: busybox
`;

describe.skipIf(!haveKubectl)('kubectl 1.33 and Jobs and CronJobs', () => {
  const { run, ok, jsonpath } = kubectl133Suite();

  it('create job: a generated selector, the defaults, and NAME STATUS COMPLETIONS DURATION AGE', async () => {
    expect(await ok('create', 'job', 'once', '--image=busybox', '--', 'echo', 'hi')).toBe('job.batch/once created\n');
    const uid = await jsonpath('job/once', '{.metadata.uid}');
    expect(await jsonpath('job/once', '{.spec.selector.matchLabels}')).toBe(`{"batch.kubernetes.io/controller-uid":"${uid}"}`);
    expect(await jsonpath('job/once', "{.spec.template.metadata.labels['job-name']} {.metadata.labels.job-name}")).toBe('once once');
    expect(await jsonpath('job/once', '{.spec.backoffLimit} {.spec.completions} {.spec.parallelism} {.spec.completionMode} {.spec.suspend}')).toBe('6 1 1 NonIndexed false');
    const table = (await ok('get', 'jobs')).split('\n');
    expect(table[0]).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\s*$/);
    expect(table[1]).toMatch(/^once\s+Running\s+0\/1\s+\d+s\s*$/);
  });

  it('create cronjob, get cj (NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE), create job --from=cronjob', async () => {
    expect(await ok('create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/1 * * * *', '--', 'date')).toBe('cronjob.batch/tick created\n');
    const table = (await ok('get', 'cj')).split('\n');
    expect(table[0]).toMatch(/^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\s*$/);
    expect(table[1]).toMatch(/^tick\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\d+s\s*$/);
    expect(await jsonpath('cj/tick', '{.spec.concurrencyPolicy} {.spec.successfulJobsHistoryLimit} {.spec.failedJobsHistoryLimit}')).toBe('Allow 3 1');
    expect(await ok('create', 'job', 'tick-manual', '--from=cronjob/tick')).toBe('job.batch/tick-manual created\n');
    expect(await jsonpath('job/tick-manual', '{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}')).toBe('CronJob/tick');
  });

  it('apply -f of a Job and of a CronJob with a time zone', async () => {
    const job = await run(['apply', '-f', '-'], jobManifest('batch5'));
    expect(job.stdout, job.stderr).toBe('job.batch/batch5 created\n');
    expect((await ok('get', 'job', 'batch5')).split('\n')[1]).toMatch(/^batch5\s+Running\s+0\/5\s/);
    const cj = await run(['apply', '-f', '-'], cronJobManifest('nightly', '0 3 * * *', 'Europe/Paris'));
    expect(cj.stdout, cj.stderr).toBe('cronjob.batch/nightly created\n');
    expect((await ok('get', 'cronjob', 'nightly')).split('\n')[1]).toMatch(/^nightly\s+0 3 \* \* \*\s+Europe\/Paris\s+False\s+0\s+<none>\s/);
  });

  it.each([
    ['a schedule that is no cron schedule', cronJobManifest('bad-schedule', 'every minute'), 'spec.schedule: Invalid value: "every minute"'],
    ['a minute out of range', cronJobManifest('bad-minute', '61 * * * *'), 'spec.schedule: Invalid value: "61 * * * *"'],
    ['an unknown time zone', cronJobManifest('bad-zone', '* * * * *', 'Mars/Olympus'), 'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'],
    ['a Job that restarts Always', jobManifest('bad-restart', 'Always'), 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
  ])('apply of %s is refused with the field path', async (_what, body, message) => {
    const r = await run(['apply', '-f', '-'], body);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
  });
});
