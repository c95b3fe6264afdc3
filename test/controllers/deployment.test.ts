// The Deployment controller for real: a real etcd and API server, the real scheduler, hollow
// nodes (pods bound to them turn Running and Ready, except those of an image the suite calls
// broken, which stay not Ready; graceful deletions finish as a kubelet's), the ReplicaSet
// controller and the Deployment controller with the controller-manager's own token, and the
// real kubectl 1.33 driving every change. Watches of the suite's own follow every ReplicaSet
// and pod, so the surge and availability bounds are checked on what the API server held.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { isPodReady } from '../../api/active-pods.js';
import { controllerRefOf } from '../../controllers/controller-ref.js';
import { DeploymentController } from '../../controllers/deployment/controller.js';
import { podTemplateHash } from '../../controllers/deployment/hash.js';
import { ReplicaSetController } from '../../controllers/replicaset/controller.js';
import { startKubectlCluster, type KubectlCluster } from '../compat/kubectl-harness.js';
import { eventually } from '../fixtures/eventually.js';
import { startSkiff } from '../fixtures/process.js';
import { RolloutWatcher } from '../fixtures/rollout-watcher.js';

const ns = 'default';
const IMAGE_1 = 'registry.invalid/web:1';
const IMAGE_2 = 'registry.invalid/web:2';
/** Pods of this image never become Ready on the hollow nodes: a rollout to it cannot progress. */
const BROKEN = 'registry.invalid/does-not-exist:1';

