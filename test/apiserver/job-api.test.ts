// The batch/v1 Job and CronJob API on a real server and etcd: the selector generated from
// the uid (and a manual one), what a Job update may not change (a suspended job's
// scheduling directives excepted), Indexed jobs' rules, and a CronJob's schedule, time zone,
// job template and name length, each refused with Kubernetes' field path.
import { describe, expect, it } from 'vitest';
import { namespacedApi } from './namespaced-api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies and replies are read freely here
type Json = any;

const cluster = namespacedApi('job');
const ns = cluster.ns;
const jobs = `/apis/batch/v1/namespaces/${ns}/jobs`;
const cronjobs = `/apis/batch/v1/namespaces/${ns}/cronjobs`;
let serial = 0;

const podTemplate = (restartPolicy = 'Never'): Json => ({ spec: { restartPolicy, containers: [{ name: 'w', image: 'busybox' }] } });
function job(patch: (spec: Json) => void = () => {}, name = `j-${++serial}`): Json {
  const spec: Json = { template: podTemplate() };
  patch(spec);
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec };
}
function cronJob(patch: (spec: Json) => void = () => {}, name = `cj-${++serial}`): Json {
  const spec: Json = { schedule: '*/5 * * * *', jobTemplate: { spec: { template: podTemplate('OnFailure') } } };
  patch(spec);
  return { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name }, spec };
}
async function refused(path: string, body: Json, field: string, message: string): Promise<void> {
  const r = await cluster.admin.post<Json>(path, body);
  expect(r.status, r.text).toBe(422);
  expect(r.body.details.causes).toContainEqual(expect.objectContaining({ field, message: expect.stringContaining(message) }));
}

