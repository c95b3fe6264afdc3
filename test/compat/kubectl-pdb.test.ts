// PodDisruptionBudgets, the disruption controller and pods/eviction with kubectl 1.33 against
// a real skiff API server on a real etcd, hollow nodes running the pods: `kubectl create pdb`
// and `get pdb` (NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE), evictions spending
// the budget until 429, and `kubectl drain` completing while it respects the budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVICTION_REFUSED_MESSAGE } from '../../api/disruption.js';
import { ApiError } from '../../api/errors.js';
import type { Pod } from '../../api/types/core.js';
import type { PodDisruptionBudget } from '../../api/types/policy.js';
import { Informer, listWatch } from '../../client/informer.js';
import type { ResourceClient } from '../../client/rest.js';
import { DisruptionController } from '../../controllers/disruption/controller.js';
import { eventually } from '../fixtures/eventually.js';
import { startHollowNodes, type HollowNodes } from '../fixtures/hollow-nodes.js';
import { haveKubectl, KUBECTL, startKubectlCluster, type KubectlCluster } from './kubectl-harness.js';

if (!haveKubectl) console.warn(`kubectl not found at ${KUBECTL}: skipping the kubectl PodDisruptionBudget suite (test/compat/kubectl-pdb.test.ts)`);

let cluster: KubectlCluster;
let nodes: HollowNodes;
let controller: DisruptionController;
let pdbs: ResourceClient<PodDisruptionBudget>;

async function ok(...args: string[]): Promise<string> {
  const r = await cluster.kubectl(args, { version: '1.33' });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const bare = (name: string, node: string, labels: Record<string, string>): Pod =>
  ({ metadata: { name, namespace: 'default', labels }, spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }] } }) as Pod;

async function runningPods(labels: Record<string, string>, names: string[], node: string): Promise<void> {
  for (const n of names) await cluster.admin.pods.create(bare(n, node, labels));
  await eventually(async () => {
    const pods = await Promise.all(names.map((n) => cluster.admin.pods.get(n)));
    return pods.every((p) => p.status?.phase === 'Running');
  }, `pods ${names.join(', ')} running`);
}

/** POST pods/<name>/eviction as kubectl drain does; answers the Status or the refusal. */
function evict(name: string, apiVersion = 'policy/v1'): Promise<unknown> {
  return cluster.admin.pods.createSubresource(name, 'eviction', { apiVersion, kind: 'Eviction', metadata: { name, namespace: 'default' } }, { namespace: 'default' });
}

const budget = (name: string) => eventually(async () => pdbs.get(name, { namespace: 'default' }), `pdb ${name}`);

