// Issue 21's must-show on one 3-node lab with real containers and the real kubectl 1.33: a
// Deployment of 6 spread over the nodes; `set image` within its 25 %/25 % bounds while a watcher
// follows every pod; `rollout history` and `undo`; `scale` 6 → 20 → 2 with exactly the creates
// and deletes it needs; `delete deployment` leaves nothing; a namespace deleted whole while
// `get ns` shows Terminating; the controller-manager killed -9 mid-rollout finishes it after its
// restart without extra pods; `drain` within a PodDisruptionBudget, refused (429) while it is
// spent; a stopped node's replicas come back on the other nodes after the lab's shortened
// eviction timeout. Meanwhile, run side by side: a Job of 5 completions 2 at a time completes and
// one past `backoffLimit: 1` fails; a rollout to a missing image stalls at maxUnavailable, times
// out (ProgressDeadlineExceeded) and `rollout undo` recovers; `delete --cascade=orphan` keeps the
// pods and a new Deployment of the same selector adopts them; and a `*/1 * * * *` CronJob made at
// the start has ticked on the controller-manager's real clock by the end, its Job complete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import type { CronJob, Job } from '../../api/types/batch.js';
import type { Pod } from '../../api/types/core.js';
import type { PodDisruptionBudget } from '../../api/types/policy.js';
import { isApiError } from '../../api/errors.js';
import type { RestClient } from '../../client/rest.js';
import { isAlive } from '../../cluster/state.js';
import { isPodActive, isPodReady } from '../../controllers/active-pods.js';
import { controllerRefOf } from '../../controllers/controller-ref.js';
import { SCHEDULED_TIMESTAMP } from '../../controllers/cronjob/plan.js';
import { buildBusyboxImage, openStore, pushImage } from '../fixtures/images.js';
import { kubectlBinary } from '../fixtures/kubectl-stream-checks.js';
import { RolloutWatcher } from '../fixtures/rollout-watcher.js';
import { statePaths } from '../../cluster/state.js';
import { readDockerAuths } from '../../runtime/images/docker-config.js';
import { eventuallyInLab, skiff, startLab, type Lab } from './lab-fixture.js';

const exec = promisify(execFile);
const NODES = 3;
/** The eviction timeout: Unknown after the grace period (20 s: twice the kubelets' 10 s lease renewal, or a busy machine flaps), evicted after the toleration seconds. */
const LAB_FLAGS = ['--nodes', String(NODES), '--node-capacity', 'cpu=4,memory=8Gi', '--node-monitor-grace-period', '20s', '--default-not-ready-toleration-seconds', '5', '--default-unreachable-toleration-seconds', '5'];

