// The ReplicaSet controller for real: a real etcd and API server, hollow nodes (pods bound to
// them turn Running and Ready; their graceful deletions finish as a kubelet's would), the real
// scheduler in this process, the controller with the controller-manager's own token, and the
// real kubectl 1.33. The controller's watches deliver every event WATCH_LAG_MS late (its
// lists are on time), as a loaded API server's would, while the suite's own pods watch, on time,
// counts every create and delete: so "never over-create or over-delete while the watch lags"
// is checked on what the API server actually did.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplicaSet } from '../../api/types/apps.js';
import type { Pod } from '../../api/types/core.js';
import type { KubeObject } from '../../api/types/meta.js';
import { Informer, listWatch, type ListWatch } from '../../client/informer.js';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { isPodActive } from '../../controllers/active-pods.js';
import { controllerRefOf } from '../../controllers/controller-ref.js';
import { ReplicaSetController } from '../../controllers/replicaset/controller.js';
import { SharedInformers } from '../../controllers/shared-informers.js';
import { startKubectlCluster, type KubectlCluster } from '../compat/kubectl-harness.js';
import { eventually } from '../fixtures/eventually.js';
import { startSkiff } from '../fixtures/process.js';

const ns = 'default';
const WATCH_LAG_MS = 300;

/** `source`'s events, each handed on `ms` after it arrived, in order. */
async function* late<E>(source: AsyncIterable<E>, ms: number): AsyncIterable<E> {
  const held: { at: number; event: E }[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  void (async () => {
    try {
      for await (const event of source) {
        held.push({ at: Date.now() + ms, event });
        wake?.();
      }
    } catch {
      // the informer sees the watch end and watches again
    } finally {
      ended = true;
      wake?.();
    }
  })();
  for (;;) {
    const next = held[0];
    if (next) {
      const wait = next.at - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      held.shift();
      yield next.event;
    } else if (ended) return;
    else await new Promise<void>((r) => (wake = r));
  }
}

const lagging = <T extends KubeObject>(lw: ListWatch<T>): ListWatch<T> => ({
  list: (signal) => lw.list(signal),
  watch: async (rv, signal) => late(await lw.watch(rv, signal), WATCH_LAG_MS),
});

function replicaSet(name: string, replicas: number, o: { minReadySeconds?: number; serviceAccountName?: string } = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      minReadySeconds: o.minReadySeconds,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, tier: 'web' } },
        spec: { serviceAccountName: o.serviceAccountName, containers: [{ name: 'kuard', image: 'gcr.io/kuar-demo/kuard-amd64:blue' }] },
      },
    },
  };
}

/** What the suite's own pods watch saw, per app label: pods created, and pods that went (deletionTimestamp or removal). */
class PodLedger {
  readonly created = new Map<string, Set<string>>();
  readonly went = new Map<string, Set<string>>();
  /** Every controllerRef uid a pod was seen with. */
  readonly owners = new Map<string, Set<string>>();
  readonly informer: Informer<Pod>;

  constructor(client: RestClient) {
    this.informer = new Informer(listWatch(client.pods, { namespace: ns }));
    const note = (map: Map<string, Set<string>>, pod: Pod) => {
      const app = pod.metadata.labels?.app ?? '';
      if (!map.has(app)) map.set(app, new Set());
      map.get(app)?.add(pod.metadata.name ?? '');
    };
    const owner = (pod: Pod) => {
      const ref = controllerRefOf(pod);
      if (!ref) return;
      const name = pod.metadata.name ?? '';
      if (!this.owners.has(name)) this.owners.set(name, new Set());
      this.owners.get(name)?.add(ref.uid);
    };
    this.informer.on('add', (p) => {
      note(this.created, p);
      owner(p);
    });
    this.informer.on('update', (p) => {
      owner(p);
      if (p.metadata.deletionTimestamp) note(this.went, p);
    });
    this.informer.on('delete', (p) => note(this.went, p));
  }

  count(map: Map<string, Set<string>>, app: string): number {
    return map.get(app)?.size ?? 0;
  }

  /** Active pods of an app in the watch's cache, and how many of them run. */
  active(app: string): Pod[] {
    return this.informer.list(ns).filter((p) => p.metadata.labels?.app === app && isPodActive(p));
  }

  running(app: string): number {
    return this.active(app).filter((p) => p.status?.phase === 'Running').length;
  }
}

