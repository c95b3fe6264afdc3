// The DaemonSet controller for real: a real etcd and API server, hollow nodes (pods bound to
// them turn Running and Ready; their graceful deletions finish as a kubelet's would), the real
// scheduler placing the daemon pods by their metadata.name node affinity, the controller with
// the controller-manager's own token, and the real kubectl 1.33 for set image and rollout
// status, history and undo. The suite's own pods watch follows every pod continuously.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerRevision, DaemonSet } from '../../api/types/apps.js';
import type { Pod } from '../../api/types/core.js';
import { Informer, listWatch } from '../../client/informer.js';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { isPodActive, isPodReady } from '../../controllers/active-pods.js';
import { DaemonSetController } from '../../controllers/daemonset/controller.js';
import { TEMPLATE_GENERATION_ANNOTATION } from '../../api/kinds/daemonset.js';
import { CONTROLLER_REVISION_HASH, POD_TEMPLATE_GENERATION } from '../../controllers/daemonset/util.js';
import { startKubectlCluster, type KubectlCluster } from '../compat/kubectl-harness.js';
import { eventually } from '../fixtures/eventually.js';
import type { HollowNodes } from '../fixtures/hollow-nodes.js';
import { startSkiff } from '../fixtures/process.js';

const ns = 'default';

function daemonSet(name: string): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { app: name } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: name } },
        spec: { nodeSelector: { role: 'worker' }, containers: [{ name: 'agent', image: 'registry.local/agent:1' }] },
      },
    },
  };
}

