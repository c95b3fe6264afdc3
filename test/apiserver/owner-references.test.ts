// OwnerReferencesPermissionEnforcement against the real API server: changing an object's
// ownerReferences takes the right to delete it, and a blockOwnerDeletion reference the right
// to update the owner's finalizers; a create may name owners freely, but not block them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OwnerReference } from '../../api/types/meta.js';
import { RestClient } from '../../client/rest.js';
import { startApiCluster, type ApiCluster } from '../fixtures/apiserver.js';

describe('OwnerReferencesPermissionEnforcement', () => {
  let cluster: ApiCluster;
  let admin: RestClient;
  const as = (token: string) => new RestClient({ server: cluster.api.url, token, namespace: 'default' });
  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

  beforeAll(async () => {
    cluster = await startApiCluster();
    admin = as(cluster.api.adminToken);
  });
  afterAll(async () => {
    admin?.close();
    await cluster?.stop();
  });

  it('a create may name an owner, but blocking it takes update of the owner’s finalizers', async () => {
    const owner = await admin.resourceByName('configmaps').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner', namespace: 'default' } });
    const ref = (extra: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid ?? '', ...extra });
    const cm = as(cluster.api.controllerManagerToken);
    const sa = (name: string, ownerReferences: OwnerReference[]) => cm.serviceAccounts.create({ metadata: { name, namespace: 'default', ownerReferences } } as never);
    expect((await sa('free', [ref()])).metadata.ownerReferences).toEqual([ref()]);
    const refused = await failure(sa('blocking', [ref({ blockOwnerDeletion: true })]));
    expect(refused).toMatchObject({ code: 403, reason: 'Forbidden' });
    expect((refused as Error).message).toMatch(/^serviceaccounts "blocking" is forbidden: cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on: /);
    // A kind the server does not serve cannot be blocked either.
    const unknown = await failure(admin.resourceByName('configmaps').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w', namespace: 'default', ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'u', blockOwnerDeletion: true }] } }));
    expect((unknown as Error).message).toContain('cannot set blockOwnerDeletion in this case because cannot find RESTMapping for APIVersion example.com/v1 Kind Widget');
    // The controller-manager may delete the object, so it may change its references (the garbage collector does).
    const patched = await cm.serviceAccounts.patch('free', { metadata: { ownerReferences: null } }, { namespace: 'default' });
    expect(patched.metadata.ownerReferences).toBeUndefined();
    cm.close();
  });

  it('changing the references of an object takes the right to delete it', async () => {
    // The scheduler writes events but may not delete them.
    const scheduler = as(cluster.api.schedulerToken);
    const owner = await admin.namespaces.get('default');
    const event = await scheduler.events.create({ metadata: { name: 'e1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Scheduled', message: 'm', type: 'Normal' } as never, { namespace: 'default' });
    const refs = [{ apiVersion: 'v1', kind: 'Namespace', name: 'default', uid: owner.metadata.uid ?? '' }];
    const refused = await failure(scheduler.events.patch('e1', { metadata: { ownerReferences: refs } }, { namespace: 'default' }));
    expect(refused).toMatchObject({ code: 403 });
    expect((refused as Error).message).toMatch(/^events "e1" is forbidden: cannot set an ownerRef on a resource you can't delete: /);
    // Other changes are not its business.
    expect((await scheduler.events.patch('e1', { message: 'changed' }, { namespace: 'default' })).metadata.uid).toBe(event.metadata.uid);
    scheduler.close();
  });

  it('a node may reference its Node from its Lease, but not block the Node', async () => {
    const node = as(cluster.api.nodeToken('node-1'));
    const made = await admin.nodes.create({ metadata: { name: 'node-1' } } as never);
    const ref = { apiVersion: 'v1', kind: 'Node', name: 'node-1', uid: made.metadata.uid ?? '' };
    const lease = (ownerReferences: OwnerReference[]) => node.leases.create({ metadata: { name: 'node-1', namespace: 'kube-node-lease', ownerReferences }, spec: { holderIdentity: 'node-1' } } as never, { namespace: 'kube-node-lease' });
    expect(await failure(lease([{ ...ref, blockOwnerDeletion: true }]))).toMatchObject({ code: 403 });
    expect((await lease([ref])).metadata.ownerReferences).toEqual([ref]);
    node.close();
  });
});