describe('Job and CronJob API', () => {
  it('generates the selector and labels from the uid, and takes a manual selector that matches', async () => {
    const made = (await cluster.admin.post<Json>(jobs, job(() => {}, 'gen'))).body;
    const uid = made.metadata.uid;
    expect(made.spec.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
    expect(made.spec.template.metadata.labels).toEqual({ 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'gen', 'controller-uid': uid, 'job-name': 'gen' });
    expect(made.metadata.labels).toEqual(made.spec.template.metadata.labels);
    expect(made.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, manualSelector: false });
    expect(made.status).toEqual({});
    const manual = await cluster.admin.post<Json>(jobs, job((s) => Object.assign(s, { manualSelector: true, selector: { matchLabels: { app: 'q' } }, template: { ...podTemplate(), metadata: { labels: { app: 'q' } } } })));
    expect(manual.status, manual.text).toBe(201);
    expect(manual.body.spec.selector).toEqual({ matchLabels: { app: 'q' } });
    await refused(jobs, job((s) => Object.assign(s, { manualSelector: true, selector: { matchLabels: { app: 'q' } } })), 'spec.template.metadata.labels', '`selector` does not match template `labels`');
    await refused(jobs, job((s) => (s.template.metadata = { labels: { 'job-name': 'someone-else' } }), 'mine'), 'spec.template.metadata.labels[job-name]', "must be 'mine'");
  });

  it.each([
    ['restartPolicy unset (defaulted to Always)', (s: Json) => delete s.template.spec.restartPolicy, 'spec.template.spec.restartPolicy', 'Required value: valid values: "OnFailure", "Never"'],
    ['negative parallelism', (s: Json) => (s.parallelism = -1), 'spec.parallelism', 'must be greater than or equal to 0'],
    ['negative backoffLimit', (s: Json) => (s.backoffLimit = -2), 'spec.backoffLimit', 'must be greater than or equal to 0'],
    ['an Indexed job without completions', (s: Json) => Object.assign(s, { completionMode: 'Indexed', parallelism: 2 }), 'spec.completions', 'Required value: when completion mode is Indexed'],
    ['backoffLimitPerIndex on a NonIndexed job', (s: Json) => (s.backoffLimitPerIndex = 1), 'spec.backoffLimitPerIndex', 'requires indexed completion mode'],
  ])('refuses a Job with %s', async (_what, mutate, field, message) => {
    await refused(jobs, job(mutate), field, message);
  });

  it('keeps selector, completions and template of a started job; a suspended job that never ran may move its pods', async () => {
    const path = `${jobs}/gen`;
    const moved = await cluster.admin.patch<Json>(path, { spec: { template: { spec: { containers: [{ name: 'w', image: 'busybox:2' }] } } } }, 'application/strategic-merge-patch+json');
    expect(moved.status).toBe(422);
    expect(moved.body.details.causes).toContainEqual(expect.objectContaining({ field: 'spec.template', message: expect.stringContaining('field is immutable') }));
    const more = await cluster.admin.patch<Json>(path, { spec: { completions: 3 } });
    expect(more.body.details.causes).toContainEqual(expect.objectContaining({ field: 'spec.completions', message: expect.stringContaining('field is immutable') }));
    expect((await cluster.admin.patch<Json>(path, { spec: { parallelism: 4, activeDeadlineSeconds: 60 } })).status).toBe(200);
    await cluster.admin.post(jobs, job((s) => (s.suspend = true), 'parked'));
    const placed = await cluster.admin.patch<Json>(`${jobs}/parked`, { spec: { template: { spec: { nodeSelector: { zone: 'a' } } } } }, 'application/strategic-merge-patch+json');
    expect(placed.status, placed.text).toBe(200);
    expect(placed.body.spec.template.spec.nodeSelector).toEqual({ zone: 'a' });
  });

  it('stores a podFailurePolicy and refuses a bad one with its field path', async () => {
    const policy = { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'w', operator: 'In', values: [1, 42] } }, { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] };
    const ok = await cluster.admin.post<Json>(jobs, job((s) => (s.podFailurePolicy = policy)));
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.spec.podFailurePolicy).toEqual(policy);
    const rule = (r: Json) => job((s) => (s.podFailurePolicy = { rules: [r] }));
    await refused(jobs, job((s) => ((s.podFailurePolicy = policy), (s.template = podTemplate('OnFailure')))), 'spec.template.spec.restartPolicy', 'only "Never" is supported when podFailurePolicy is specified');
    await refused(jobs, rule({ action: 'Count' }), 'spec.podFailurePolicy.rules[0]', 'specifying one of OnExitCodes and OnPodConditions is required');
    await refused(jobs, rule({ action: 'Count', onExitCodes: { operator: 'In', values: [0] } }), 'spec.podFailurePolicy.rules[0].onExitCodes.values[0]', 'must not be 0 for the In operator');
    await refused(jobs, rule({ action: 'Count', onExitCodes: { operator: 'NotIn', values: [3, 2] } }), 'spec.podFailurePolicy.rules[0].onExitCodes.values[1]', 'must be ordered');
    await refused(jobs, rule({ action: 'FailIndex', onPodConditions: [{ type: 'DisruptionTarget' }] }), 'spec.podFailurePolicy.rules[0].action', 'requires the backoffLimitPerIndex to be set');
    await refused(jobs, rule({ action: 'Count', onExitCodes: { containerName: 'nope', operator: 'NotIn', values: [1] } }), 'spec.podFailurePolicy.rules[0].onExitCodes.containerName', 'must be one of the container');
  });

  it("stores a CronJob with Kubernetes' defaults and refuses bad schedules, zones, templates and long names", async () => {
    const made = await cluster.admin.post<Json>(cronjobs, cronJob((s) => (s.timeZone = 'Asia/Tokyo')));
    expect(made.status, made.text).toBe(201);
    expect(made.body.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(made.body.spec.jobTemplate.spec.template.spec.dnsPolicy).toBe('ClusterFirst');
    expect(made.body.spec.jobTemplate.spec.backoffLimit).toBeUndefined();
    await refused(cronjobs, cronJob((s) => (s.schedule = '* * *')), 'spec.schedule', 'expected exactly 5 fields, found 3');
    await refused(cronjobs, cronJob((s) => (s.schedule = 'TZ=UTC 0 * * * *')), 'spec.schedule', 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
    await refused(cronjobs, cronJob((s) => (s.schedule = '@fortnightly')), 'spec.schedule', 'unrecognized descriptor: @fortnightly');
    await refused(cronjobs, cronJob((s) => (s.timeZone = 'Local')), 'spec.timeZone', 'timeZone must be an explicit time zone');
    await refused(cronjobs, cronJob((s) => (s.jobTemplate.spec.selector = { matchLabels: { a: 'b' } })), 'spec.jobTemplate.spec.selector', '`selector` will be auto-generated');
    await refused(cronjobs, cronJob((s) => (s.jobTemplate.spec.template.spec.restartPolicy = 'Always')), 'spec.jobTemplate.spec.template.spec.restartPolicy', 'Required value');
    await refused(cronjobs, cronJob(() => {}, 'c'.repeat(53)), 'metadata.name', 'must be no more than 52 characters');
    expect((await cluster.admin.post<Json>(cronjobs, cronJob((s) => (s.schedule = '@hourly')))).status).toBe(201);
  });
});