describe('workloads on a 3-node lab with kubectl 1.33', () => {
  const name = `lw${process.pid % 100000}`;
  let L: Lab;
  let client: RestClient;
  let kubeconfig = '';
  /** Two images of the same sleeper (busybox whose sh leaves on SIGTERM), different digests. */
  let v1 = '';
  let v2 = '';
  const watchers: RolloutWatcher[] = [];

  /** kubectl 1.33's stdout and stderr; rejects (with both on the error) when it exits non-zero. */
  const kubectlOut = async (args: string[], input?: string): Promise<{ stdout: string; stderr: string }> => {
    const child = exec(kubectlBinary('1.33'), ['--kubeconfig', kubeconfig, ...args], { timeout: 240_000 });
    if (input !== undefined) child.child.stdin?.end(input);
    return child;
  };
  const kubectl = async (args: string[], input?: string): Promise<string> => (await kubectlOut(args, input)).stdout;
  /** The stderr of a kubectl run that must fail. */
  const kubectlFails = async (args: string[]): Promise<string> => {
    try {
      await kubectlOut(args);
    } catch (e) {
      return (e as { stderr?: string }).stderr ?? String(e);
    }
    throw new Error(`kubectl ${args.join(' ')} succeeded`);
  };

  const deployment = (ns: string, app: string, replicas: number, image: string, minReadySeconds = 0): Deployment => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app, namespace: ns },
    spec: {
      replicas,
      minReadySeconds,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        // Requests make the scheduler spread them; a 1 s grace keeps terminations short.
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image, resources: { requests: { cpu: '50m', memory: '16Mi' } } }] },
      },
    },
  });
  const apply = (obj: object) => kubectl(['apply', '-f', '-'], JSON.stringify(obj));

  const watch = async (ns: string): Promise<RolloutWatcher> => {
    const w = new RolloutWatcher(client, ns);
    watchers.push(w);
    await Promise.all([w.rs.start(), w.pods.start()]);
    return w;
  };
  const podsOf = async (ns: string, app: string): Promise<Pod[]> => (await client.pods.list({ namespace: ns, labelSelector: `app=${app}` })).items;
  /** All `n` pods of `app` active, Ready and of `image`, and no other pod of it left. */
  const settled = (ns: string, app: string, n: number, image?: string) =>
    eventuallyInLab(`${n} ready pods of ${ns}/${app}`, async () => {
      const pods = await podsOf(ns, app);
      const ok = pods.length === n && pods.every((p) => isPodActive(p) && isPodReady(p) && (!image || p.spec.containers[0]?.image === image));
      return ok ? pods : undefined;
    }, 180_000);
  const nodeIndex = (node: string) => Number(node.slice(name.length + 1));
  const componentPid = (component: string) =>
    (JSON.parse(readFileSync(path.join(L.dir, 'status.json'), 'utf8')) as { components: { name: string; pid?: number; running?: boolean }[] }).components.find((c) => c.name === component && c.running)?.pid;

  beforeAll(async () => {
    L = await startLab(name, LAB_FLAGS);
    client = L.client;
    kubeconfig = path.join(L.dir, 'kubeconfig');
    const host = `127.0.0.1:${L.state.ports.registry}`;
    const auth = (await readDockerAuths([statePaths(L.dir).dockerConfig]))[host];
    const storeDir = await mkdtemp(path.join(os.tmpdir(), 'skiff-lab-sleeper-'));
    try {
      const store = await openStore(storeDir);
      for (const tag of ['v1', 'v2']) {
        const img = await buildBusyboxImage(store, { config: { Cmd: ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'], Env: ['PATH=/bin', `SLEEPER=${tag}`] } });
        await pushImage(host, `skiff/sleeper:${tag}`, store, img, auth);
      }
    } finally {
      await rm(storeDir, { recursive: true, force: true });
    }
    [v1, v2] = ['v1', 'v2'].map((t) => `${host}/skiff/sleeper:${t}`);
    // Made first, checked last: by then the controller-manager's own clock has passed a minute.
    await kubectl(['create', 'namespace', 'cron']);
    await kubectl(['-n', 'cron', 'create', 'cronjob', 'tick', `--image=${L.image}`, '--schedule=*/1 * * * *', '--', 'sh', '-c', 'true']);
  }, 300_000);

  afterAll(async () => {
    for (const w of watchers) await Promise.all([w.rs.stop(), w.pods.stop()]);
    await L?.down();
  }, 300_000);

  it('rolls out within 25 %/25 %, keeps 2 revisions, undoes, scales 6 → 20 → 2 exactly, and deletes without leftovers', async () => {
    const ns = 'web';
    await kubectl(['create', 'namespace', ns]);
    const w = await watch(ns);
    await apply(deployment(ns, 'web', 6, v1));
    const first = await settled(ns, 'web', 6, v1);
    // Spread: every node runs some of the 6.
    expect(new Set(first.map((p) => p.spec.nodeName)).size).toBe(NODES);
    const d = await client.resourceByName<Deployment>('deployments', 'apps').get('web', { namespace: ns });
    expect(d.spec?.strategy?.rollingUpdate).toEqual({ maxSurge: '25%', maxUnavailable: '25%' });

    w.follow('web');
    await kubectl(['-n', ns, 'set', 'image', 'deployment/web', `c=${v2}`]);
    await kubectl(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=180s']);
    await settled(ns, 'web', 6, v2);
    // 6 + maxSurge 2 (25 % rounded up), 6 - maxUnavailable 1 (25 % rounded down).
    expect(w.maxPods).toBe(8);
    expect(w.minAvailable).toBeGreaterThanOrEqual(5);

    const history = await kubectl(['-n', ns, 'rollout', 'history', 'deployment/web']);
    expect(history.trim().split('\n').slice(2).map((l) => l.trim().split(/\s+/)[0])).toEqual(['1', '2']);
    await kubectl(['-n', ns, 'rollout', 'undo', 'deployment/web']);
    await kubectl(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=180s']);
    await settled(ns, 'web', 6, v1);
    expect((await client.resourceByName<Deployment>('deployments', 'apps').get('web', { namespace: ns })).spec?.template.spec?.containers[0]?.image).toBe(v1);

    // 20 sleepers on 3 lab nodes fit (each is a sh and a sleep under its conmon).
    w.follow('web');
    await kubectl(['-n', ns, 'scale', 'deployment/web', '--replicas=20']);
    await settled(ns, 'web', 20, v1);
    await kubectl(['-n', ns, 'scale', 'deployment/web', '--replicas=2']);
    await settled(ns, 'web', 2, v1);
    expect(w.created.size).toBe(14);
    expect(w.went.size).toBe(18);

    await kubectl(['-n', ns, 'delete', 'deployment', 'web', '--wait=true']);
    await eventuallyInLab('no ReplicaSet or pod of web left', async () => {
      const rs = await client.resourceByName('replicasets', 'apps').list({ namespace: ns });
      return rs.items.length === 0 && (await client.pods.list({ namespace: ns })).items.length === 0;
    });
  }, 600_000);

  // The next three run side by side, each in its own namespace.
  it.concurrent('runs a Job of 5 completions 2 at a time to Complete, and fails one whose pods fail past backoffLimit 1', async ({ expect }) => {
    const ns = 'batch';
    await kubectl(['create', 'namespace', ns]);
    const w = await watch(ns);
    let mostActive = 0;
    const look = () => void (mostActive = Math.max(mostActive, w.pods.list(ns).filter((p) => p.metadata.labels?.['job-name'] === 'five' && isPodActive(p)).length));
    for (const e of ['add', 'update', 'delete'] as const) w.pods.on(e, look);
    const job = (jobName: string, completions: number, parallelism: number, backoffLimit: number, script: string): Job => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: jobName, namespace: ns },
      spec: { completions, parallelism, backoffLimit, template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: L.image, command: ['sh', '-c', script] }] } } },
    });
    await apply(job('five', 5, 2, 6, 'sleep 2'));
    await apply(job('fails', 1, 1, 1, 'exit 3'));
    await Promise.all([
      kubectl(['-n', ns, 'wait', '--for=condition=complete', 'job/five', '--timeout=180s']),
      kubectl(['-n', ns, 'wait', '--for=condition=failed', 'job/fails', '--timeout=180s']),
    ]);
    const jobs = client.resourceByName<Job>('jobs', 'batch');
    const five = await jobs.get('five', { namespace: ns });
    expect(five.status).toMatchObject({ succeeded: 5 });
    expect(five.status?.failed ?? 0).toBe(0);
    // Two at a time: never more, and the second slot used.
    expect(mostActive).toBe(2);
    const fivePods = w.pods.list(ns).filter((p) => p.metadata.labels?.['job-name'] === 'five');
    expect(fivePods.map((p) => p.status?.phase)).toEqual(Array(5).fill('Succeeded'));
    expect(await kubectl(['-n', ns, 'get', 'job', 'five', '--no-headers'])).toMatch(/^five\s+Complete\s+5\/5\s/);

    // backoffLimit 1: the first failure is retried (after the pod-failure backoff), the second fails the Job.
    const fails = await jobs.get('fails', { namespace: ns });
    expect(fails.status?.failed).toBe(2);
    expect(fails.status?.conditions?.find((c) => c.type === 'Failed')).toMatchObject({ status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    const failedPods = (await client.pods.list({ namespace: ns, labelSelector: 'job-name=fails' })).items;
    expect(failedPods.map((p) => [p.status?.phase, p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode])).toEqual([['Failed', 3], ['Failed', 3]]);
    // The retry waited out the pod-failure backoff: made 10 s after the first failure at the
    // earliest (creationTimestamp is to the second; the kubelet's finishedAt has milliseconds).
    const [first, second] = [...failedPods].sort((a, b) => Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? ''));
    const firstFailed = Date.parse(first?.status?.containerStatuses?.[0]?.state?.terminated?.finishedAt ?? '');
    expect(Date.parse(second?.metadata.creationTimestamp ?? '')).toBeGreaterThanOrEqual(Math.floor((firstFailed + 10_000) / 1000) * 1000);
    expect(await kubectl(['-n', ns, 'get', 'job', 'fails', '--no-headers'])).toMatch(/^fails\s+Failed\s+0\/1\s/);
  }, 300_000);

  it.concurrent('stalls a rollout to a missing image at maxUnavailable, reports ProgressDeadlineExceeded, and `rollout undo` recovers', async ({ expect }) => {
    const ns = 'rollback';
    await kubectl(['create', 'namespace', ns]);
    const w = await watch(ns);
    await apply(deployment(ns, 'web', 6, v1));
    await settled(ns, 'web', 6, v1);
    // A short deadline, set after the first rollout so a slow machine cannot time that one out.
    await kubectl(['-n', ns, 'patch', 'deployment/web', '-p', '{"spec":{"progressDeadlineSeconds":10}}']);
    w.follow('web');
    const missing = `127.0.0.1:${L.state.ports.registry}/skiff/missing:nope`;
    await kubectl(['-n', ns, 'set', 'image', 'deployment/web', `c=${missing}`]);
    expect(await kubectlFails(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=180s'])).toContain('error: deployment "web" exceeded its progress deadline');
    const d = await client.resourceByName<Deployment>('deployments', 'apps').get('web', { namespace: ns });
    const stalled = w.replicaSetsOf('web').find((rs) => rs.spec.template?.spec?.containers[0]?.image === missing);
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${stalled?.metadata.name ?? ''}" has timed out progressing.` });
    // Stalled at maxUnavailable: the old ReplicaSet down to 6 − 1 = 5, the new one up to 8 − 5 = 3, none of it ever Ready.
    expect(w.replicaSetsOf('web').map((rs) => [rs.spec.template?.spec?.containers[0]?.image, rs.spec.replicas]).sort()).toEqual([[v1, 5], [missing, 3]].sort());
    expect(d.status).toMatchObject({ replicas: 8, updatedReplicas: 3, availableReplicas: 5, unavailableReplicas: 3 });
    expect(w.podsOf('web').filter((p) => p.spec.containers[0]?.image === missing)).toHaveLength(3);
    // Each of the 3 told why by its kubelet (a slow one may not have tried the pull yet at the deadline).
    await eventuallyInLab('the new pods failing to pull', async () =>
      w.podsOf('web').filter((p) => p.spec.containers[0]?.image === missing && /^(ErrImagePull|ImagePullBackOff)$/.test(p.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? '')).length === 3,
    );
    expect(w.maxPods).toBeLessThanOrEqual(8);
    expect(w.minAvailable).toBeGreaterThanOrEqual(5);

    await kubectl(['-n', ns, 'rollout', 'undo', 'deployment/web']);
    await kubectl(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=180s']);
    await settled(ns, 'web', 6, v1);
    const back = await client.resourceByName<Deployment>('deployments', 'apps').get('web', { namespace: ns });
    expect(back.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    expect(w.minAvailable).toBeGreaterThanOrEqual(5);
  }, 300_000);

  it.concurrent('keeps the pods on `delete --cascade=orphan`, and a new Deployment of the same selector adopts them without a new pod', async ({ expect }) => {
    const ns = 'orphan';
    await kubectl(['create', 'namespace', ns]);
    const w = await watch(ns);
    const rsClient = client.resourceByName<ReplicaSet>('replicasets', 'apps');
    await apply(deployment(ns, 'keep', 3, v1));
    const pods = await settled(ns, 'keep', 3, v1);
    const [rs, ...more] = (await rsClient.list({ namespace: ns })).items;
    expect(more).toEqual([]);
    const uids = pods.map((p) => p.metadata.uid).sort();
    await kubectl(['-n', ns, 'delete', 'deployment', 'keep', '--cascade=orphan']);
    // The garbage collector took the Deployment out of the ReplicaSet's owners; the ReplicaSet still controls its pods.
    await eventuallyInLab('the ReplicaSet orphaned', async () => ((await rsClient.get(rs?.metadata.name ?? '', { namespace: ns })).metadata.ownerReferences ?? []).length === 0);
    const kept = await podsOf(ns, 'keep');
    expect(kept.map((p) => p.metadata.uid).sort()).toEqual(uids);
    for (const p of kept) expect(controllerRefOf(p)?.uid).toBe(rs?.metadata.uid);

    w.follow('keep');
    await apply(deployment(ns, 'keep', 3, v1));
    await kubectl(['-n', ns, 'rollout', 'status', 'deployment/keep', '--timeout=180s']);
    const d = await client.resourceByName<Deployment>('deployments', 'apps').get('keep', { namespace: ns });
    // Same template, same pod-template-hash: the orphan is the new Deployment's new ReplicaSet.
    const adopted = await eventuallyInLab('the ReplicaSet adopted', async () => {
      const now = await rsClient.get(rs?.metadata.name ?? '', { namespace: ns });
      return controllerRefOf(now)?.uid === d.metadata.uid ? now : undefined;
    });
    expect(adopted.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'keep', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect((await rsClient.list({ namespace: ns })).items.map((x) => x.metadata.name)).toEqual([rs?.metadata.name]);
    const after = await settled(ns, 'keep', 3, v1);
    expect(after.map((p) => p.metadata.uid).sort()).toEqual(uids);
    for (const p of after) expect(p.metadata.labels?.['pod-template-hash']).toBe(adopted.metadata.labels?.['pod-template-hash']);
    expect(w.created.size).toBe(0);
    expect(w.went.size).toBe(0);
  }, 300_000);

  it('deletes a namespace with a Deployment and ConfigMaps completely, Terminating meanwhile', async () => {
    const ns = 'doomed';
    await kubectl(['create', 'namespace', ns]);
    await apply(deployment(ns, 'app', 3, v1));
    for (const cm of ['one', 'two', 'three']) await kubectl(['-n', ns, 'create', 'configmap', cm, `--from-literal=k=${cm}`]);
    await settled(ns, 'app', 3, v1);
    await kubectl(['delete', 'namespace', ns, '--wait=false']);
    const line = await kubectl(['get', 'ns', ns, '--no-headers']);
    expect(line).toMatch(new RegExp(`^${ns}\\s+Terminating`));
    await eventuallyInLab(`namespace ${ns} gone`, async () => {
      try {
        await client.namespaces.get(ns);
        return false;
      } catch (e) {
        if (isApiError(e, 'NotFound')) return true;
        throw e;
      }
    }, 180_000);
    expect((await client.pods.list({ namespace: ns })).items).toEqual([]);
    expect((await client.resourceByName('configmaps', '').list({ namespace: ns })).items).toEqual([]);
  }, 300_000);

  it('finishes a rollout after its controller-manager is killed -9 in the middle, without extra pods', async () => {
    const ns = 'restart';
    await kubectl(['create', 'namespace', ns]);
    const w = await watch(ns);
    // minReadySeconds 2: each step of the rollout waits, so the kill lands in its middle.
    await apply(deployment(ns, 'web', 6, v1, 2));
    await settled(ns, 'web', 6, v1);
    w.follow('web');
    await kubectl(['-n', ns, 'set', 'image', 'deployment/web', `c=${v2}`]);
    // Mid-rollout: some new pods made, old ones still there.
    await eventuallyInLab('the rollout under way', async () => w.podsOf('web').some((p) => p.spec.containers[0]?.image === v2) && w.podsOf('web').some((p) => p.spec.containers[0]?.image === v1), 60_000);
    const pid = componentPid('controller-manager');
    expect(pid && isAlive(pid)).toBe(true);
    process.kill(pid as number, 'SIGKILL');
    // Killed mid-rollout: the old template still has active pods and the Deployment is not complete.
    const atKill = await podsOf(ns, 'web');
    expect(atKill.filter((p) => isPodActive(p) && p.spec.containers[0]?.image === v1).length).toBeGreaterThan(0);
    await eventuallyInLab('the supervisor to restart the controller-manager', async () => {
      const again = componentPid('controller-manager');
      return again !== undefined && again !== pid;
    }, 60_000);
    await kubectl(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=180s']);
    await settled(ns, 'web', 6, v2);
    // Each new pod made once, each old one removed once: nothing over the bounds, nothing extra.
    expect(w.maxPods).toBeLessThanOrEqual(8);
    expect(w.minAvailable).toBeGreaterThanOrEqual(5);
    expect(w.created.size).toBe(6);
    expect(w.went.size).toBe(6);
  }, 300_000);

  it('drains a node within a PodDisruptionBudget (minAvailable), then moves a stopped node\'s replicas after the eviction timeout', async () => {
    const ns = 'restart'; // the Deployment of 6 the test above rolled out
    expect(await kubectl(['-n', ns, 'create', 'pdb', 'web', '--selector=app=web', '--min-available=5'])).toContain('poddisruptionbudget.policy/web created');
    const pods = await settled(ns, 'web', 6, v2);
    // The node with the most of the 6 runs at least 2: kubectl evicts them at once, the budget allows one.
    const count = (node: string) => pods.filter((p) => p.spec.nodeName === node).length;
    const drained = pods.map((p) => p.spec.nodeName ?? '').sort((a, b) => count(b) - count(a))[0] ?? '';
    expect(count(drained)).toBeGreaterThanOrEqual(2);
    // The budget counted by the disruption controller (else the 429 would be "still being processed").
    await eventuallyInLab('the budget to allow 1 disruption', async () => {
      const pdb = await client.resourceByName<PodDisruptionBudget>('poddisruptionbudgets', 'policy').get('web', { namespace: ns });
      return pdb.status?.observedGeneration === pdb.metadata.generation && pdb.status?.disruptionsAllowed === 1 && pdb.status.currentHealthy === 6;
    });
    const { stdout, stderr } = await kubectlOut(['drain', drained, '--ignore-daemonsets', '--timeout=180s']);
    expect(stdout).toContain(`node/${drained} drained`);
    // kubectl's report of a 429 from pods/eviction, retried until the replacement made the budget whole.
    expect(stderr).toMatch(new RegExp(`error when evicting pods/"web-[^"]+" -n "${ns}" \\(will retry after 5s\\): Cannot evict pod as it would violate the pod's disruption budget\\.`));
    const after = await settled(ns, 'web', 6, v2);
    expect(after.filter((p) => p.spec.nodeName === drained)).toEqual([]);
    await kubectl(['uncordon', drained]);

    // Stop a node that runs some of the 6: after Unknown (20 s) and the toleration (5 s) they run elsewhere.
    const victim = after[0]?.spec.nodeName ?? '';
    const stranded = after.filter((p) => p.spec.nodeName === victim).map((p) => p.metadata.name);
    await skiff(['lab', 'stop-node', name, String(nodeIndex(victim)), '--state-dir', L.base]);
    const moved = await eventuallyInLab('6 ready replicas off the stopped node', async () => {
      const now = (await podsOf(ns, 'web')).filter((p) => isPodActive(p));
      return now.length === 6 && now.every((p) => isPodReady(p) && p.spec.nodeName !== victim) ? now : undefined;
    }, 180_000);
    expect(moved.map((p) => p.metadata.name)).not.toEqual(expect.arrayContaining(stranded.slice(0, 1)));
    // The stranded pods were evicted (their deletion waits for a kubelet that is gone, as in Kubernetes).
    for (const p of await podsOf(ns, 'web')) if (stranded.includes(p.metadata.name)) expect(p.metadata.deletionTimestamp).toBeTruthy();
  }, 600_000);

  it('has run a `*/1 * * * *` CronJob on the controller-manager\'s real clock: one tick made a Job that completed', async () => {
    const ns = 'cron';
    const cronJob = await client.resourceByName<CronJob>('cronjobs', 'batch').get('tick', { namespace: ns });
    const made = Date.parse(cronJob.metadata.creationTimestamp ?? '');
    const job = await eventuallyInLab('a complete Job of the CronJob', async () => {
      const jobs = (await client.resourceByName<Job>('jobs', 'batch').list({ namespace: ns })).items;
      return jobs.find((j) => controllerRefOf(j)?.uid === cronJob.metadata.uid && j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True'));
    }, 150_000);
    // Named for, and annotated with, a minute boundary after the CronJob was made.
    const scheduled = Date.parse(job.metadata.annotations?.[SCHEDULED_TIMESTAMP] ?? '');
    expect(scheduled % 60_000).toBe(0);
    expect(scheduled).toBeGreaterThan(made);
    expect(job.metadata.name).toBe(`tick-${scheduled / 60_000}`);
    expect(job.status?.succeeded).toBe(1);
    expect(await kubectl(['-n', ns, 'get', 'job', job.metadata.name ?? '', '--no-headers'])).toMatch(new RegExp(`^${job.metadata.name ?? ''}\\s+Complete\\s+1/1\\s`));
    const seen = await eventuallyInLab('the CronJob\'s last successful time', async () => {
      const c = await client.resourceByName<CronJob>('cronjobs', 'batch').get('tick', { namespace: ns });
      return c.status?.lastSuccessfulTime ? c : undefined;
    });
    expect(Date.parse(seen.status?.lastScheduleTime ?? '')).toBeGreaterThanOrEqual(scheduled);
  }, 300_000);
});
