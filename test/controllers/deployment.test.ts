// The Deployment controller for real: a real etcd and API server, the real scheduler, hollow
// nodes (pods bound to them turn Running and Ready, except those of an image the suite calls
// broken, which stay not Ready; graceful deletions finish as a kubelet's), the ReplicaSet
// controller and the Deployment controller with the controller-manager's own token, and the
// real kubectl 1.33 driving every change. Watches of the suite's own follow every ReplicaSet
// and pod, so the surge and availability bounds are checked on what the API server held.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import type { Pod } from '../../api/types/core.js';
import { Informer, listWatch } from '../../client/informer.js';
import { RestClient, type ResourceClient } from '../../client/rest.js';
import { isPodActive, isPodReady } from '../../controllers/active-pods.js';
import { controllerRefOf } from '../../controllers/controller-ref.js';
import { DeploymentController } from '../../controllers/deployment/controller.js';
import { podTemplateHash } from '../../controllers/deployment/hash.js';
import { ReplicaSetController } from '../../controllers/replicaset/controller.js';
import { Scheduler } from '../../scheduler/scheduler.js';
import { startKubectlCluster, type KubectlCluster } from '../compat/kubectl-harness.js';
import { eventually } from '../fixtures/eventually.js';
import { startHollowNodes, type HollowNodes } from '../fixtures/hollow-nodes.js';

const ns = 'default';
const IMAGE_1 = 'registry.invalid/web:1';
const IMAGE_2 = 'registry.invalid/web:2';
/** Pods of this image never become Ready on the hollow nodes: a rollout to it cannot progress. */
const BROKEN = 'registry.invalid/does-not-exist:1';

/** What the suite's watches saw of one Deployment's ReplicaSets and pods, bounds kept as extremes. */
class Watcher {
  readonly rs: Informer<ReplicaSet>;
  readonly pods: Informer<Pod>;
  maxSpecSum = 0;
  maxPods = 0;
  minAvailable = Infinity;
  /** Pods of two images (any, terminating ones too) seen at one moment. */
  mixed = false;
  readonly created = new Set<string>();
  readonly went = new Set<string>();
  #app = '';

  constructor(client: RestClient) {
    this.rs = new Informer(listWatch(client.resourceByName<ReplicaSet>('replicasets', 'apps'), { namespace: ns }));
    this.pods = new Informer(listWatch(client.pods, { namespace: ns }));
    const look = () => this.#look();
    for (const inf of [this.rs, this.pods] as Informer<ReplicaSet | Pod>[]) for (const e of ['add', 'update', 'delete'] as const) inf.on(e, look);
    const mine = (p: Pod) => this.#app !== '' && p.metadata.labels?.app === this.#app;
    this.pods.on('add', (p) => void (mine(p) && this.created.add(p.metadata.name ?? '')));
    this.pods.on('update', (p) => void (mine(p) && p.metadata.deletionTimestamp && this.went.add(p.metadata.name ?? '')));
    this.pods.on('delete', (p) => void (mine(p) && this.went.add(p.metadata.name ?? '')));
  }

  /** Starts recording the bounds of `app` from now. */
  follow(app: string): void {
    this.#app = app;
    this.maxSpecSum = 0;
    this.maxPods = 0;
    this.minAvailable = Infinity;
    this.mixed = false;
    this.created.clear();
    this.went.clear();
    this.#look();
  }

  replicaSetsOf(app: string): ReplicaSet[] {
    return this.rs.list(ns).filter((rs) => rs.metadata.labels?.app === app);
  }

  /** Pods of `app` without a deletionTimestamp, as Kubernetes counts a Deployment's pods. */
  podsOf(app: string): Pod[] {
    return this.pods.list(ns).filter((p) => p.metadata.labels?.app === app && isPodActive(p));
  }