describe.skipIf(!haveKubectl)('kubectl, PodDisruptionBudgets and eviction', () => {
  beforeAll(async () => {
    cluster = await startKubectlCluster();
    nodes = await startHollowNodes({ client: cluster.admin, count: 2, finishDeletion: true });
    controller = new DisruptionController({ client: cluster.admin });
    await controller.start();
    pdbs = cluster.admin.resourceByName<PodDisruptionBudget>('poddisruptionbudgets', 'policy');
  }, 60_000);

  afterAll(async () => {
    await controller?.stop();
    await nodes?.stop();
    await cluster?.stop();
  });

  it('create pdb and get pdb print as kubectl does; the controller fills the status', async () => {
    await runningPods({ app: 'shown' }, ['shown-0', 'shown-1', 'shown-2'], nodes.names[1] as string);
    expect(await ok('create', 'pdb', 'shown', '--selector=app=shown', '--min-available=2')).toBe('poddisruptionbudget.policy/shown created\n');
    expect(await ok('create', 'pdb', 'shown-max', '--selector=app=shown', '--max-unavailable=34%')).toBe('poddisruptionbudget.policy/shown-max created\n');
    const status = await eventually(async () => {
      const p = await pdbs.get('shown', { namespace: 'default' });
      return p.status?.observedGeneration === p.metadata.generation && p.status?.currentHealthy === 3 ? p.status : undefined;
    }, 'the budget counted');
    expect(status).toMatchObject({ currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1 });
    expect(status.conditions).toEqual([expect.objectContaining({ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' })]);
    // 34% of 3 rounds up to 2 unavailable: 1 desired, 2 allowed.
    await eventually(async () => (await pdbs.get('shown-max', { namespace: 'default' })).status?.disruptionsAllowed === 2, 'the maxUnavailable budget counted');
    const table = (await ok('get', 'pdb')).split('\n');
    expect(table[0]).toMatch(/^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\s*$/);
    expect(table.find((l) => l.startsWith('shown '))).toMatch(/^shown\s+2\s+N\/A\s+1\s+\d+s\s*$/);
    expect(table.find((l) => l.startsWith('shown-max '))).toMatch(/^shown-max\s+N\/A\s+34%\s+2\s+\d+s\s*$/);
    const described = await ok('describe', 'pdb', 'shown');
    expect(described).toMatch(/^Name:\s+shown$/m);
    expect(described).toMatch(/^Min available:\s+2$/m);
    expect(described).toMatch(/^Selector:\s+app=shown$/m);
    expect(described).toMatch(/^Status:\n\s+Allowed disruptions:\s+1\n\s+Current:\s+3\n\s+Desired:\s+2\n\s+Total:\s+3$/m);
    expect(await ok('explain', 'pdb.spec.minAvailable')).toContain('minAvailable');
    await ok('delete', 'pdb', 'shown', 'shown-max');
  });

  it('refuses a bad budget with field paths', async () => {
    const both = await cluster.kubectl(['create', '-f', '-'], {
      version: '1.33',
      stdin: 'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: bad\nspec:\n  minAvailable: 1\n  maxUnavailable: "120%"\n  selector:\n    matchExpressions:\n    - {key: app, operator: In}\n',
    });
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('The PodDisruptionBudget "bad" is invalid');
    expect(both.stderr).toContain('spec: Invalid value');
    expect(both.stderr).toContain('minAvailable and maxUnavailable cannot be both set');
    expect(both.stderr).toContain('spec.maxUnavailable: Invalid value: "120%": must not be greater than 100%');
    expect(both.stderr).toContain("spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'");
  });

  it('evictions spend the budget until it is gone, then 429 with the reason', async () => {
    await runningPods({ app: 'spend' }, ['spend-0', 'spend-1', 'spend-2'], nodes.names[1] as string);
    await pdbs.create({ metadata: { name: 'spend', namespace: 'default' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'spend' } } } }, { namespace: 'default' });
    await eventually(async () => (await budget('spend')).status?.disruptionsAllowed === 2, 'two disruptions allowed');
    expect(await evict('spend-0')).toMatchObject({ kind: 'Status', status: 'Success', code: 201 });
    // policy/v1beta1's Eviction is accepted too.
    expect(await evict('spend-1', 'policy/v1beta1')).toMatchObject({ status: 'Success' });
    const after = await pdbs.get('spend', { namespace: 'default' });
    expect(after.status?.disruptionsAllowed).toBe(0);
    const refused = await evict('spend-2').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    const err = refused as ApiError;
    expect([err.code, err.reason, err.message]).toEqual([429, 'TooManyRequests', EVICTION_REFUSED_MESSAGE]);
    expect(err.details?.causes).toEqual([{ reason: 'DisruptionBudget', message: expect.stringMatching(/^The disruption budget spend needs 1 healthy pods and has \d currently$/) }]);
    // The evicted pods went; the refused one stayed.
    await eventually(async () => (await cluster.admin.pods.list({ labelSelector: 'app=spend' })).items.length === 1, 'two pods evicted');
    expect((await cluster.admin.pods.get('spend-2')).metadata.deletionTimestamp).toBeUndefined();
  });

  it('a pod not yet running is evicted whatever the budget; two budgets are a 500', async () => {
    await pdbs.create({ metadata: { name: 'none-left', namespace: 'default' }, spec: { maxUnavailable: 0, selector: { matchLabels: { app: 'pending' } } } }, { namespace: 'default' });
    // No node: it stays Pending.
    await cluster.admin.pods.create({ metadata: { name: 'pending-0', namespace: 'default', labels: { app: 'pending' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } as Pod);
    expect(await evict('pending-0')).toMatchObject({ status: 'Success' });
    await expect(cluster.admin.pods.get('pending-0')).rejects.toMatchObject({ code: 404 });

    await runningPods({ app: 'twice' }, ['twice-0'], nodes.names[1] as string);
    for (const n of ['twice-a', 'twice-b']) await pdbs.create({ metadata: { name: n, namespace: 'default' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'twice' } } } }, { namespace: 'default' });
    const twice = (await evict('twice-0').catch((e: unknown) => e)) as ApiError;
    expect([twice.code, twice.message]).toEqual([500, 'Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.']);
    const missing = (await evict('nobody').catch((e: unknown) => e)) as ApiError;
    expect([missing.code, missing.message]).toEqual([404, 'pods "nobody" not found']);
    const misnamed = (await cluster.admin.pods.createSubresource('twice-0', 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } }, { namespace: 'default' }).catch((e: unknown) => e)) as ApiError;
    expect([misnamed.code, misnamed.message]).toEqual([400, 'name in URL does not match name in Eviction object']);
    const unnamed = (await cluster.admin.pods.createSubresource('twice-0', 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: {} }, { namespace: 'default' }).catch((e: unknown) => e)) as ApiError;
    expect(unnamed.code).toBe(400);
  });

  it("a maxUnavailable budget expects the scale of the pods' controller: a ReplicaSet's, or its Deployment's", async () => {
    const labels = { app: 'scaled' };
    const template = { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    const deployments = cluster.admin.resourceByName('deployments', 'apps');
    const replicaSets = cluster.admin.resourceByName('replicasets', 'apps');
    const deploy = await deployments.create({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'scaled', namespace: 'default' }, spec: { replicas: 5, selector: { matchLabels: labels }, template } } as never, { namespace: 'default' });
    const owned = (kind: string, o: { metadata: { name?: string; uid?: string } }) => [{ apiVersion: 'apps/v1', kind, name: o.metadata.name ?? '', uid: o.metadata.uid ?? '', controller: true }];
    const rs = await replicaSets.create({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'scaled-1', namespace: 'default', ownerReferences: owned('Deployment', deploy) }, spec: { replicas: 3, selector: { matchLabels: labels }, template } } as never, { namespace: 'default' });
    const alone = await replicaSets.create({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'alone', namespace: 'default' }, spec: { replicas: 4, selector: { matchLabels: { app: 'alone' } }, template: { ...template, metadata: { labels: { app: 'alone' } } } } } as never, { namespace: 'default' });
    const node = nodes.names[1] as string;
    for (const [name, owner, l] of [['scaled-a', rs, labels], ['scaled-b', rs, labels], ['alone-a', alone, { app: 'alone' }]] as const) {
      await cluster.admin.pods.create({ ...bare(name, node, l), metadata: { name, namespace: 'default', labels: l, ownerReferences: owned('ReplicaSet', owner) } });
    }
    await pdbs.create({ metadata: { name: 'scaled', namespace: 'default' }, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } }, { namespace: 'default' });
    await pdbs.create({ metadata: { name: 'alone', namespace: 'default' }, spec: { maxUnavailable: '50%', selector: { matchLabels: { app: 'alone' } } } }, { namespace: 'default' });
    // The Deployment's 5, not the ReplicaSet's 3: 4 must be healthy, 2 are.
    const scaled = await eventually(async () => ((await budget('scaled')).status?.expectedPods === 5 ? (await budget('scaled')).status : undefined), 'the Deployment counted');
    expect(scaled).toMatchObject({ expectedPods: 5, desiredHealthy: 4, currentHealthy: 2, disruptionsAllowed: 0 });
    // A scale of the Deployment alone, no pod coming or going, shows in the budget.
    await deployments.patch('scaled', { spec: { replicas: 7 } }, { namespace: 'default', type: 'merge' });
    await eventually(async () => (await budget('scaled')).status?.expectedPods === 7, 'the new scale counted');
    expect((await budget('scaled')).status).toMatchObject({ expectedPods: 7, desiredHealthy: 6, currentHealthy: 2 });
    // 50% of the ReplicaSet's 4 may be down: 2 must be healthy, 1 is.
    const lone = await eventually(async () => ((await budget('alone')).status?.expectedPods === 4 ? (await budget('alone')).status : undefined), 'the ReplicaSet counted');
    expect(lone).toMatchObject({ expectedPods: 4, desiredHealthy: 2, currentHealthy: 1, disruptionsAllowed: 0 });
    // A pod whose controller has no /scale here: nothing allowed, SyncFailed.
    const stranger = [{ apiVersion: 'example.com/v1', kind: 'Frobnicator', name: 'f', uid: 'f-uid', controller: true }];
    await cluster.admin.pods.create({ ...bare('alone-b', node, { app: 'alone' }), metadata: { name: 'alone-b', namespace: 'default', labels: { app: 'alone' }, ownerReferences: stranger } });
    const failed = await eventually(async () => (await budget('alone')).status?.conditions?.find((c) => c.reason === 'SyncFailed'), 'the budget failing safe');
    expect(failed).toMatchObject({ type: 'DisruptionAllowed', status: 'False', message: 'found no controllers for pod "alone-b"' });
    expect((await budget('alone')).status?.disruptionsAllowed).toBe(0);
  });

  it('kubectl drain evicts every pod of the node, waiting on the budget until replacements are healthy', async () => {
    const [drained, other] = nodes.names as [string, string];
    const labels = { app: 'web' };
    await runningPods(labels, ['web-0', 'web-1', 'web-2'], drained);
    await pdbs.create({ metadata: { name: 'web', namespace: 'default' }, spec: { minAvailable: 2, selector: { matchLabels: labels } } }, { namespace: 'default' });
    await eventually(async () => (await budget('web')).status?.disruptionsAllowed === 1, 'one disruption allowed');

    // What a ReplicaSet controller would do: keep 3 pods, the new ones on the other node.
    // Meanwhile count the healthy ones on every change: the budget says never fewer than 2.
    const watched = new Informer(listWatch(cluster.admin.pods, { labelSelector: 'app=web' }));
    const healthy = () => watched.list('default').filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    let fewest = 3;
    let made = 0;
    const replace = async () => {
      const live = watched.list('default').filter((p) => !p.metadata.deletionTimestamp).length;
      for (let i = live; i < 3; i++) await cluster.admin.pods.create(bare(`web-r${made++}`, other, labels)).catch(() => undefined);
    };
    const onChange = () => {
      fewest = Math.min(fewest, healthy());
      void replace();
    };
    watched.on('update', onChange);
    watched.on('delete', onChange);
    await watched.start();
    try {
      const r = await cluster.kubectl(['drain', drained, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=100s'], { version: '1.33', timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`node/${drained} cordoned`);
      for (const p of ['web-0', 'web-1', 'web-2']) expect(r.stdout).toContain(`pod/${p} evicted`);
      expect(r.stdout).toContain(`node/${drained} drained`);
      // The budget held the drain back at least once, with the server's reason.
      expect(r.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
      expect(fewest).toBeGreaterThanOrEqual(2);
      expect((await cluster.admin.pods.list({ fieldSelector: `spec.nodeName=${drained}` })).items).toEqual([]);
      expect((await cluster.admin.nodes.get(drained)).spec?.unschedulable).toBe(true);
    } finally {
      await watched.stop();
    }
  }, 150_000);
});
