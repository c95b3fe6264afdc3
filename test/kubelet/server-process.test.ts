// `skiff apiserver` and `skiff kubelet` as processes, wired by their flags the way
// `skiff up` wires them (--kubelet-client-token-file on one side, --kubelet-api-token-file,
// --kubelet-port 0 and a self-signed certificate on the other): the Node advertises the
// port the kubelet got, a pod's log comes through, and the node's images are pulled (with
// progress lines), listed, removed by reference and pruned through nodes/proxy.
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

const suffix = crypto.randomBytes(3).toString('hex');
const node = `ks-${suffix}`;
const ns = `ks-${suffix}`;
const bridge = `sks${suffix}`;
const cgroupParent = `/skiff-kubelet-server-${process.pid}-${suffix}`;
const podCidr = `10.91.${16 + (crypto.randomBytes(1)[0] % 200)}.0/24`;
const kubeletToken = crypto.randomBytes(18).toString('base64url');
let root: string;
let etcd: EtcdFixture | undefined;
let api: ApiServerFixture | undefined;
let reg: RegistryFixture | undefined;
let admin: RestClient | undefined;
let kubelet: Proc | undefined;
let image = '';
let spare = '';

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-kubelet-server-'));
  etcd = await startEtcd();
  api = await startApiServer({ etcd, nodes: [node], kubeletClient: { token: kubeletToken } });
  reg = await startRegistry();
  const store = await openStore(path.join(root, 'build'));
  await pushImage(reg.host, 'busybox:1', store, await buildBusyboxImage(store, { config: { Cmd: ['sleep', '3600'] } }));
  await pushImage(reg.host, 'spare:1', store, await buildBusyboxImage(store, { config: { Cmd: ['true'] } }));
  image = `${reg.host}/busybox:1`;
  spare = `${reg.host}/spare:1`;
  const kubeconfig = path.join(root, 'kubelet.kubeconfig');
  await writeKubeconfig(kubeconfig, buildKubeconfig({ server: api.url, token: api.nodeToken(node), name: node }));
  const tokenFile = path.join(root, 'kubelet-api.token');
  await fs.writeFile(tokenFile, `${kubeletToken}\n`, { mode: 0o600 });
  admin = new RestClient({ server: api.url, token: api.adminToken, namespace: 'default' });
  await admin.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  kubelet = startSkiff([
    'kubelet',
    `--kubeconfig=${kubeconfig}`,
    `--node-name=${node}`,
    `--root=${path.join(root, 'kubelet')}`,
    `--pod-cidr=${podCidr}`,
    '--node-ip=127.0.0.1',
    '--address=127.0.0.1',
    '--kubelet-port=0',
    `--kubelet-api-token-file=${tokenFile}`,
    '--capacity=cpu=4,memory=8Gi',
    `--bridge=${bridge}`,
    `--cgroup-parent=${cgroupParent}`,
  ]);
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

function call(p: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${api?.url}${p}`, { ...init, headers: { authorization: `Bearer ${api?.adminToken}` } });
}

async function imageTags(): Promise<string[]> {
  const res = await call(`/api/v1/nodes/${node}/proxy/images`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { images: { repoTags: string[] }[] }).images.flatMap((i) => i.repoTags);
}

describe('skiff kubelet and skiff apiserver wired by flags', () => {
  it('advertises the port it got and streams a pod log through the API server', async () => {
    const n = await eventually(async () => admin?.nodes.get(node).catch(() => undefined), `node ${node} registered (${kubelet?.output().slice(-2000)})`, 60_000);
    const port = n.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(10250);
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hello', namespace: ns }, spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image, command: ['sh', '-c', 'echo hello from $(hostname); exec sleep 3600'] }] } };
    await admin?.pods.create(pod, { namespace: ns });
    const text = await eventually(async () => {
      const res = await call(`/api/v1/namespaces/${ns}/pods/hello/log`);
      const t = await res.text();
      return res.status === 200 && t.length > 0 ? t : undefined;
    }, 'the pod log', 60_000);
    expect(text).toBe('hello from hello\n');
  }, 90_000);

  it('pulls with progress, lists, removes by reference and prunes images through nodes/proxy', async () => {
    expect(await imageTags()).not.toContain(spare);
    const pull = await call(`/api/v1/nodes/${node}/proxy/images/pull?image=${encodeURIComponent(spare)}`, { method: 'POST' });
    expect(pull.status).toBe(200);
    expect(pull.headers.get('content-type')).toBe('application/x-ndjson');
    const events = (await pull.text()).trim().split('\n').map((l) => JSON.parse(l) as { progress?: { kind: string; status: string }; image?: string; done?: boolean; error?: string });
    expect(events.some((e) => e.progress?.kind === 'layer')).toBe(true);
    const last = events[events.length - 1];
    expect(last).toMatchObject({ done: true });
    expect(last.image).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await imageTags()).toContain(spare);

    const rm = await call(`/api/v1/nodes/${node}/proxy/images/${encodeURIComponent(spare)}`, { method: 'DELETE' });
    expect(rm.status).toBe(200);
    expect(await rm.json()).toEqual({ deleted: spare });
    expect(await imageTags()).not.toContain(spare);
    const again = await call(`/api/v1/nodes/${node}/proxy/images/${encodeURIComponent(spare)}`, { method: 'DELETE' });
    expect(again.status).toBe(404);

    const prune = await call(`/api/v1/nodes/${node}/proxy/images/prune`, { method: 'POST' });
    expect(prune.status).toBe(200);
    const freed = (await prune.json()) as { imagesDeleted: string[]; spaceReclaimed: number };
    expect(Array.isArray(freed.imagesDeleted)).toBe(true);
    // The running pod's image stays.
    expect(await imageTags()).toContain(image);
  }, 90_000);
});
