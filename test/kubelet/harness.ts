// A one-node cluster for kubelet end-to-end suites: real etcd, the API server (in process),
// a local registry with a busybox image, and a Kubelet in process on skiff's real runtime
// (crun/runc through conmon, CNI bridge) with its own root, bridge, pod CIDR and cgroup
// parent, so suites run side by side. teardown() removes every sandbox, the bridge, the
// cgroup parent and the roots. With `kubeletServer: true` the kubelet's HTTPS server runs
// too, and the API server is told its token and certificate (pods/log, nodes/proxy).
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isApiError } from '../../api/errors.js';
import type { Pod } from '../../api/types/core.js';
import { RestClient } from '../../client/rest.js';
import { Kubelet } from '../../kubelet/kubelet.js';
import { KubeletAuthenticator } from '../../kubelet/server/authn.js';
import { selfSignedServingCert } from '../../kubelet/server/self-signed.js';
import { startKubeletServer, type RunningKubeletServer } from '../../kubelet/server/server.js';
import { ImageService } from '../../runtime/image-service.js';
import { deleteBridge } from '../../runtime/network/cni.js';
import { removeCgroupTree } from '../../runtime/oci/cgroups.js';
import { SkiffRuntimeService } from '../../runtime/runtime-service.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { buildBusyboxImage, openStore, pushImage } from '../fixtures/images.js';
import { startRegistry, type RegistryFixture } from '../fixtures/registry.js';

export interface NodeCluster {
  node: string;
  ns: string;
  admin: RestClient;
  /** "127.0.0.1:PORT/busybox:1" */
  image: string;
  registryHost: string;
  runtime: SkiffRuntimeService;
  kubelet: Kubelet;
  /** The API server (plain HTTP) and its admin token, for raw requests. */
  apiUrl: string;
  adminToken: string;
  /** With `kubeletServer: true`: the kubelet's HTTPS server, the token it accepts and its certificate. */
  kubeletServer?: { url: string; token: string; ca: string };
  /** With `kubeletServer: true`: the API server's HTTPS URL and its certificate (kubectl sends tokens over HTTPS only). */
  apiHttps?: { url: string; caFile: string };
  getPod(name: string): Promise<Pod>;
  createPod(pod: Pod): Promise<Pod>;
  waitPod(name: string, ok: (p: Pod) => boolean, what: string, timeoutMs?: number): Promise<Pod>;
  waitGone(name: string, timeoutMs?: number): Promise<void>;
  teardown(): Promise<void>;
}

/** On a cgroup v1 host the runtime's helpers skip the "unified" (v2) hierarchy systemd mounts; empty it here. */
export async function removeUnifiedCgroup(parent: string): Promise<void> {
  const top = path.join('/sys/fs/cgroup/unified', parent);
  const dirs: string[] = [];
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) {
        dirs.push(path.join(d, e.name));
        await walk(path.join(d, e.name));
      }
    }
  };
  await walk(top);
  for (const d of dirs.reverse()) await fs.rmdir(d).catch(() => undefined);
  await fs.rmdir(top).catch(() => undefined);
}