  #look(): void {
    if (!this.#app) return;
    this.maxSpecSum = Math.max(this.maxSpecSum, this.replicaSetsOf(this.#app).reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0));
    const pods = this.podsOf(this.#app);
    this.maxPods = Math.max(this.maxPods, pods.length);
    this.minAvailable = Math.min(this.minAvailable, pods.filter((p) => isPodReady(p)).length);
    const images = new Set(this.pods.list(ns).filter((p) => p.metadata.labels?.app === this.#app).map((p) => p.spec.containers[0]?.image));
    if (images.size > 1) this.mixed = true;
  }
}

describe('Deployment controller with kubectl 1.33', () => {
  let cluster: KubectlCluster;
  let manager: RestClient;
  let schedulerClient: RestClient;
  let deployments: ResourceClient<Deployment>;
  let nodes: HollowNodes;
  let watcher: Watcher;
  let rsController: ReplicaSetController;
  let controller: DeploymentController;
  const schedulerStop = new AbortController();
  let schedulerDone: Promise<void> | undefined;

  const kubectl = async (...args: string[]) => {
    const r = await cluster.kubectl(args, { version: '1.33' });
    return r;
  };
  const ok = async (...args: string[]) => {
    const r = await kubectl(...args);
    expect(r.stderr, `kubectl ${args.join(' ')}`).toBe('');
    expect(r.code, `kubectl ${args.join(' ')}`).toBe(0);
    return r.stdout;
  };
  /**
   * `kubectl create deployment NAME --image --replicas`; with `edit`, kubectl's own manifest
   * for it (--dry-run=client) changed and then created.
   */
  const createDeployment = async (name: string, image: string, replicas: number, edit?: (d: Deployment) => void) => {
    const args = ['create', 'deployment', name, `--image=${image}`, `--replicas=${replicas}`];
    if (!edit) {
      expect(await ok(...args)).toBe(`deployment.apps/${name} created\n`);
      return;
    }
    const manifest = JSON.parse(await ok(...args, '--dry-run=client', '-o', 'json')) as Deployment;
    edit(manifest);
    const r = await cluster.kubectl(['create', '-f', '-'], { version: '1.33', stdin: JSON.stringify(manifest) });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`deployment.apps/${name} created\n`);
  };
  const get = (name: string) => deployments.get(name, { namespace: ns });
  /** The Deployment once its status says the rollout is done for its current generation. */
  const complete = (name: string, replicas: number, timeoutMs = 60_000) =>
    eventually(
      async () => {
        const d = await get(name);
        const s = d.status;
        const progressing = s?.conditions?.find((c) => c.type === 'Progressing');
        return (
          s?.observedGeneration === d.metadata.generation &&
          s?.replicas === replicas &&
          s?.updatedReplicas === replicas &&
          s?.availableReplicas === replicas &&
          progressing?.reason === 'NewReplicaSetAvailable' &&
          watcher.podsOf(name).filter(isPodReady).length === replicas &&
          watcher.replicaSetsOf(name).reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0) === replicas &&
          d
        );
      },
      `Deployment ${name} to finish its rollout at ${replicas} replicas`,
      timeoutMs,
    );
  const imageOf = (rs: ReplicaSet) => rs.spec.template?.spec?.containers[0]?.image;
  const sizes = (app: string) => Object.fromEntries(watcher.replicaSetsOf(app).map((rs) => [imageOf(rs), rs.spec.replicas]));

  beforeAll(async () => {
    cluster = await startKubectlCluster();
    manager = new RestClient({ server: cluster.api.url, token: cluster.api.controllerManagerToken, namespace: ns });
    schedulerClient = new RestClient({ server: cluster.api.url, token: cluster.api.schedulerToken, namespace: ns });
    deployments = cluster.admin.resourceByName<Deployment>('deployments', 'apps');
    nodes = await startHollowNodes({
      client: cluster.admin,
      count: 3,
      leaseRenewMs: 60_000,
      finishDeletion: true,
      ready: (pod) => pod.spec.containers.every((c) => c.image !== BROKEN),
    });
    schedulerDone = new Scheduler({ client: schedulerClient, identity: 'deployment-test' }).run(schedulerStop.signal);
    watcher = new Watcher(cluster.admin);
    await Promise.all([watcher.rs.start(), watcher.pods.start()]);
    rsController = new ReplicaSetController({ client: manager, workers: 5 });
    controller = new DeploymentController({ client: manager, workers: 5 });
    await Promise.all([rsController.start(), controller.start()]);
  });
  afterAll(async () => {
    await controller?.stop();
    await rsController?.stop();
    schedulerStop.abort();
    await schedulerDone;
    await watcher?.rs.stop();
    await watcher?.pods.stop();
    await nodes?.stop();
    manager?.close();
    schedulerClient?.close();
    await cluster?.stop();
  });

  it('create deployment: a ReplicaSet web-<hash> of 6 with revision 1, and rollout status returns', async () => {
    await createDeployment('web', IMAGE_1, 6);
    const status = await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
    expect(status).toContain('deployment "web" successfully rolled out');
    const d = await complete('web', 6);
    const [rs, ...others] = watcher.replicaSetsOf('web');
    expect(others).toEqual([]);
    const hash = rs?.metadata.labels?.['pod-template-hash'] ?? '';
    expect(hash).toMatch(/^[bcdf456789]+$/);
    expect(rs?.metadata.name).toBe(`web-${hash}`);
    expect(rs?.spec.replicas).toBe(6);
    expect(rs?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(controllerRefOf(rs as ReplicaSet)?.uid).toBe(d.metadata.uid);
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    for (const pod of watcher.podsOf('web')) expect(pod.metadata.labels?.['pod-template-hash']).toBe(hash);
    const table = await ok('get', 'deployment', 'web');
    expect(table).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+6\/6\s+6\s+6\s+/);
  });

  it('set image: a second ReplicaSet, never more than 8 pods nor fewer than 5 ready, then 2 revisions in history', async () => {
    watcher.follow('web');
    await ok('set', 'image', 'deployment/web', `web=${IMAGE_2}`);
    await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
    await complete('web', 6);
    // The surge is used: the new ReplicaSet is made at 2 while the old one still has 6.
    expect(watcher.maxSpecSum).toBe(8);
    expect(watcher.maxPods).toBeLessThanOrEqual(8);
    expect(watcher.minAvailable).toBeGreaterThanOrEqual(5);
    expect(sizes('web')).toEqual({ [IMAGE_1]: 0, [IMAGE_2]: 6 });
    const history = await ok('rollout', 'history', 'deployment/web');
    expect(history).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    const rev2 = await ok('rollout', 'history', 'deployment/web', '--revision=2');
    expect(rev2).toContain(IMAGE_2);
  });

  it('rollout undo: back to the first template on its old ReplicaSet, now revision 3', async () => {
    const first = watcher.replicaSetsOf('web').find((rs) => imageOf(rs) === IMAGE_1) as ReplicaSet;
    await ok('rollout', 'undo', 'deployment/web');
    await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
    const d = await complete('web', 6);
    expect(d.spec.template.spec?.containers[0]?.image).toBe(IMAGE_1);
    expect(watcher.replicaSetsOf('web')).toHaveLength(2);
    const back = watcher.rs.get(first.metadata.name ?? '', ns);
    expect(back?.metadata.uid).toBe(first.metadata.uid);
    expect(back?.spec.replicas).toBe(6);
    expect(back?.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1' });
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    expect(await ok('rollout', 'history', 'deployment/web')).toMatch(/REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/);
  });

  it('rollout pause holds a template change, resume rolls it out, restart makes another ReplicaSet', async () => {
    await ok('rollout', 'pause', 'deployment/web');
    await eventually(async () => (await get('web')).status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'DeploymentPaused'), 'DeploymentPaused');
    await ok('set', 'image', 'deployment/web', `web=${IMAGE_2}`);
    // Paused: the Deployment sees the new generation but starts no rollout.
    const paused = await eventually(async () => {
      const d = await get('web');
      return d.status?.observedGeneration === d.metadata.generation && d;
    }, 'the paused Deployment to observe its generation');
    expect(paused.status?.updatedReplicas ?? 0).toBe(0);
    expect(sizes('web')).toEqual({ [IMAGE_1]: 6, [IMAGE_2]: 0 });
    await ok('rollout', 'resume', 'deployment/web');
    await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
    await complete('web', 6);
    expect(sizes('web')).toEqual({ [IMAGE_1]: 0, [IMAGE_2]: 6 });

    await ok('rollout', 'restart', 'deployment/web');
    await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
    const d = await complete('web', 6);
    expect(d.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();
    const rss = watcher.replicaSetsOf('web');
    expect(rss).toHaveLength(3);
    const newest = rss.find((rs) => rs.spec.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']);
    expect(newest?.spec.replicas).toBe(6);
    expect(newest?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('5');
  });

  it('a rollout to a broken image stalls at maxUnavailable, scales proportionally, times out, and undo recovers', async () => {
    await createDeployment('stuck', IMAGE_1, 6);
    await complete('stuck', 6);
    await ok('patch', 'deployment', 'stuck', '-p', '{"spec":{"progressDeadlineSeconds":8}}');
    await ok('set', 'image', 'deployment/stuck', `web=${BROKEN}`);
    // 25%/25% of 6: 8 pods at most, 5 available at least, so new 3 / old 5 and no further.
    await eventually(() => {
      const s = sizes('stuck');
      return s[IMAGE_1] === 5 && s[BROKEN] === 3 && watcher.podsOf('stuck').length === 8;
    }, 'the rollout to stall at new 3, old 5');

    // Resized mid-rollout to 12: surge 3, 15 pods; old round(5·15/8) = 9, new round(3·15/8) = 6.
    await ok('scale', 'deployment', 'stuck', '--replicas=12');
    await eventually(() => {
      const s = sizes('stuck');
      return s[IMAGE_1] === 9 && s[BROKEN] === 6;
    }, 'proportional scaling to old 9, new 6');
    for (const rs of watcher.replicaSetsOf('stuck')) expect(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas']).toBe('12');

    const timedOut = await eventually(
      async () => (await get('stuck')).status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded'),
      'ProgressDeadlineExceeded',
      60_000,
    );
    const broken = watcher.replicaSetsOf('stuck').find((rs) => imageOf(rs) === BROKEN);
    expect(timedOut).toMatchObject({ status: 'False', message: `ReplicaSet "${broken?.metadata.name ?? ''}" has timed out progressing.` });
    const r = await kubectl('rollout', 'status', 'deployment/stuck', '--timeout=30s');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('deployment "stuck" exceeded its progress deadline');

    await ok('rollout', 'undo', 'deployment/stuck');
    await ok('rollout', 'status', 'deployment/stuck', '--timeout=90s');
    await complete('stuck', 12);
    expect(sizes('stuck')).toEqual({ [IMAGE_1]: 12, [BROKEN]: 0 });
  });
  it('kubectl scale 6 → 20 → 2: exactly 14 pods created and 18 deleted', async () => {
    watcher.follow('web');
    await ok('scale', 'deployment', 'web', '--replicas=20');
    await complete('web', 20);
    expect(watcher.created.size).toBe(14);
    await ok('scale', 'deployment', 'web', '--replicas=2');
    await complete('web', 2);
    await eventually(() => watcher.went.size >= 18 && watcher.podsOf('web').length === 2, '18 pods to go');
    expect(watcher.created.size).toBe(14);
    expect(watcher.went.size).toBe(18);
  });

  it('Recreate: the old pods are all gone before a pod of the new template exists', async () => {
    await createDeployment('recreate', IMAGE_1, 3, (d) => void (d.spec.strategy = { type: 'Recreate' }));
    await complete('recreate', 3);
    watcher.follow('recreate');
    await ok('set', 'image', 'deployment/recreate', `web=${IMAGE_2}`);
    await ok('rollout', 'status', 'deployment/recreate', '--timeout=90s');
    await complete('recreate', 3);
    expect(watcher.mixed).toBe(false);
    expect(watcher.maxPods).toBe(3);
    expect(sizes('recreate')).toEqual({ [IMAGE_1]: 0, [IMAGE_2]: 3 });
  });

  it('adopts an orphan ReplicaSet its selector matches, and keeps it when the template is the same', async () => {
    const replicaSets = cluster.admin.resourceByName<ReplicaSet>('replicasets', 'apps');
    const labels = { app: 'adopt' };
    await replicaSets.create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'adopt-orphan', namespace: ns, labels },
      spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: IMAGE_1 }] } } },
    });
    await eventually(() => watcher.podsOf('adopt').filter(isPodReady).length === 2, 'the orphan ReplicaSet to run 2 pods');
    await createDeployment('adopt', IMAGE_1, 2);
    const d = await complete('adopt', 2);
    const [rs, ...others] = watcher.replicaSetsOf('adopt');
    expect(others).toEqual([]);
    expect(rs?.metadata.name).toBe('adopt-orphan');
    expect(controllerRefOf(rs as ReplicaSet)).toMatchObject({ kind: 'Deployment', name: 'adopt', uid: d.metadata.uid, controller: true });
    expect(rs?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
  });

  it('a name taken by a ReplicaSet of another template bumps collisionCount and takes another name', async () => {
    // Paused, the Deployment makes no ReplicaSet: its name can be taken first.
    await createDeployment('clash', IMAGE_1, 1, (d) => void (d.spec.paused = true));
    const stored = await get('clash');
    const taken = `clash-${podTemplateHash(stored.spec.template)}`;
    const other = { app: 'someone-else' };
    await cluster.admin.resourceByName<ReplicaSet>('replicasets', 'apps').create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: taken, namespace: ns, labels: other },
      spec: { replicas: 0, selector: { matchLabels: other }, template: { metadata: { labels: other }, spec: { containers: [{ name: 'x', image: IMAGE_2 }] } } },
    });
    await ok('rollout', 'resume', 'deployment/clash');
    const d = await complete('clash', 1);
    expect(d.status?.collisionCount).toBe(1);
    const [rs, ...others] = watcher.replicaSetsOf('clash');
    expect(others).toEqual([]);
    expect(rs?.metadata.name).toBe(`clash-${podTemplateHash(stored.spec.template, 1)}`);
  });
  it('a controller stopped mid-rollout and started again finishes it within the bounds', async () => {
    await createDeployment('again', IMAGE_1, 6);
    await complete('again', 6);
    watcher.follow('again');
    await ok('set', 'image', 'deployment/again', `web=${IMAGE_2}`);
    await eventually(() => (sizes('again')[IMAGE_2] ?? 0) > 0, 'the rollout to start');
    await controller.stop();
    controller = new DeploymentController({ client: manager, workers: 5 });
    await controller.start();
    await ok('rollout', 'status', 'deployment/again', '--timeout=90s');
    await complete('again', 6);
    expect(watcher.maxSpecSum).toBeLessThanOrEqual(8);
    expect(watcher.maxPods).toBeLessThanOrEqual(8);
    expect(watcher.minAvailable).toBeGreaterThanOrEqual(5);
    expect(sizes('again')).toEqual({ [IMAGE_1]: 0, [IMAGE_2]: 6 });
  });
});