describe('DaemonSet controller', () => {
  let cluster: KubectlCluster;
  let admin: RestClient;
  let manager: RestClient;
  let daemonSets: ResourceClient<DaemonSet>;
  let revisions: ResourceClient<ControllerRevision>;
  let nodes: HollowNodes;
  let pods: Informer<Pod>;
  let controller: DaemonSetController;
  const workers = ['w-0', 'w-1', 'w-2'].map((n) => `ds-${process.pid}-${n}`);
  const tainted = `ds-${process.pid}-tainted`;
  const other = `ds-${process.pid}-db`;

  /** The app's active pods by the node they are bound to. */
  const podsOn = (app: string) => {
    const out = new Map<string, Pod[]>();
    for (const p of pods.list(ns)) {
      if (p.metadata.labels?.app !== app || !isPodActive(p) || !p.spec.nodeName) continue;
      out.set(p.spec.nodeName, [...(out.get(p.spec.nodeName) ?? []), p]);
    }
    return out;
  };
  /** Every node in `expected` runs exactly one Running pod of the app, image `image`, and no other node runs one. */
  const onEach = (app: string, expected: string[], image: string) =>
    eventually(async () => {
      const by = podsOn(app);
      const ds = await daemonSets.get(app, { namespace: ns });
      const s = ds.status;
      return (
        by.size === expected.length &&
        expected.every((n) => by.get(n)?.length === 1 && by.get(n)?.[0]?.status?.phase === 'Running' && by.get(n)?.[0]?.spec.containers[0]?.image === image) &&
        s?.observedGeneration === ds.metadata.generation &&
        s?.desiredNumberScheduled === expected.length &&
        s?.numberAvailable === expected.length &&
        s?.updatedNumberScheduled === expected.length &&
        ds
      );
    }, `${app} on ${expected.join(', ')} with ${image}`);

  beforeAll(async () => {
    cluster = await startKubectlCluster();
    admin = cluster.admin;
    manager = cluster.client(cluster.api.controllerManagerToken);
    daemonSets = admin.resourceByName<DaemonSet>('daemonsets', 'apps');
    revisions = admin.resourceByName<ControllerRevision>('controllerrevisions', 'apps');
    nodes = await cluster.hollowNodes({ count: 0, finishDeletion: true });
    for (const n of workers) await nodes.add(n, { labels: { role: 'worker' } });
    await nodes.add(tainted, { labels: { role: 'worker' }, taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
    await nodes.add(other, { labels: { role: 'db' } });
    await cluster.startScheduler({ identity: 'daemonset-test' });
    pods = new Informer(listWatch(admin.pods, { namespace: ns }));
    await pods.start();
    controller = new DaemonSetController({ client: manager, workers: 2 });
    await controller.start();
  });
  afterAll(async () => {
    await controller?.stop();
    await pods?.stop();
    await cluster?.stop();
  });

  it('runs one pod on each eligible node: none on a node whose taint it does not tolerate or whose labels do not match', async () => {
    const created = await daemonSets.create(daemonSet('agent'));
    // The API server's templateGeneration, 1 on create (apps/v1 keeps it in an annotation).
    expect(created.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]).toBe('1');
    const ds = await onEach('agent', workers, 'registry.local/agent:1');
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, numberAvailable: 3, numberMisscheduled: 0, updatedNumberScheduled: 3 });
    expect(ds.status?.numberUnavailable ?? 0).toBe(0);
    const revs = (await revisions.list({ namespace: ns })).items.filter((r) => r.metadata.ownerReferences?.[0]?.uid === created.metadata.uid);
    expect(revs.map((r) => r.revision)).toEqual([1]);
    const hash = revs[0]?.metadata.labels?.[CONTROLLER_REVISION_HASH];
    expect(revs[0]?.metadata.name).toBe(`agent-${hash}`);
    for (const [node, [pod]] of podsOn('agent')) {
      expect(pod?.metadata.labels).toEqual({ app: 'agent', [CONTROLLER_REVISION_HASH]: hash, [POD_TEMPLATE_GENERATION]: '1' });
      expect(pod?.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      // Placed by the scheduler through the node affinity, not by the controller.
      expect(pod?.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual({ nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] });
      expect(pod?.spec.tolerations).toContainEqual({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' });
    }
    const get = await cluster.kubectl(['get', 'ds', 'agent', '-n', ns], { version: '1.33' });
    expect(get.stdout).toMatch(/^agent\s+3\s+3\s+3\s+3\s+3\s+role=worker\s+/m);
  });

  it('a new eligible node gets its pod; a node removed loses it', async () => {
    const joined = `ds-${process.pid}-w-3`;
    await nodes.add(joined, { labels: { role: 'worker' } });
    await onEach('agent', [...workers, joined], 'registry.local/agent:1');
    await admin.nodes.delete(joined);
    const ds = await onEach('agent', workers, 'registry.local/agent:1');
    expect(ds.status?.desiredNumberScheduled).toBe(3);
  });

  it('kubectl set image rolls node by node, never more than maxUnavailable unavailable; rollout history shows 2 revisions and undo goes back', async () => {
    const before = podsOn('agent');
    // Followed on every pod event: eligible nodes without a ready pod that is not going away.
    let worst = 0;
    const look = () => {
      const by = podsOn('agent');
      const unavailable = workers.filter((n) => !(by.get(n) ?? []).some((p) => isPodReady(p))).length;
      worst = Math.max(worst, unavailable);
    };
    for (const e of ['add', 'update', 'delete'] as const) pods.on(e, look);

    const set = await cluster.kubectl(['set', 'image', 'ds/agent', 'agent=registry.local/agent:2', '-n', ns], { version: '1.33' });
    expect(set.stderr).toBe('');
    expect(set.stdout.trim()).toBe('daemonset.apps/agent image updated');
    const status = await cluster.kubectl(['rollout', 'status', 'ds/agent', '-n', ns, '--timeout=60s'], { version: '1.33' });
    expect(status.stdout.trim().split('\n').at(-1)).toBe('daemon set "agent" successfully rolled out');
    await onEach('agent', workers, 'registry.local/agent:2');
    expect(worst).toBe(1);
    // The template changed: templateGeneration 2, on every new pod.
    expect((await daemonSets.get('agent', { namespace: ns })).metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]).toBe('2');
    for (const [, [pod]] of podsOn('agent')) expect(pod?.metadata.labels?.[POD_TEMPLATE_GENERATION]).toBe('2');
    // Every node's pod was replaced.
    for (const n of workers) expect(podsOn('agent').get(n)?.[0]?.metadata.name).not.toBe(before.get(n)?.[0]?.metadata.name);

    const history = await cluster.kubectl(['rollout', 'history', 'ds/agent', '-n', ns], { version: '1.33' });
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)[0])).toEqual(['daemonset.apps/agent', 'REVISION', '1', '2']);
    const one = await cluster.kubectl(['rollout', 'history', 'ds/agent', '--revision=1', '-n', ns], { version: '1.33' });
    expect(one.stdout).toMatch(/Image:\s+registry\.local\/agent:1/);

    worst = 0;
    const undo = await cluster.kubectl(['rollout', 'undo', 'ds/agent', '-n', ns], { version: '1.33' });
    expect(undo.stderr).toBe('');
    expect(undo.stdout.trim()).toBe('daemonset.apps/agent rolled back');
    await onEach('agent', workers, 'registry.local/agent:1');
    expect(worst).toBe(1);
    for (const e of ['add', 'update', 'delete'] as const) pods.off(e, look);
    // The first revision is current again, renumbered above the second.
    const after = await cluster.kubectl(['rollout', 'history', 'ds/agent', '-n', ns], { version: '1.33' });
    expect(after.stdout.trim().split('\n').slice(2).map((l) => l.trim().split(/\s+/)[0])).toEqual(['2', '3']);
    const revs = (await revisions.list({ namespace: ns })).items.filter((r) => r.metadata.name?.startsWith('agent-'));
    const current = revs.find((r) => r.revision === 3);
    for (const [, [pod]] of podsOn('agent')) {
      expect(pod?.metadata.labels?.[CONTROLLER_REVISION_HASH]).toBe(current?.metadata.labels?.[CONTROLLER_REVISION_HASH]);
      expect(pod?.metadata.labels?.[POD_TEMPLATE_GENERATION]).toBe('3');
    }
    // An update may not set templateGeneration; one that leaves the template alone keeps it.
    const annotate = await cluster.kubectl(['annotate', 'ds/agent', `${TEMPLATE_GENERATION_ANNOTATION}=9`, '--overwrite', '-n', ns], { version: '1.33' });
    expect(annotate.code, annotate.stderr).toBe(0);
    expect((await daemonSets.get('agent', { namespace: ns })).metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]).toBe('3');
  });

  it('with maxSurge 1 and maxUnavailable 0 starts each new pod beside the old one: no node is ever without a ready pod', async () => {
    const surge = daemonSet('surge');
    surge.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
    await daemonSets.create(surge);
    await onEach('surge', workers, 'registry.local/agent:1');
    let unavailable = 0;
    let doubled = 0;
    const look = () => {
      const by = podsOn('surge');
      unavailable = Math.max(unavailable, workers.filter((n) => !(by.get(n) ?? []).some((p) => isPodReady(p))).length);
      doubled = Math.max(doubled, ...workers.map((n) => by.get(n)?.length ?? 0));
    };
    for (const e of ['add', 'update', 'delete'] as const) pods.on(e, look);
    try {
      const set = await cluster.kubectl(['set', 'image', 'ds/surge', 'agent=registry.local/agent:2', '-n', ns], { version: '1.33' });
      expect(set.code, set.stderr).toBe(0);
      await onEach('surge', workers, 'registry.local/agent:2');
    } finally {
      for (const e of ['add', 'update', 'delete'] as const) pods.off(e, look);
    }
    expect(unavailable).toBe(0);
    expect(doubled).toBe(2);
  });

  it('runs in `skiff controller-manager --concurrent-daemonset-syncs=2`', async () => {
    // The in-process controller steps aside: one controller per cluster.
    await controller.stop();
    const kubeconfig = path.join(cluster.dir, 'controller-manager.kubeconfig');
    await writeKubeconfig(kubeconfig, buildKubeconfig({ server: cluster.api.url, token: cluster.api.controllerManagerToken, name: 'controller-manager' }));
    const proc = startSkiff(['controller-manager', `--kubeconfig=${kubeconfig}`, '--concurrent-daemonset-syncs=2']);
    try {
      await daemonSets.create(daemonSet('process'));
      const ds = await onEach('process', workers, 'registry.local/agent:1');
      expect(ds.status).toMatchObject({ desiredNumberScheduled: 3, numberAvailable: 3, numberMisscheduled: 0 });
    } finally {
      await proc.stop(5000);
    }
  });
});
