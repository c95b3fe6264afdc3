// The kubelet against a real API server on a real etcd, with the fake CRI runtime in
// process (the real runtime has its own suites): registration and lease, pods from the
// watch to Running in the API, admission rejection, graceful deletion ending in the object's
// removal, re-adoption after a restart, and cleanup of pods deleted while it was down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isApiError } from '../../api/errors.js';
import type { Pod } from '../../api/types/core.js';
import type { RestClient } from '../../client/rest.js';
import { Kubelet } from '../../kubelet/kubelet.js';
import { LABEL_POD_UID } from '../../kubelet/labels.js';
import { FakeRuntime } from '../../runtime/fake/fake-runtime.js';
import { eventually as eventuallyWithin, startControlPlane, type ControlPlane } from './harness.js';

/** The fake runtime answers at once: a shorter wait than the real-runtime suites'. */
const eventually = <T>(f: () => Promise<T | undefined | false>, what: string) => eventuallyWithin(f, what, 20_000);

describe('kubelet with a real API server', () => {
  let cp: ControlPlane;
  let node = '';
  let ns = '';
  let admin: RestClient;
  let nodeClient: RestClient;
  let root: string;
  const rt = new FakeRuntime();
  let kubelet: Kubelet | undefined;

  const startKubelet = async () => {
    kubelet = new Kubelet({
      client: nodeClient,
      runtime: rt,
      images: rt,
      nodeName: node,
      root,
      podCIDR: '10.88.7.0/24',
      hostIP: '127.0.0.1',
      capacity: { cpu: '2', memory: '4Gi' },
      labels: { 'skiff.dev/test': 'yes' },
      plegPeriodMs: 100,
      resyncIntervalMs: 500,
      nodeStatusIntervalMs: 1000,
      leaseRenewIntervalMs: 1000,
    });
    await kubelet.start();
  };

  const podSpec = (name: string, extra: Partial<Pod['spec']> = {}): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { nodeName: node, terminationGracePeriodSeconds: 3, containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }], ...extra },
  });

  const getPod = (name: string) => admin.pods.get(name, { namespace: ns });

  beforeAll(async () => {
    cp = await startControlPlane({ prefix: 'kl', api: { inProcess: true } });
    ({ node, ns, admin, nodeClient, root } = cp);
    rt.addImage('busybox:1.36');
    await startKubelet();
  });

  afterAll(async () => {
    await kubelet?.stop();
    await cp?.teardown();
  });

  it('registers its Node (labels, capacity, podCIDR, Ready) and renews a Lease', async () => {
    const n = await admin.nodes.get(node);
    expect(n.metadata.labels).toMatchObject({ 'kubernetes.io/hostname': node, 'kubernetes.io/os': 'linux', 'skiff.dev/test': 'yes' });
    expect(n.spec?.podCIDR).toBe('10.88.7.0/24');
    expect(n.status?.capacity).toMatchObject({ cpu: '2', memory: '4Gi', pods: '110' });
    expect(n.status?.allocatable).toMatchObject({ cpu: '2', memory: '4Gi' });
    expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(n.status?.nodeInfo?.containerRuntimeVersion).toBe('fake://0.0.1');
    const lease = await eventually(() => admin.leases.get(node, { namespace: 'kube-node-lease' }), 'the node lease');
    expect(lease.spec?.holderIdentity).toBe(node);
    const first = lease.spec?.renewTime;
    await eventually(async () => (await admin.leases.get(node, { namespace: 'kube-node-lease' })).spec?.renewTime !== first, 'a lease renewal');
  });

  it('runs a pod bound to it: Running with pod IP, host IP, container statuses, conditions and events', async () => {
    await admin.pods.create(podSpec('web'), { namespace: ns });
    const p = await eventually(async () => {
      const x = await getPod('web');
      return x.status?.phase === 'Running' && x.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? x : undefined;
    }, 'pod web Running and Ready');
    expect(p.status?.podIP).toMatch(/^10\.88\./);
    expect(p.status?.hostIP).toBe('127.0.0.1');
    expect(p.status?.qosClass).toBe('BestEffort');
    expect(p.status?.containerStatuses?.[0]).toMatchObject({ name: 'app', ready: true, started: true, restartCount: 0 });
    expect(p.status?.containerStatuses?.[0].containerID).toMatch(/^fake:\/\//);
    const events = await eventually(async () => {
      const list = await admin.events.list({ namespace: ns });
      const reasons = list.items.filter((e) => e.involvedObject.name === 'web').map((e) => e.reason);
      return reasons.includes('Started') ? reasons : undefined;
    }, 'events of pod web');
    expect(events).toEqual(expect.arrayContaining(['Pulled', 'Created', 'Started']));
  });

  it('rejects a pod that does not fit the node: Failed with OutOfcpu', async () => {
    const big = podSpec('big');
    big.spec.containers[0].resources = { requests: { cpu: '3' } };
    await admin.pods.create(big, { namespace: ns });
    const p = await eventually(async () => {
      const x = await getPod('big');
      return x.status?.phase === 'Failed' ? x : undefined;
    }, 'pod big rejected');
    expect(p.status?.reason).toBe('OutOfcpu');
    expect(p.status?.message).toBe("Pod was rejected: Node didn't have enough resource: cpu, requested: 3000, used: 0, capacity: 2000");
    expect(rt.callsOf('runPodSandbox').some((c) => (c.args[0] as { metadata: { name: string } }).metadata.name === 'big')).toBe(false);
    // Deleting a rejected pod needs no grace: nothing runs, the kubelet removes the object.
    await admin.pods.delete('big', { namespace: ns });
    await eventually(async () => {
      try {
        await getPod('big');
        return false;
      } catch (e) {
        return isApiError(e, 'NotFound');
      }
    }, 'rejected pod deleted');
  });

  it('re-adopts running containers after a restart: same IDs, no new containers', async () => {
    const before = await getPod('web');
    const id = before.status?.containerStatuses?.[0].containerID;
    const creates = rt.callsOf('createContainer').length;
    await kubelet?.stop();
    await startKubelet();
    await new Promise((r) => setTimeout(r, 1500));
    const after = await getPod('web');
    expect(after.status?.containerStatuses?.[0].containerID).toBe(id);
    expect(after.status?.containerStatuses?.[0].restartCount).toBe(0);
    expect(after.status?.phase).toBe('Running');
    expect(rt.callsOf('createContainer')).toHaveLength(creates);
  });

  it('a graceful delete stops the containers with the grace period, then the kubelet deletes the object', async () => {
    const p = await getPod('web');
    const uid = p.metadata.uid ?? '';
    const [ctr] = [...rt.containers.values()].filter((c) => c.status.labels[LABEL_POD_UID] === uid);
    await admin.pods.delete('web', { namespace: ns, gracePeriodSeconds: 7 });
    await eventually(async () => {
      try {
        await getPod('web');
        return false;
      } catch (e) {
        return isApiError(e, 'NotFound');
      }
    }, 'pod web gone');
    expect(rt.callsOf('stopContainer').find((c) => c.args[0] === ctr.status.id)?.args[1]).toBe(7);
    expect([...rt.sandboxes.values()].some((s) => s.status.labels[LABEL_POD_UID] === uid)).toBe(false);
  });

  it('cleans up a pod deleted while it was down', async () => {
    await admin.pods.create(podSpec('gone'), { namespace: ns });
    const p = await eventually(async () => {
      const x = await getPod('gone');
      return x.status?.phase === 'Running' ? x : undefined;
    }, 'pod gone Running');
    const uid = p.metadata.uid ?? '';
    await kubelet?.stop();
    // With the kubelet away, a forced delete removes the object at once.
    await admin.pods.delete('gone', { namespace: ns, gracePeriodSeconds: 0 });
    await eventually(async () => {
      try {
        await getPod('gone');
        return false;
      } catch (e) {
        return isApiError(e, 'NotFound');
      }
    }, 'pod gone removed from the API');
    expect([...rt.sandboxes.values()].some((s) => s.status.labels[LABEL_POD_UID] === uid)).toBe(true);
    await startKubelet();
    await eventually(async () => ![...rt.sandboxes.values()].some((s) => s.status.labels[LABEL_POD_UID] === uid), 'orphaned sandbox removed');
    expect([...rt.containers.values()].some((c) => c.status.labels[LABEL_POD_UID] === uid)).toBe(false);
  });
});
