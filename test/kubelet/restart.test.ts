// `skiff kubelet` as a process on the real runtime: kill -9 of the kubelet leaves the pods'
// containers running; the restarted kubelet re-adopts them (same container IDs, restart
// counts unchanged, status still Running) and removes the pods deleted while it was down.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import { RestClient } from '../../client/rest.js';
import { ImageService } from '../../runtime/image-service.js';
import { deleteBridge } from '../../runtime/network/cni.js';
import { removeCgroupTree } from '../../runtime/oci/cgroups.js';
import { SkiffRuntimeService } from '../../runtime/runtime-service.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { buildBusyboxImage, openStore, pushImage } from '../fixtures/images.js';
import { startSkiff, type Proc } from '../fixtures/process.js';
import { startRegistry, type RegistryFixture } from '../fixtures/registry.js';
import { eventually, removeUnifiedCgroup } from './harness.js';

const PODS = 20;
const suffix = crypto.randomBytes(3).toString('hex');
const node = `kr-${suffix}`;
const ns = `kr-${suffix}`;
const bridge = `skr${suffix}`;
const cgroupParent = `/skiff-kubelet-restart-${process.pid}-${suffix}`;
const podCidr = `10.90.${16 + (crypto.randomBytes(1)[0] % 200)}.0/24`;
let root: string;
let etcd: EtcdFixture | undefined;
let api: ApiServerFixture | undefined;
let reg: RegistryFixture | undefined;
let admin: RestClient | undefined;
let kubelet: Proc | undefined;
let image = '';
let kubeconfig = '';

function startKubelet(): Proc {
  return startSkiff([
    'kubelet',
    `--kubeconfig=${kubeconfig}`,
    `--node-name=${node}`,
    `--root=${path.join(root, 'kubelet')}`,
    `--pod-cidr=${podCidr}`,
    '--node-ip=127.0.0.1',
    '--capacity=cpu=4,memory=8Gi',
    `--bridge=${bridge}`,
    `--cgroup-parent=${cgroupParent}`,
  ]);
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-kubelet-restart-'));
  etcd = await startEtcd();
  api = await startApiServer({ etcd, inProcess: true, nodes: [node] });
  reg = await startRegistry();
  const store = await openStore(path.join(root, 'build'));
  await pushImage(reg.host, 'busybox:1', store, await buildBusyboxImage(store, { config: { Cmd: ['sleep', '3600'] } }));
  image = `${reg.host}/busybox:1`;
  kubeconfig = path.join(root, 'kubelet.kubeconfig');
  await writeKubeconfig(kubeconfig, buildKubeconfig({ server: api.url, token: api.nodeToken(node), name: node }));
  admin = new RestClient({ server: api.url, token: api.adminToken, namespace: 'default' });
  await admin.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  kubelet = startKubelet();
}, 120_000);

afterAll(async () => {
  await kubelet?.stop(10_000);
  // The containers outlive the kubelet by design: remove them through the runtime, by ID.
  const rtRoot = path.join(root, 'kubelet', 'runtime');
  const images = new ImageService({ root: rtRoot });
  const rt = new SkiffRuntimeService({ root: rtRoot, images, bridgeName: bridge, podCidr, cgroupParent });
  for (const s of await rt.listPodSandbox().catch(() => [])) await rt.removePodSandbox(s.id).catch(() => undefined);
  await deleteBridge(bridge).catch(() => undefined);
  await removeCgroupTree(cgroupParent).catch(() => undefined);
  await removeUnifiedCgroup(cgroupParent);
  admin?.close();
  await reg?.stop();
  await api?.stop();
  await etcd?.stop();
  await fs.rm(root, { recursive: true, force: true });
}, 180_000);

const pod = (name: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { nodeName: node, terminationGracePeriodSeconds: 2, containers: [{ name: 'app', image, command: ['sleep', '3600'] }] },
});

async function runningPods(): Promise<Pod[]> {
  const list = await admin!.pods.list({ namespace: ns });
  return list.items.filter((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running);
}

describe('skiff kubelet restart', () => {
  it('re-adopts running pods after kill -9 and removes the pods deleted meanwhile', async () => {
    try {
      await scenario();
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- kubelet output ---\n${kubelet?.output().slice(-4000)}`, { cause: e });
    }
  }, 180_000);
});

async function scenario(): Promise<void> {
  {
    for (let i = 0; i < PODS; i++) await admin!.pods.create(pod(`p${i}`), { namespace: ns });
    const before = await eventually(async () => {
      const r = await runningPods();
      return r.length === PODS ? r : undefined;
    }, `${PODS} pods Running`, 90_000);
    const ids = new Map(before.map((p) => [p.metadata.name, p.status?.containerStatuses?.[0].containerID]));

    await kubelet!.kill9();
    // While it is down: a forced delete removes one pod from the API at once.
    await admin!.pods.delete('p0', { namespace: ns, gracePeriodSeconds: 0 });
    kubelet = startKubelet();

    // A runtime instance reads the records once; a fresh one each time sees the kubelet's changes.
    const rtRoot = path.join(root, 'kubelet', 'runtime');
    const readRuntime = () => new SkiffRuntimeService({ root: rtRoot, images: new ImageService({ root: rtRoot }), bridgeName: bridge, podCidr, cgroupParent });
    const p0uid = before.find((p) => p.metadata.name === 'p0')?.metadata.uid;
    await eventually(async () => !(await readRuntime().listPodSandbox()).some((s) => s.metadata.uid === p0uid), 'the deleted pod removed from the runtime', 60_000);

    // The new kubelet has synced every pod at least once when its lease is renewed and
    // statuses stay as they were; give it a few resyncs and compare.
    await eventually(async () => (await admin!.leases.get(node, { namespace: 'kube-node-lease' })).spec?.renewTime, 'lease');
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
