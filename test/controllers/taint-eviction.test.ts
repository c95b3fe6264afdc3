// NoExecute taint eviction against a real API server process (its
// --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds
// shortened), real etcd, hollow nodes, the node lifecycle controller and the taint eviction
// controller: a pod that does not tolerate a NoExecute taint goes at once, one that tolerates
// it for some seconds goes after them, one that tolerates it forever stays, and a timer is
// cancelled when the taint goes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod, Toleration } from '../../api/types/core.js';
import { RestClient } from '../../client/rest.js';
import { NodeLifecycleController } from '../../controllers/node-lifecycle/controller.js';
import { TaintEvictionController } from '../../controllers/taint-eviction/controller.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { eventually } from '../fixtures/eventually.js';
import { startHollowNodes, type HollowNodes } from '../fixtures/hollow-nodes.js';

describe('NoExecute taint eviction', () => {
  let etcd: EtcdFixture;
  let api: ApiServerFixture;
  let admin: RestClient;
  let nodes: HollowNodes;
  let lifecycle: NodeLifecycleController;
  let evictions: TaintEvictionController;

  beforeAll(async () => {
    etcd = await startEtcd();
    api = await startApiServer({ etcd, defaultTolerationSeconds: { notReady: 2, unreachable: 3 } });
    admin = new RestClient({ server: api.url, token: api.adminToken, namespace: 'default' });
    nodes = await startHollowNodes({ client: admin, count: 3, finishDeletion: true });
    lifecycle = new NodeLifecycleController({ client: admin, monitorPeriodMs: 200 });
    evictions = new TaintEvictionController({ client: admin });
    await lifecycle.start();
    await evictions.start();
  }, 60_000);

  afterAll(async () => {
    await evictions?.stop();
    await lifecycle?.stop();
    await nodes?.stop();
    admin?.close();
    await api?.stop();
    await etcd?.stop();
  });

  const place = async (name: string, node: string, tolerations?: Toleration[]): Promise<Pod> => {
    const pod = await admin.pods.create({ metadata: { name, namespace: 'default' }, spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }], ...(tolerations ? { tolerations } : {}) } } as Pod);
    await eventually(async () => (await admin.pods.get(name)).status?.phase === 'Running', `${name} running`);
    return pod;
  };
  const gone = (name: string) => eventually(async () => admin.pods.get(name).then(() => false, (e: { code?: number }) => e.code === 404), `${name} deleted`, 30_000);
  const exists = async (name: string) => (await admin.pods.get(name)).metadata.deletionTimestamp === undefined;

  it("gives pods the API server's default toleration seconds, and a NotReady node's pods go after them unless they tolerate it forever", async () => {
    const node = nodes.names[0] as string;
    const plain = await place('plain', node);
    expect(plain.spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 3 },
    ]);
    await place('forever', node, [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }]);

    await nodes.setReady(node, 'False');
    const tainted = await eventually(async () => (await admin.nodes.get(node)).spec?.taints?.find((t) => t.effect === 'NoExecute'), 'the not-ready NoExecute taint');
    expect(tainted).toMatchObject({ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' });
    await gone('plain');
    expect(await exists('forever')).toBe(true);
  });

  it('an unreachable node: its pods go after the unreachable seconds', async () => {
    const node = nodes.names[1] as string;
    await place('far', node);
    await nodes.setReady(node, 'Unknown');
    await eventually(async () => (await admin.nodes.get(node)).spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute'), 'the unreachable NoExecute taint');
    await gone('far');
  });

  it('deletes a pod that does not tolerate a NoExecute taint at once, and cancels a timer when the taint goes', async () => {
    const node = nodes.names[2] as string;
    const dedicated: Toleration = { key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoExecute' };
    await place('intolerant', node);
    await place('patient', node, [{ ...dedicated, tolerationSeconds: 6 }]);
    await place('brief', node, [{ ...dedicated, tolerationSeconds: 1 }]);
    await admin.nodes.patch(node, { spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] } });
    await gone('intolerant');
    await gone('brief');
    // The taint goes before `patient`'s 6 s run out: its eviction is called off.
    await admin.nodes.patch(node, { spec: { taints: [] } });
    await eventually(async () => {
      const evs = await admin.events.list({ fieldSelector: 'involvedObject.name=patient' });
      return evs.items.some((e) => e.reason === 'TaintManagerEviction' && e.message === 'Cancelling deletion of Pod default/patient');
    }, 'the cancellation event');
    // Long past its 6 s: a pod placed now with 7 s on the NotReady node goes, and `patient` is still there.
    await place('witness', nodes.names[0] as string, [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 7 }]);
    await gone('witness');
    expect(await exists('patient')).toBe(true);
  }, 60_000);
});
