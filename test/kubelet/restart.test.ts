// `skiff kubelet` as a process on the real runtime: kill -9 of the kubelet leaves the pods'
// containers running; the restarted kubelet re-adopts them (same container IDs, restart
// counts unchanged, status still Running) and removes the pods deleted while it was down.
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { perFile } from '../fixtures/per-file.js';
import { eventually } from './harness.js';
import { startProcessNode, type ProcessNode } from './process-node.js';

const PODS = 20;
let n: ProcessNode;

perFile(
  () => startProcessNode({ prefix: 'kr', cidrSecondOctet: 90 }),
  (node) => node.teardown(),
  (node) => {
    n = node;
  },
);

const pod = (name: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: n.ns },
  spec: { nodeName: n.node, terminationGracePeriodSeconds: 2, containers: [{ name: 'app', image: n.image, command: ['sleep', '3600'] }] },
});

async function runningPods(): Promise<Pod[]> {
  const list = await n.admin.pods.list({ namespace: n.ns });
  return list.items.filter((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running);
}

describe('skiff kubelet restart', () => {
  it('re-adopts running pods after kill -9 and removes the pods deleted meanwhile', async () => {
    try {
      await scenario();
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- kubelet output ---\n${n?.kubelet.output().slice(-4000)}`, { cause: e });
    }
  }, 180_000);
});

async function scenario(): Promise<void> {
  {
    for (let i = 0; i < PODS; i++) await n.admin.pods.create(pod(`p${i}`), { namespace: n.ns });
    const before = await eventually(async () => {
      const r = await runningPods();
      return r.length === PODS ? r : undefined;
    }, `${PODS} pods Running`, 90_000);
    const ids = new Map(before.map((p) => [p.metadata.name, p.status?.containerStatuses?.[0].containerID]));

    await n.kubelet.kill9();
    // While it is down: a forced delete removes one pod from the API at once.
    await n.admin.pods.delete('p0', { namespace: n.ns, gracePeriodSeconds: 0 });
    n.startKubelet();

    // A runtime instance reads the records once; a fresh one each time sees the kubelet's changes.
    const readRuntime = () => n.readRuntime();
    const p0uid = before.find((p) => p.metadata.name === 'p0')?.metadata.uid;
    await eventually(async () => !(await readRuntime().listPodSandbox()).some((s) => s.metadata.uid === p0uid), 'the deleted pod removed from the runtime', 60_000);

    // The new kubelet has synced every pod at least once when its lease is renewed and
    // statuses stay as they were; give it a few resyncs and compare.
    await eventually(async () => (await n.admin.leases.get(n.node, { namespace: 'kube-node-lease' })).spec?.renewTime, 'lease');
    await new Promise((r) => setTimeout(r, 3000));
    const after = await runningPods();
    expect(after.map((p) => p.metadata.name).sort()).toEqual([...ids.keys()].filter((n) => n !== 'p0').sort());
    for (const p of after) {
      expect(p.status?.containerStatuses?.[0].containerID).toBe(ids.get(p.metadata.name));
      expect(p.status?.containerStatuses?.[0].restartCount).toBe(0);
    }
    const containers = await readRuntime().listContainers();
    expect(containers).toHaveLength(PODS - 1);
  }
}