describe('ReplicaSet controller', () => {
  let cluster: KubectlCluster;
  let admin: RestClient;
  let manager: RestClient;
  let replicaSets: ResourceClient<ReplicaSet>;
  let ledger: PodLedger;
  let controller: ReplicaSetController;
  let informers: SharedInformers;

  const startController = async () => {
    // What a new controller-manager process would have: informers of its own, listing afresh.
    informers = new SharedInformers({ listWatch: (r) => lagging(listWatch(r)) });
    const c = new ReplicaSetController({ client: manager, informers, workers: 5 });
    await c.start();
    return c;
  };
  const stopController = async () => {
    await controller.stop();
    await informers.stop();
  };
  const rsNamed = (name: string) => replicaSets.get(name, { namespace: ns });
  /** The ReplicaSet's status once it reports `replicas` ready pods for its current generation, and the watch agrees. */
  const converged = (name: string, replicas: number, timeoutMs = 30_000) =>
    eventually(
      async () => {
        const rs = await rsNamed(name);
        const s = rs.status;
        return (
          s?.observedGeneration === rs.metadata.generation &&
          s?.replicas === replicas &&
          s?.readyReplicas === replicas &&
          ledger.running(name) === replicas &&
          ledger.active(name).length === replicas &&
          rs
        );
      },
      `ReplicaSet ${name} to have ${replicas} running pods`,
      timeoutMs,
    );

  beforeAll(async () => {
    cluster = await startKubectlCluster();
    admin = cluster.admin;
    manager = cluster.client(cluster.api.controllerManagerToken, { namespace: ns });
    replicaSets = admin.resourceByName<ReplicaSet>('replicasets', 'apps');
    await cluster.hollowNodes({ count: 3, finishDeletion: true });
    await cluster.startScheduler({ identity: 'replicaset-test' });
    ledger = new PodLedger(admin);
    await ledger.informer.start();
    controller = await startController();
  });
  afterAll(async () => {
    if (controller) await stopController();
    await ledger?.informer.stop();
    await cluster?.stop();
  });

  it('runs 5 pods made from the template, owned by the ReplicaSet, and replaces one deleted', async () => {
    const created = await replicaSets.create(replicaSet('web', 5));
    const rs = await converged('web', 5);
    expect(rs.status).toMatchObject({ replicas: 5, fullyLabeledReplicas: 5, readyReplicas: 5, availableReplicas: 5, observedGeneration: created.metadata.generation });
    const pods = ledger.active('web');
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(p.metadata.labels).toEqual({ app: 'web', tier: 'web' });
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    expect(ledger.count(ledger.created, 'web')).toBe(5);
    const events = await eventually(async () => {
      const made = (await admin.events.list({ namespace: ns })).items.filter((e) => e.involvedObject.kind === 'ReplicaSet' && e.involvedObject.name === 'web' && e.reason === 'SuccessfulCreate');
      return made.length === 5 && made;
    }, 'five SuccessfulCreate events');
    expect(events.map((e) => e.message).sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
    expect(events[0]?.source?.component).toBe('replicaset-controller');

    const victim = pods[0]?.metadata.name ?? '';
    await admin.pods.delete(victim, { namespace: ns });
    await eventually(() => ledger.count(ledger.created, 'web') === 6 && ledger.active('web').every((p) => p.metadata.name !== victim), 'a replacement pod');
    await converged('web', 5);
    await controller.idle();
    expect(ledger.count(ledger.created, 'web')).toBe(6);
    expect(ledger.count(ledger.went, 'web')).toBe(1);
  });

  it('kubectl scale rs 6 → 20 → 2 makes exactly 14 pods and deletes exactly 18', async () => {
    await replicaSets.create(replicaSet('scaled', 6));
    await converged('scaled', 6);
    await controller.idle();
    expect(ledger.count(ledger.created, 'scaled')).toBe(6);

    const up = await cluster.kubectl(['scale', 'rs', 'scaled', '--replicas=20', '-n', ns], { version: '1.33' });
    expect(up.stderr).toBe('');
    expect(up.stdout.trim()).toBe('replicaset.apps/scaled scaled');
    await converged('scaled', 20);
    const down = await cluster.kubectl(['scale', 'rs', 'scaled', '--replicas=2', '-n', ns], { version: '1.33' });
    expect(down.code).toBe(0);
    await converged('scaled', 2);
    await controller.idle();
    expect(ledger.count(ledger.created, 'scaled')).toBe(6 + 14);
    expect(ledger.count(ledger.went, 'scaled')).toBe(18);
  });

  it('adopts a matching orphan, and releases and replaces a pod whose labels stop matching', async () => {
    const orphan = await admin.pods.create({ metadata: { name: 'stray', labels: { app: 'adopt', tier: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, { namespace: ns });
    const rs = await replicaSets.create(replicaSet('adopt', 3));
    await converged('adopt', 3);
    await controller.idle();
    const adopted = await admin.pods.get('stray', { namespace: ns });
    expect(adopted.metadata.uid).toBe(orphan.metadata.uid);
    expect(controllerRefOf(adopted)).toMatchObject({ kind: 'ReplicaSet', name: 'adopt', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true });
    // The orphan counted as one of the three: two were made.
    expect(ledger.count(ledger.created, 'adopt')).toBe(3);

    const leaving = ledger.active('adopt').find((p) => p.metadata.name !== 'stray')?.metadata.name ?? '';
    const relabel = await cluster.kubectl(['label', 'pod', leaving, 'app=elsewhere', '--overwrite', '-n', ns], { version: '1.33' });
    expect(relabel.code).toBe(0);
    await eventually(async () => controllerRefOf(await admin.pods.get(leaving, { namespace: ns })) === undefined, `${leaving} released`);
    await converged('adopt', 3);
    await controller.idle();
    expect(ledger.count(ledger.created, 'adopt')).toBe(4);
    const released = await admin.pods.get(leaving, { namespace: ns });
    expect(released.metadata.ownerReferences ?? []).toEqual([]);
    expect(released.metadata.deletionTimestamp).toBeUndefined();
  });

  it('a controller restarted in the middle of a scale-up makes no extra pods', async () => {
    await replicaSets.create(replicaSet('restart', 80));
    // Slow start creates 1, 2, 4, 8, ...: stop the controller once a few are there.
    await eventually(() => ledger.count(ledger.created, 'restart') >= 3, 'the scale-up to begin', 30_000, { intervalMs: 5 });
    await stopController();
    const before = ledger.count(ledger.created, 'restart');
    expect(before).toBeLessThan(80);
    // A new controller on the same cluster: no expectations, only what the API server holds.
    controller = await startController();
    await converged('restart', 80);
    await controller.idle();
    expect(ledger.count(ledger.created, 'restart')).toBe(80);
    expect(ledger.count(ledger.went, 'restart')).toBe(0);
  });

  it('reports ready pods available only after minReadySeconds, and ReplicaFailure while pods cannot be created', async () => {
    await replicaSets.create(replicaSet('slow', 2, { minReadySeconds: 5 }));
    const waiting = await eventually(async () => {
      const s = (await rsNamed('slow')).status;
      return s?.readyReplicas === 2 && s;
    }, 'two ready pods');
    expect(waiting.availableReplicas).toBeLessThan(2);
    // No pod changes after that: the controller's own requeue brings the count.
    await eventually(async () => (await rsNamed('slow')).status?.availableReplicas === 2, 'two available pods', 15_000);

    // A template naming a ServiceAccount that does not exist: every create is refused (403).
    await replicaSets.create(replicaSet('denied', 2, { serviceAccountName: 'builder' }));
    const failing = await eventually(async () => (await rsNamed('denied')).status?.conditions?.find((c) => c.type === 'ReplicaFailure'), 'the ReplicaFailure condition');
    expect(failing).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    expect(failing.message).toMatch(/builder/);
    await admin.serviceAccounts.create({ metadata: { name: 'builder', namespace: ns } }, { namespace: ns });
    const fixed = await converged('denied', 2);
    expect(fixed.status?.conditions).toBeUndefined();
  });

  it('runs in `skiff controller-manager`; one killed -9 in the middle of a scale-up is followed by one that makes no extra pods', async () => {
    // The in-process controller steps aside: one controller per cluster.
    await stopController();
    const kubeconfig = path.join(cluster.dir, 'controller-manager.kubeconfig');
    await writeKubeconfig(kubeconfig, buildKubeconfig({ server: cluster.api.url, token: cluster.api.controllerManagerToken, name: 'controller-manager' }));
    const start = () => startSkiff(['controller-manager', `--kubeconfig=${kubeconfig}`, '--concurrent-replicaset-syncs=2']);
    let proc = start();
    try {
      await replicaSets.create(replicaSet('process', 60));
      await eventually(() => ledger.count(ledger.created, 'process') >= 3, 'the scale-up to begin', 30_000, { intervalMs: 5 });
      await proc.kill9();
      expect(ledger.count(ledger.created, 'process')).toBeLessThan(60);
      proc = start();
      await converged('process', 60);
      expect(ledger.count(ledger.created, 'process')).toBe(60);
      expect(ledger.count(ledger.went, 'process')).toBe(0);
    } finally {
      await proc.stop(5000);
    }
  });
});
