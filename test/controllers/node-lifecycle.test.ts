// The node lifecycle controller against a real API server on a real etcd: a node that stops
// renewing its lease goes Ready=Unknown with the unreachable taints and its pods go
// Ready=False; when its kubelet speaks again the taints go.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node, Pod } from '../../api/types/core.js';
import type { Lease } from '../../api/types/coordination.js';
import { RestClient } from '../../client/rest.js';
import { NodeLifecycleController } from '../../controllers/node-lifecycle/controller.js';
import { TAINT_UNREACHABLE } from '../../controllers/node-lifecycle/health.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { eventually as eventuallyWithin } from '../fixtures/eventually.js';

const eventually = <T>(f: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000) => eventuallyWithin(f, what, timeoutMs);

describe('node lifecycle controller', () => {
  let etcd: EtcdFixture;
  let api: ApiServerFixture;
  let admin: RestClient;
  let ctrl: NodeLifecycleController;
  const node = `lc-${process.pid}`;

  beforeAll(async () => {
    etcd = await startEtcd();
    api = await startApiServer({ etcd, inProcess: true, nodes: [node] });
    admin = new RestClient({ server: api.url, token: api.adminToken, namespace: 'default' });
  });
  afterAll(async () => {
    await ctrl?.stop();
    admin?.close();
    await api?.stop();
    await etcd?.stop();
  });

  it('marks a silent node Unknown and tainted, its pods not ready, and untaints it when it returns', async () => {
    const kubelet = new RestClient({ server: api.url, token: api.nodeToken(node), namespace: 'default' });
    try {
      const now = () => new Date().toISOString();
      await kubelet.nodes.create({ metadata: { name: node }, spec: {}, status: {} } as Node);
      const readyStatus = async () => {
        const n = await kubelet.nodes.get(node);
        await kubelet.nodes.updateStatus({
          ...n,
          status: { ...n.status, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now(), lastTransitionTime: now() }] },
        });
      };
      await readyStatus();
      const lease = await kubelet.leases.create(
        { metadata: { name: node, namespace: 'kube-node-lease' }, spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime: now() } } as Lease,
        { namespace: 'kube-node-lease' },
      );
      await admin.pods.create({ metadata: { name: 'p1', namespace: 'default' }, spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }] } } as Pod);
      await admin.pods.patchStatus('p1', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, { namespace: 'default', type: 'merge' });

      ctrl = new NodeLifecycleController({ client: admin, gracePeriodMs: 1500, monitorPeriodMs: 200 });
      await ctrl.start();

      // The kubelet stops renewing: Unknown, tainted, pods not ready.
      const silent = await eventually(async () => {
        const n = await admin.nodes.get(node);
        return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown' && n.spec?.taints?.length === 2 && n;
      }, 'node Ready=Unknown with taints');
      expect(silent.spec?.taints?.map((t) => `${t.key}:${t.effect}`).sort()).toEqual([`${TAINT_UNREACHABLE}:NoExecute`, `${TAINT_UNREACHABLE}:NoSchedule`]);
      expect(silent.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('NodeStatusUnknown');
      const pod = await eventually(async () => {
        const p = await admin.pods.get('p1', { namespace: 'default' });
        return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False' && p;
      }, 'pod Ready=False');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('NodeNotReady');
      const events = await admin.events.list({ namespace: 'default', fieldSelector: `involvedObject.name=${node}` });
      expect(events.items.map((e) => e.reason)).toContain('NodeNotReady');

      // The kubelet comes back: renews its lease and posts Ready=True; the taints go.
      await kubelet.leases.update({ ...(await kubelet.leases.get(node, { namespace: 'kube-node-lease' })), spec: { ...lease.spec, renewTime: now() } }, { namespace: 'kube-node-lease' });
      await readyStatus();
      await eventually(async () => {
        const n = await admin.nodes.get(node);
        return (n.spec?.taints ?? []).length === 0 && n;
      }, 'taints removed');
    } finally {
      kubelet.close();
    }
  });
});