export async function eventually<T>(f: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export interface NodeClusterOptions {
  /** Also run the kubelet's HTTPS server (logs, images, stats) on 127.0.0.1, and tell the API server how to call it. */
  kubeletServer?: boolean;
}

export async function startNodeCluster(opts: NodeClusterOptions = {}): Promise<NodeCluster> {
  const suffix = crypto.randomBytes(3).toString('hex');
  const node = `kube-${suffix}`;
  const ns = `e2e-${suffix}`;
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-kubelet-e2e-'));
  const bridge = `skk${suffix}`;
  const podCidr = `10.89.${16 + (crypto.randomBytes(1)[0] % 200)}.0/24`;
  const cgroupParent = `/skiff-kubelet-test-${process.pid}-${suffix}`;
  let etcd: EtcdFixture | undefined;
  let api: ApiServerFixture | undefined;
  let reg: RegistryFixture | undefined;
  let runtime: SkiffRuntimeService | undefined;
  let kubelet: Kubelet | undefined;
  let server: RunningKubeletServer | undefined;
  const clients: RestClient[] = [];

  const teardown = async () => {
    await server?.close();
    await kubelet?.stop();
    if (runtime) for (const s of await runtime.listPodSandbox().catch(() => [])) await runtime.removePodSandbox(s.id).catch(() => undefined);
    await deleteBridge(bridge).catch(() => undefined);
    await removeCgroupTree(cgroupParent).catch(() => undefined);
    await removeUnifiedCgroup(cgroupParent);
    for (const c of clients) c.close();
    await reg?.stop();
    await api?.stop();
    await etcd?.stop();
    await fs.rm(root, { recursive: true, force: true });
  };

  try {
    etcd = await startEtcd();
    const kubeletToken = crypto.randomBytes(18).toString('base64url');
    const tls = opts.kubeletServer ? await selfSignedServingCert(node, ['127.0.0.1']) : undefined;
    api = await startApiServer({ etcd, inProcess: true, nodes: [node], tls: !!tls, kubeletClient: tls ? { token: kubeletToken, ca: tls.cert } : undefined });
    reg = await startRegistry();
    const store = await openStore(path.join(root, 'build'));
    const img = await buildBusyboxImage(store, { config: { Cmd: ['sleep', '3600'] } });
    await pushImage(reg.host, 'busybox:1', store, img);
    const admin = new RestClient({ server: api.url, token: api.adminToken, namespace: 'default' });
    const nodeClient = new RestClient({ server: api.url, token: api.nodeToken(node), namespace: 'default' });
    clients.push(admin, nodeClient);
    await admin.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const rtRoot = path.join(root, 'runtime');
    const holder: { rt?: SkiffRuntimeService } = {};
    const images = new ImageService({ root: rtRoot, inUse: async () => holder.rt?.imagesInUse() ?? new Set() });
    runtime = new SkiffRuntimeService({ root: rtRoot, images, bridgeName: bridge, podCidr, cgroupParent });
    holder.rt = runtime;
    const kl: { k?: Kubelet } = {};
    if (tls) {
      server = await startKubeletServer({
        nodeName: node,
        runtime,
        images,
        pods: () => kl.k?.pods() ?? [],
        statusOf: (uid) => kl.k?.statusManager.get(uid),
        authn: new KubeletAuthenticator([kubeletToken]),
        tls,
        host: '127.0.0.1',
        port: 0,
      });
    }
    kubelet = new Kubelet({
      client: nodeClient,
      runtime,
      images,
      nodeName: node,
      root: path.join(root, 'kubelet'),
      podCIDR: podCidr,
      hostIP: '127.0.0.1',
      capacity: { cpu: '4', memory: '8Gi' },
      plegPeriodMs: 250,
      resyncIntervalMs: 1000,
      ...(server ? { kubeletPort: server.port } : {}),
    });
    kl.k = kubelet;
    await kubelet.start();
    const getPod = (name: string) => admin.pods.get(name, { namespace: ns });
    return {
      node,
      ns,
      admin,
      image: `${reg.host}/busybox:1`,
      registryHost: reg.host,
      runtime,
      kubelet,
      apiUrl: api.url,
      adminToken: api.adminToken,
      ...(server && tls ? { kubeletServer: { url: `https://127.0.0.1:${server.port}`, token: kubeletToken, ca: tls.cert } } : {}),
      ...(api.httpsUrl && api.caFile ? { apiHttps: { url: api.httpsUrl, caFile: api.caFile } } : {}),
      getPod,
      createPod: (pod) => admin.pods.create({ ...pod, metadata: { ...pod.metadata, namespace: ns } }, { namespace: ns }),
      waitPod: (name, ok, what, timeoutMs) =>
        eventually(async () => {
          const p = await getPod(name);
          return ok(p) ? p : undefined;
        }, `${name}: ${what}`, timeoutMs),
      waitGone: (name, timeoutMs) =>
        eventually(async () => {
          try {
            await getPod(name);
            return false;
          } catch (e) {
            return isApiError(e, 'NotFound');
          }
        }, `${name} deleted`, timeoutMs).then(() => undefined),
      teardown,
    };
  } catch (e) {
    await teardown();
    throw e;
  }
}
