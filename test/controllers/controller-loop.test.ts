// The controllers' scaffolding (controllers/controller-loop.ts) against a real API server on a
// real etcd: keys that come before every cache of the loop is full wait for them, its own
// informers stop with it while the controller-manager's shared ones go on, and its events are
// written by the time stop() resolves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigMap, Secret } from '../../api/types/core.js';
import type { KubeObject } from '../../api/types/meta.js';
import { listWatch, type ListWatch } from '../../client/informer.js';
import type { RestClient} from '../../client/rest.js';
import { type ResourceClient } from '../../client/rest.js';
import { ControllerLoop } from '../../controllers/controller-loop.js';
import { SharedInformers } from '../../controllers/shared-informers.js';
import { startApiCluster, type ApiCluster } from '../fixtures/apiserver.js';
import { eventually } from '../fixtures/eventually.js';

const ns = 'loop';

describe('controller loop against an API server', () => {
  let cluster: ApiCluster;
  let admin: RestClient;
  let configMaps: ResourceClient<ConfigMap>;
  let secrets: ResourceClient<Secret>;
  const configMap = (name: string) => configMaps.create({ metadata: { name, namespace: ns }, data: { a: '1' } } as ConfigMap, { namespace: ns });

  beforeAll(async () => {
    cluster = await startApiCluster({ namespace: ns });
    admin = cluster.client(cluster.api.adminToken, { namespace: ns });
    configMaps = admin.resourceByName<ConfigMap>('configmaps');
    secrets = admin.resourceByName<Secret>('secrets');
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('holds back the keys that come before every cache is full, then syncs each on full caches', async () => {
    await configMap('early-1');
    await configMap('early-2');
    await secrets.create({ metadata: { name: 'late', namespace: ns }, stringData: { k: 'v' } } as Secret, { namespace: ns });
    // The secrets' first list waits for the gate: the ConfigMaps' adds come while that cache is empty.
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const gated = <T extends KubeObject>(r: ResourceClient<T>): ListWatch<T> => {
      const lw = listWatch(r);
      return r.info.plural !== 'secrets' ? lw : { ...lw, list: async (signal) => gate.then(() => lw.list(signal)) };
    };
    const informers = new SharedInformers({ listWatch: gated });
    const seen: { key: string; secrets: number }[] = [];
    const loop: ControllerLoop = new ControllerLoop({
      client: admin,
      informers,
      name: 'test-controller',
      sync: async (key) => void seen.push({ key, secrets: secretCache.list(ns).length }),
    });
    const configMapCache = loop.informer(configMaps, { add: (cm) => loop.enqueue(cm) });
    const secretCache = loop.informer(secrets);
    try {
      const started = loop.start();
      await eventually(() => configMapCache.list(ns).length >= 2, 'the ConfigMaps in their cache');
      await loop.idle();
      expect(loop.hasSynced).toBe(false);
      expect(seen).toEqual([]);

      open();
      await started;
      await loop.idle();
      expect(seen.map((s) => s.key).sort()).toEqual([`${ns}/early-1`, `${ns}/early-2`]);
      expect(seen.every((s) => s.secrets === 1)).toBe(true);
    } finally {
      await loop.stop();
      await informers.stop();
    }
  });

  it('stops its own informers; the shared ones go on; its events are written when stop() resolves', async () => {
    const shared = new SharedInformers();
    const withShared = new ControllerLoop({ client: admin, informers: shared, name: 'shared-controller' });
    const sharedConfigMaps = withShared.informer(configMaps);
    const alone = new ControllerLoop({ client: admin, name: 'lone-controller' });
    const ownConfigMaps = alone.informer(configMaps);
    try {
      await Promise.all([withShared.start(), alone.start()]);
      const cm = await configMap('before-stop');
      await eventually(() => ownConfigMaps.get('before-stop', ns) && sharedConfigMaps.get('before-stop', ns), 'both caches to have the ConfigMap');

      alone.events.event({ apiVersion: 'v1', kind: 'ConfigMap', name: cm.metadata.name, namespace: ns, uid: cm.metadata.uid }, 'Normal', 'LoopStopping', 'written before stop resolves');
      await Promise.all([alone.stop(), withShared.stop()]);
      const events = await admin.events.list({ namespace: ns, fieldSelector: 'reason=LoopStopping' });
      expect(events.items.map((e) => [e.source?.component, e.message])).toEqual([['lone-controller', 'written before stop resolves']]);

      // The shared informer still watches after its loop stopped; the loop's own one does not.
      await configMap('after-stop');
      await eventually(() => sharedConfigMaps.get('after-stop', ns), 'the shared cache to have the new ConfigMap');
      expect(ownConfigMaps.get('after-stop', ns)).toBeUndefined();
    } finally {
      await alone.stop();
      await withShared.stop();
      await shared.stop();
    }
  });
});