describe('Deployment controller with kubectl 1.33', () => {
  let cluster: KubectlCluster;
  let manager: RestClient;
  let deployments: ResourceClient<Deployment>;
  let watcher: RolloutWatcher;
  let rsController: ReplicaSetController;
  let controller: DeploymentController;
  /** The controllers run in this process (until the last test hands over to `skiff controller-manager`). */
  let inProcess = true;

  const kubectl = (...args: string[]) => cluster.kubectl(args, { version: '1.33' });
  /** kubectl (1.33 unless `version` says) that must succeed without a word on stderr; its stdout. */
  const okWith = async (version: string, ...args: string[]) => {
    const r = await cluster.kubectl(args, { version });
    expect(r.stderr, `kubectl ${version} ${args.join(' ')}`).toBe('');
    expect(r.code, `kubectl ${version} ${args.join(' ')}`).toBe(0);
    return r.stdout;
  };
  const ok = (...args: string[]) => okWith('1.33', ...args);
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

  /** Waits for `name`'s rollout of 6 from IMAGE_1 to IMAGE_2 to finish, and checks it kept within 25%/25%: at most 8 pods, at least 5 ready. */
  const rolledOutWithinBounds = async (name: string) => {
    await ok('rollout', 'status', `deployment/${name}`, '--timeout=90s');
    await complete(name, 6);
    expect(watcher.maxSpecSum).toBeLessThanOrEqual(8);
    expect(watcher.maxPods).toBeLessThanOrEqual(8);
    expect(watcher.minAvailable).toBeGreaterThanOrEqual(5);
    expect(sizes(name)).toEqual({ [IMAGE_1]: 0, [IMAGE_2]: 6 });
  };

  beforeAll(async () => {
    cluster = await startKubectlCluster();
    manager = cluster.client(cluster.api.controllerManagerToken, { namespace: ns });
    deployments = cluster.admin.resourceByName<Deployment>('deployments', 'apps');
    await cluster.hollowNodes({
      count: 3,
      finishDeletion: true,
      ready: (pod) => pod.spec.containers.every((c) => c.image !== BROKEN),
    });
    await cluster.startScheduler({ identity: 'deployment-test' });
    watcher = new RolloutWatcher(cluster.admin, ns);
    await Promise.all([watcher.rs.start(), watcher.pods.start()]);
    rsController = new ReplicaSetController({ client: manager, workers: 5 });
    controller = new DeploymentController({ client: manager, workers: 5 });
    await Promise.all([rsController.start(), controller.start()]);
  });
  afterAll(async () => {
    if (inProcess) {
      await controller?.stop();
      await rsController?.stop();
    }
    await watcher?.rs.stop();
    await watcher?.pods.stop();
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
    // kubectl describe finds the new ReplicaSet by the selector and shows the controller's event.
    const described = await eventually(async () => {
      const out = await ok('describe', 'deployment', 'web');
      return out.includes(`Scaled up replica set web-${hash} to 6`) && out;
    }, 'the ScalingReplicaSet event in kubectl describe');
    expect(described).toMatch(new RegExp(`NewReplicaSet:\\s+web-${hash} \\(6/6 replicas created\\)`));
    expect(described).toMatch(/Available\s+True\s+MinimumReplicasAvailable/);
    expect(described).toMatch(/Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set/);
  });

  it('set image: a second ReplicaSet, at most (and once exactly) 8 pods, never fewer than 5 ready, then 2 revisions in history', async () => {
    watcher.follow('web');
    await ok('set', 'image', 'deployment/web', `web=${IMAGE_2}`);
    await rolledOutWithinBounds('web');
    // The surge is used: the new ReplicaSet is made at 2 while the old one still has 6, and
    // new 3 / old 5 all exist before the old ones may shrink again.
    expect(watcher.maxSpecSum).toBe(8);
    expect(watcher.maxPods).toBe(8);
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
    await rolledOutWithinBounds('again');
  });
  it.each(['1.30', '1.27'])('kubectl %s: create, set image, rollout status, history and undo', async (version) => {
    const name = `v${version.replace('.', '')}`;
    expect(await okWith(version, 'create', 'deployment', name, `--image=${IMAGE_1}`, '--replicas=2')).toBe(`deployment.apps/${name} created\n`);
    await okWith(version, 'rollout', 'status', `deployment/${name}`, '--timeout=90s');
    await okWith(version, 'set', 'image', `deployment/${name}`, `web=${IMAGE_2}`);
    await okWith(version, 'rollout', 'status', `deployment/${name}`, '--timeout=90s');
    expect(await okWith(version, 'rollout', 'history', `deployment/${name}`)).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    await okWith(version, 'rollout', 'undo', `deployment/${name}`);
    await okWith(version, 'rollout', 'status', `deployment/${name}`, '--timeout=90s');
    const d = await complete(name, 2);
    expect(d.spec.template.spec?.containers[0]?.image).toBe(IMAGE_1);
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  });

  it('runs in `skiff controller-manager`; one killed -9 mid-rollout is followed by one that finishes it within the bounds', async () => {
    // The in-process controllers step aside: one of each per cluster.
    await controller.stop();
    await rsController.stop();
    inProcess = false;
    const kubeconfig = path.join(cluster.dir, 'controller-manager.kubeconfig');
    await writeKubeconfig(kubeconfig, buildKubeconfig({ server: cluster.api.url, token: cluster.api.controllerManagerToken, name: 'controller-manager' }));
    const start = () => startSkiff(['controller-manager', `--kubeconfig=${kubeconfig}`, '--concurrent-deployment-syncs=2']);
    let proc = start();
    try {
      await createDeployment('process', IMAGE_1, 6);
      await complete('process', 6);
      watcher.follow('process');
      await ok('set', 'image', 'deployment/process', `web=${IMAGE_2}`);
      await eventually(() => (sizes('process')[IMAGE_2] ?? 0) > 0, 'the rollout to start', 30_000, { intervalMs: 5 });
      await proc.kill9();
      proc = start();
      await rolledOutWithinBounds('process').catch((e: Error) => {
        // The restarted controller-manager's own account, for whoever reads the failure.
        const lines = proc.output().split('\n').filter((l) => !l.includes('"code":409'));
        const state = JSON.stringify({ replicaSets: sizes('process'), pods: watcher.podsOf('process').map((p) => [p.spec.nodeName, p.status?.phase, isPodReady(p)]) });
        throw new Error(`${e.message}\n${state}\nrestarted controller-manager's output but conflicts (tail):\n${lines.slice(-30).join('\n')}`);
      });
      // Every pod made is one of the 6 new ones: no extra pods across the restart.
      expect(watcher.created.size).toBe(6);
    } finally {
      await proc.stop(5000);
    }
    // A process's start, a kill and a restart: slow on a loaded machine; rollout status's own 90 s decides.
  }, 180_000);
});
