// The root CA publisher against a real API server on a real etcd, with the controller-manager's
// own token: every namespace gets kube-root-ca.crt holding the CA, a new namespace too, and one
// deleted or changed is put back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isApiError } from '../../api/errors.js';
import type { ConfigMap } from '../../api/types/core.js';
import type { RestClient } from '../../client/rest.js';
import { RootCAPublisher } from '../../controllers/root-ca/controller.js';
import { DESCRIPTION, DESCRIPTION_ANNOTATION } from '../../controllers/root-ca/plan.js';
import { startApiCluster, type ApiCluster } from '../fixtures/apiserver.js';
import { eventually } from '../fixtures/eventually.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBdGVzdCBjYQ==\n-----END CERTIFICATE-----\n';

describe('root CA publisher', () => {
  let cluster: ApiCluster;
  let admin: RestClient;
  let manager: RestClient;
  let publisher: RootCAPublisher | undefined;

  const configMaps = () => admin.resourceByName<ConfigMap>('configmaps', '');
  const rootCAIn = (namespace: string) => configMaps().get('kube-root-ca.crt', { namespace }).catch((e: unknown) => (isApiError(e, 'NotFound') ? undefined : Promise.reject(e)));
  const publishedIn = async (namespace: string, notUid?: string) => {
    const cm = await rootCAIn(namespace);
    return cm?.data?.['ca.crt'] === CA && cm.metadata.uid !== notUid ? cm : undefined;
  };

  beforeAll(async () => {
    cluster = await startApiCluster();
    admin = cluster.admin;
    manager = cluster.client(cluster.api.controllerManagerToken);
  });
  afterAll(async () => {
    await publisher?.stop();
    await cluster?.stop();
  });

  it('publishes the CA in every namespace, a new one too, and puts it back when deleted or changed', async () => {
    publisher = new RootCAPublisher({ client: manager, rootCA: CA });
    await publisher.start();
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const cm = await eventually(() => publishedIn(ns), `kube-root-ca.crt in ${ns}`, 15_000);
      expect(cm.metadata.annotations?.[DESCRIPTION_ANNOTATION]).toBe(DESCRIPTION);
      expect(Object.keys(cm.data ?? {})).toEqual(['ca.crt']);
    }

    await admin.namespaces.create({ metadata: { name: 'later' } });
    const first = await eventually(() => publishedIn('later'), 'kube-root-ca.crt in a new namespace', 15_000);

    await configMaps().delete('kube-root-ca.crt', { namespace: 'later' });
    await eventually(() => publishedIn('later', first.metadata.uid), 'kube-root-ca.crt made again', 15_000);

    const current = (await rootCAIn('later')) as ConfigMap;
    await configMaps().update({ ...current, data: { 'ca.crt': 'forged', extra: 'x' } }, { namespace: 'later' });
    const back = await eventually(async () => {
      const cm = await rootCAIn('later');
      return cm?.data?.['ca.crt'] === CA && Object.keys(cm.data ?? {}).length === 1 ? cm : undefined;
    }, 'kube-root-ca.crt put back', 15_000);
    expect(back.metadata.uid).toBe(current.metadata.uid);
  });
});
