// The pod garbage collector against a real API server on a real etcd with hollow nodes, run
// with the controller-manager's own identity (its rights are what the authorizer gives it):
// terminated pods over the threshold go oldest first; a pod bound to a node that does not exist
// goes only after the quarantine, marked Failed with DisruptionTarget DeletionByPodGC; a pod
// being deleted on a NotReady out-of-service node and an unscheduled pod being deleted are
// finished off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { RestClient } from '../../client/rest.js';
import { PodGcController } from '../../controllers/pod-gc/controller.js';
import { TAINT_OUT_OF_SERVICE } from '../../controllers/pod-gc/plan.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { eventually } from '../fixtures/eventually.js';
import { HOLLOW_EXIT, startHollowNodes, type HollowNodes } from '../fixtures/hollow-nodes.js';

describe('pod garbage collector', () => {
  let etcd: EtcdFixture;
  let api: ApiServerFixture;
  let admin: RestClient;
  let manager: RestClient;
  let nodes: HollowNodes;
  let gc: PodGcController;
  let clock = Date.now();
  const QUARANTINE_MS = 3_600_000;

  beforeAll(async () => {
    etcd = await startEtcd();
    api = await startApiServer({ etcd, inProcess: true });
    admin = new RestClient({ server: api.url, token: api.adminToken, namespace: 'default' });
    manager = new RestClient({ server: api.url, token: api.controllerManagerToken, namespace: 'default' });
    nodes = await startHollowNodes({ client: admin, count: 2 });
    // The quarantine runs on an injected clock, so a test decides when it is over.
    gc = new PodGcController({ client: manager, terminatedPodThreshold: 2, periodMs: 100, quarantineMs: QUARANTINE_MS, now: () => clock });
    await gc.start();
  }, 60_000);

  afterAll(async () => {
    await gc?.stop();
    await nodes?.stop();
    manager?.close();
    admin?.close();
    await api?.stop();
    await etcd?.stop();
  });

  const create = (name: string, spec: Partial<Pod['spec']>, meta: Partial<Pod['metadata']> = {}) =>
    admin.pods.create({ metadata: { name, namespace: 'default', ...meta }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } } as Pod);
  const gone = (name: string) => eventually(async () => admin.pods.get(name).then(() => false, (e: { code?: number }) => e.code === 404), `${name} deleted`);
  const morePasses = async (n: number) => {
    const target = gc.passes + n;
    await eventually(() => gc.passes >= target, `${n} more pod-gc passes`);
  };

  it('deletes terminated pods over the threshold, the oldest first, and never a running one', async () => {
    const node = nodes.names[0] as string;
    for (const name of ['done-1', 'done-2', 'done-3', 'done-4']) {
      await create(name, { nodeName: node, restartPolicy: 'Never' }, { annotations: { [HOLLOW_EXIT]: 'Succeeded' } });
      await eventually(async () => (await admin.pods.get(name)).status?.phase === 'Succeeded', `${name} succeeded`);
    }
    await create('running', { nodeName: node });
    await gone('done-1');
    await gone('done-2');
    await morePasses(3);
    const left = (await admin.pods.list({ namespace: 'default' })).items.map((p) => p.metadata.name).sort();
    expect(left).toEqual(['done-3', 'done-4', 'running']);
    for (const name of left) await admin.pods.delete(name ?? '', { gracePeriodSeconds: 0 });
  });

  it('keeps the pods of a missing node through the quarantine, then marks them Failed with DisruptionTarget and deletes them', async () => {
    const seen: Pod[] = [];
    const abort = new AbortController();
    const watch = await admin.pods.watch({ namespace: 'default', fieldSelector: 'metadata.name=orphan', signal: abort.signal });
    const collecting = (async () => {
      try {
        for await (const ev of watch) {
          if (ev.type === 'MODIFIED' || ev.type === 'DELETED') seen.push(ev.object as Pod);
          if (ev.type === 'DELETED') break;
        }
      } catch {
        // aborted
      }
    })();
    await create('orphan', { nodeName: `ghost-${process.pid}` });
    await morePasses(3);
    expect((await admin.pods.get('orphan')).metadata.deletionTimestamp).toBeUndefined();

    clock += QUARANTINE_MS + 1;
    await gone('orphan');
    await collecting;
    abort.abort();
    const failed = seen.find((p) => p.status?.phase === 'Failed');
    expect(failed?.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' });
    expect(failed?.status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.lastTransitionTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('finishes a terminating pod on a NotReady node with the out-of-service taint, and an unscheduled terminating pod', async () => {
    const node = nodes.names[1] as string;
    await create('stuck', { nodeName: node });
    await eventually(async () => (await admin.pods.get('stuck')).status?.phase === 'Running', 'stuck running');
    await admin.pods.delete('stuck', { gracePeriodSeconds: 3600 });
    await nodes.setReady(node, 'False');
    await morePasses(3);
    expect((await admin.pods.get('stuck')).metadata.deletionTimestamp).toBeDefined();
    await admin.nodes.patch(node, { spec: { taints: [{ key: TAINT_OUT_OF_SERVICE, value: 'nodeshutdown', effect: 'NoExecute' }] } }, { type: 'merge' });
    await gone('stuck');

    // A finalizer holds the unscheduled pod, so what PodGC did stays to be seen: Failed, deleted with grace 0.
    await create('unscheduled', {}, { finalizers: ['skiff.dev/test-hold'] });
    await admin.pods.delete('unscheduled');
    const failed = await eventually(async () => {
      const p = await admin.pods.get('unscheduled');
      return p.status?.phase === 'Failed' && p;
    }, 'unscheduled pod Failed');
    expect(failed.metadata.deletionGracePeriodSeconds).toBe(0);
    await admin.pods.patch('unscheduled', { metadata: { finalizers: null } }, { type: 'merge' });
    await gone('unscheduled');
  });
});
