// The ServiceAccount controller against a real API server on a real etcd, with the
// controller-manager's own token (so its bootstrap role is proven too): every namespace has
// `default`, one deleted comes back, one missing when the controller starts is made.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isApiError } from '../../api/errors.js';
import type { ServiceAccount } from '../../api/types/core.js';
import type { RestClient } from '../../client/rest.js';
import { ServiceAccountController } from '../../controllers/service-account/controller.js';
import { startApiCluster, type ApiCluster } from '../fixtures/apiserver.js';
import { eventually } from '../fixtures/eventually.js';

describe('ServiceAccount controller', () => {
  let cluster: ApiCluster;
  let admin: RestClient;
  let manager: RestClient;
  let ctrl: ServiceAccountController | undefined;

  const defaultIn = (namespace: string) => admin.serviceAccounts.get('default', { namespace }).catch((e: unknown) => (isApiError(e, 'NotFound') ? undefined : Promise.reject(e)));

  beforeAll(async () => {
    cluster = await startApiCluster();
    admin = cluster.admin;
    manager = cluster.client(cluster.api.controllerManagerToken);
  });
  afterAll(async () => {
    await ctrl?.stop();
    await cluster?.stop();
  });

  it('makes default in a namespace that lacks it when it starts, in a new namespace, and again when it is deleted', async () => {
    // A namespace whose default is gone before the controller runs (as one made before it existed).
    await admin.namespaces.create({ metadata: { name: 'before' } });
    await admin.serviceAccounts.delete('default', { namespace: 'before' });
    expect(await defaultIn('before')).toBeUndefined();

    ctrl = new ServiceAccountController({ client: manager });
    await ctrl.start();
    const made = await eventually(() => defaultIn('before'), 'default in namespace before', 15_000);
    expect(made.metadata.namespace).toBe('before');

    await admin.namespaces.create({ metadata: { name: 'later' } });
    await eventually(() => defaultIn('later'), 'default in namespace later', 15_000);

    // Deleted: the controller sees the delete and makes it again, a new object (another uid).
    const uid = (await defaultIn('later'))?.metadata.uid;
    await admin.serviceAccounts.delete('default', { namespace: 'later' });
    const again = await eventually(async () => {
      const sa = await defaultIn('later');
      return sa && sa.metadata.uid !== uid ? sa : undefined;
    }, 'default made again in namespace later', 15_000);
    expect(again.metadata.name).toBe('default');

    // The initial namespaces have theirs, and other ServiceAccounts are left alone.
    for (const ns of ['default', 'kube-system', 'kube-node-lease', 'kube-public']) expect(await defaultIn(ns)).toBeDefined();
    await admin.serviceAccounts.create({ metadata: { name: 'builder', namespace: 'later' } } as ServiceAccount, { namespace: 'later' });
    await admin.serviceAccounts.delete('builder', { namespace: 'later' });
    await ctrl.idle();
    await expect(admin.serviceAccounts.get('builder', { namespace: 'later' })).rejects.toMatchObject({ code: 404 });
  });

  it('the controller-manager may create ServiceAccounts, but no other kind that its controllers do not make', async () => {
    // Reads, updates and deletes of every kind are the garbage collector's role.
    expect((await manager.serviceAccounts.get('default', { namespace: 'later' })).metadata.name).toBe('default');
    const secret = await manager.resourceByName('secrets').create({ metadata: { name: 'made', namespace: 'later' } }, { namespace: 'later' }).catch((e: unknown) => e);
    expect(secret).toMatchObject({ code: 403 });
  });
});
