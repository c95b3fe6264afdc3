// The controller runtime's pieces that talk to the API server, against a real one on a real
// etcd: claiming pods for an owner (adopt, release, leave alone, refuse for a stale owner) and
// one informer per resource shared by several controllers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelSelectorFromSet } from '../../api/selectors/labels.js';
import type { ConfigMap, Pod } from '../../api/types/core.js';
import type { KubeObject } from '../../api/types/meta.js';
import type { RestClient } from '../../client/rest.js';
import { claimObjects, controllerRefOf, recheckOwner, type OwnerKind } from '../../controllers/controller-ref.js';
import { SharedInformers } from '../../controllers/shared-informers.js';
import { startApiCluster, type ApiCluster } from '../fixtures/apiserver.js';
import { eventually } from '../fixtures/eventually.js';

const ns = 'claims';
// Any kind can own pods; a ConfigMap stands in for a ReplicaSet so that this suite tests only the claiming.
const kind: OwnerKind = { apiVersion: 'v1', kind: 'ConfigMap' };

describe('controller runtime against an API server', () => {
  let cluster: ApiCluster;
  let admin: RestClient;

  beforeAll(async () => {
    cluster = await startApiCluster({ namespace: ns });
    admin = cluster.client(cluster.api.adminToken, { namespace: ns });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const makePod = (name: string, labels: Record<string, string>, ownerReferences?: Pod['metadata']['ownerReferences']) =>
    admin.pods.create({ metadata: { name, labels, ownerReferences }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const owner = (name: string) => admin.resourceByName<ConfigMap>('configmaps', '').create({ metadata: { name } });
  const claimFor = (o: KubeObject, pods: Pod[], selector = { app: 'web' }) =>
    claimObjects(pods, {
      owner: o,
      ownerKind: kind,
      selector: labelSelectorFromSet(selector),
      resource: admin.pods,
      canAdopt: () => recheckOwner(o, kind, () => admin.resourceByName('configmaps', '').get(o.metadata.name ?? '')),
    });

  it('adopts matching orphans, releases its pods that stopped matching, leaves the rest alone', async () => {
    const web = await owner('web');
    const other = await owner('other');
    const orphan = await makePod('orphan', { app: 'web' });
    const unrelated = await makePod('unrelated', { app: 'db' });
    const theirs = await makePod('theirs', { app: 'web' }, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'other', uid: other.metadata.uid ?? '', controller: true }]);
    const strayed = await makePod('strayed', { app: 'moved' }, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'web', uid: web.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }]);
    const kept = await makePod('kept', { app: 'web' }, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'web', uid: web.metadata.uid ?? '', controller: true }]);

    const { claimed, errors } = await claimFor(web, [orphan, unrelated, theirs, strayed, kept]);
    expect(errors).toEqual([]);
    expect(claimed.map((p) => p.metadata.name)).toEqual(['orphan', 'kept']);

    const adopted = await admin.pods.get('orphan');
    expect(adopted.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', name: 'web', uid: web.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect((await admin.pods.get('strayed')).metadata.ownerReferences ?? []).toEqual([]);
    expect((await admin.pods.get('unrelated')).metadata.ownerReferences).toBeUndefined();
    expect(controllerRefOf(await admin.pods.get('theirs'))?.uid).toBe(other.metadata.uid);
  });

  it('a stale owner (deleted, its name taken by a new object) or one being deleted adopts nothing', async () => {
    const stale = await owner('stale');
    await admin.resourceByName('configmaps', '').delete('stale');
    await owner('stale');
    const pod = await makePod('wanted', { app: 'stale' });
    const res = await claimFor(stale, [pod], { app: 'stale' });
    expect(res.claimed).toEqual([]);
    expect(String(res.errors[0])).toMatch(/original ConfigMap claims\/stale is gone: got uid .*, wanted /);
    expect((await admin.pods.get('wanted')).metadata.ownerReferences).toBeUndefined();

    const leaving = await owner('leaving');
    const deleting = { ...leaving, metadata: { ...leaving.metadata, deletionTimestamp: new Date().toISOString() } };
    const mine = await makePod('mine', { app: 'moved' }, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'leaving', uid: leaving.metadata.uid ?? '', controller: true }]);
    const orphan = await makePod('orphan-2', { app: 'leaving' });
    const res2 = await claimFor(deleting, [mine, orphan], { app: 'leaving' });
    expect(res2).toEqual({ claimed: [], errors: [] });
    expect((await admin.pods.get('orphan-2')).metadata.ownerReferences).toBeUndefined();
    // Not released either: the garbage collector deals with a going owner's dependents.
    expect(controllerRefOf(await admin.pods.get('mine'))?.uid).toBe(leaving.metadata.uid);
  });

  it('hands every controller the same informer of a resource, listed and watched once', async () => {
    const shared = new SharedInformers();
    const forReplicaSets = shared.informer(admin.pods);
    const forGarbageCollector = shared.informer(admin.pods);
    expect(forGarbageCollector).toBe(forReplicaSets);
    expect(shared.informer(admin.resourceByName('configmaps', ''))).not.toBe(forReplicaSets);
    const seenByBoth: string[] = [];
    forReplicaSets.on('add', (p) => seenByBoth.push(`rs:${p.metadata.name}`));
    forGarbageCollector.on('add', (p) => seenByBoth.push(`gc:${p.metadata.name}`));
    await shared.start();
    expect(shared.hasSynced).toBe(true);
    await makePod('late', { app: 'late' });
    await eventually(() => seenByBoth.includes('rs:late') && seenByBoth.includes('gc:late'), 'both handlers to see the new pod', 10_000);
    expect(forReplicaSets.get('late', ns)?.metadata.labels).toEqual({ app: 'late' });
    await shared.stop();
  });
});
