// Set-up for the kubelet suites, in layers:
//  - startControlPlane: real etcd, the API server, admin and node clients, a namespace, a temp
//    root; with `registry: true` a local registry holding a busybox image too, taking no
//    anonymous request (htpasswd, as `skiff up` runs it), and the node's registries.yaml
//    (0600) with its credentials, written as `skiff up` writes it;
//  - startNodeCluster: that plus a Kubelet in process on skiff's real runtime (crun/runc through
//    conmon, CNI bridge) with its own root, bridge, pod CIDR and cgroup parent, so suites run
//    side by side. With `kubeletServer: true` the kubelet's HTTPS server runs too, and the API
//    server is told its token and certificate (pods/log, nodes/proxy). With `privateRegistry:
//    true` a second registry too, on TLS with htpasswd, whose CA the node trusts and whose
//    credentials it lacks (image pull secrets bring them, read by the kubelet through the API
//    server with its node token);
//  - startProcessNode (process-node.ts): the control plane and `skiff kubelet` as a process.
// Every teardown() removes what its layer made: sandboxes, the bridge, the cgroup parent,
// mounts, processes and the roots.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { isApiError } from '../../api/errors.js';
import type { Pod } from '../../api/types/core.js';
import { RestClient } from '../../client/rest.js';
import type { ConfigGetter } from '../../kubelet/config-source.js';
import type { ImageGCPolicy } from '../../kubelet/image-gc/manager.js';
import { Kubelet } from '../../kubelet/kubelet.js';
import { TmpfsMounter } from '../../kubelet/tmpfs.js';
import { KubeletAuthenticator } from '../../kubelet/server/authn.js';
import { kubeletPki } from '../fixtures/kubelet-pki.js';
import { startKubeletServer, type RunningKubeletServer } from '../../kubelet/server/server.js';
import { ImageService } from '../../runtime/image-service.js';
import { deleteBridge } from '../../runtime/network/cni.js';
import { removeCgroupTree } from '../../runtime/oci/cgroups.js';
import { SkiffRuntimeService } from '../../runtime/runtime-service.js';
import { startApiServer, type ApiServerFixture, type ApiServerFixtureOptions } from '../fixtures/apiserver.js';
import { expectStateDirReleased, releaseSuiteStateDir } from '../fixtures/runtime-state.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { buildBusyboxImage, openStore, pushImage } from '../fixtures/images.js';
import { randomHtpasswdAuth, startRegistry, type RegistryFixture } from '../fixtures/registry.js';
import { statePaths } from '../../cluster/state.js';
import { writeDefaultRegistries } from '../../cluster/up.js';
import { eventually } from '../fixtures/eventually.js';
import { perFile, type PerFileTimeouts } from '../fixtures/per-file.js';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseRegistriesConfig } from '../../runtime/images/registries-config.js';
import type { ClusterDnsSettings } from '../../kubelet/dns-config.js';

export interface NodeCluster {
  node: string;
  ns: string;
  admin: RestClient;
  /** "127.0.0.1:PORT/busybox:1" */
  image: string;
  registryHost: string;
  runtime: SkiffRuntimeService;
  images: ImageService;
  /** The runtime's root (a tmpfs with `runtimeTmpfsMiB`). */
  runtimeRoot: string;
  kubelet: Kubelet;
  controlPlane: ControlPlane;
  /** The API server (plain HTTP) and its admin token, for raw requests. */
  apiUrl: string;
  adminToken: string;
  /** With `kubeletServer: true`: the kubelet's HTTPS server, the CA of its certificate and the API server's client certificate it accepts. */
  kubeletServer?: { url: string; ca: string; apiClient: { cert: string; key: string } };
  /** With `privateRegistry: true`. */
  privateRegistry?: PrivateRegistry;
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

export { eventually };

export interface ControlPlaneOptions {
  /** Names the node, namespace and temp root ("kube" -> node kube-<hex>, namespace e2e-<hex>). */
  prefix?: string;
  nsPrefix?: string;
  /** The node's name (default <prefix>-<hex>). */
  node?: string;
  api?: Omit<ApiServerFixtureOptions, 'etcd' | 'nodes'>;
  /** Start a local registry and push busybox:1 (Cmd sleep 3600) to it. */
  registry?: boolean;
}

export interface ControlPlane {
  suffix: string;
  node: string;
  ns: string;
  /** A temp directory for the suite, removed by teardown(). */
  root: string;
  etcd: EtcdFixture;
  api: ApiServerFixture;
  admin: RestClient;
  /** A client with the node's own credentials (what a kubelet uses). */
  nodeClient: RestClient;
  /** With `registry: true`. */
  reg?: RegistryFixture;
  /** With `registry: true`: where test images are built before they are pushed. */
  store?: Awaited<ReturnType<typeof openStore>>;
  /** With `registry: true`: "127.0.0.1:PORT/busybox:1". */
  image: string;
  registryHost: string;
  /** With `registry: true`: the kubelet's registries.yaml, holding the registry's credentials. */
  registriesYaml?: string;
  teardown(): Promise<void>;
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const suffix = crypto.randomBytes(3).toString('hex');
  const prefix = opts.prefix ?? 'kube';
  const node = opts.node ?? `${prefix}-${suffix}`;
  const ns = `${opts.nsPrefix ?? prefix}-${suffix}`;
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `skiff-${prefix}-`));
  let etcd: EtcdFixture | undefined;
  let api: ApiServerFixture | undefined;
  let reg: RegistryFixture | undefined;
  const clients: RestClient[] = [];
  const teardown = async () => {
    for (const c of clients) c.close();
    await reg?.stop();
    await api?.stop();
    await etcd?.stop();
    await fs.rm(root, { recursive: true, force: true });
  };
  try {
    etcd = await startEtcd();
    api = await startApiServer({ ...opts.api, etcd, nodes: [node] });
    const admin = new RestClient({ server: api.url, token: api.adminToken, namespace: 'default' });
    const nodeClient = new RestClient({ server: api.url, token: api.nodeToken(node), namespace: 'default' });
    clients.push(admin, nodeClient);
    await admin.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    let store: ControlPlane['store'];
    let registriesYaml: string | undefined;
    if (opts.registry) {
      reg = await startRegistry({ auth: randomHtpasswdAuth() });
      store = await openStore(path.join(root, 'build'));
      await pushImage(reg.host, 'busybox:1', store, await buildBusyboxImage(store, { config: { Cmd: ['sleep', '3600'] } }), reg.auth);
      const paths = statePaths(root);
      await writeDefaultRegistries(paths, reg.host, reg.auth ?? { username: '', password: '' });
      registriesYaml = paths.registriesYaml;
    }
    return { suffix, node, ns, root, etcd, api, admin, nodeClient, reg, store, image: reg ? `${reg.host}/busybox:1` : '', registryHost: reg?.host ?? '', registriesYaml, teardown };
  } catch (e) {
    await teardown();
    throw e;
  }
}

/** The node-level things a real runtime makes for one kubelet: its own bridge, pod CIDR and cgroup parent. */
export function nodeNetwork(suffix: string, tag: string, cidrSecondOctet: number) {
  return {
    bridge: `sk${tag}${suffix}`,
    podCidr: `10.${cidrSecondOctet}.${16 + (crypto.randomBytes(1)[0] % 200)}.0/24`,
    cgroupParent: `/skiff-kubelet-${tag}-${process.pid}-${suffix}`,
  };
}

/**
 * Removes every sandbox of a runtime root, then its state dir (the tmpfs the runtime mounted
 * under /run/skiff, derived from the suite's unique root), the node's bridge and cgroup parent.
 * Answers why the state dir stayed, when it did (checked by `expectStateDirReleased` once the
 * rest is stopped too).
 */
export async function cleanRuntime(runtime: SkiffRuntimeService | undefined, net: { bridge: string; cgroupParent: string }): Promise<string | undefined> {
  if (runtime) for (const s of await runtime.listPodSandbox().catch(() => [])) await runtime.removePodSandbox(s.id).catch(() => undefined);
  const kept = runtime ? await releaseSuiteStateDir(runtime.stateDir) : undefined;
  await deleteBridge(net.bridge).catch(() => undefined);
  await removeCgroupTree(net.cgroupParent).catch(() => undefined);
  await removeUnifiedCgroup(net.cgroupParent);
  return kept;
}

const run = promisify(execFile);

/** A size-limited tmpfs on `dir` (image GC needs a small file system of its own). */
export async function mountTmpfs(dir: string, mib: number): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await run('mount', ['-t', 'tmpfs', '-o', `size=${mib}m,mode=0755`, 'tmpfs', dir]);
}

export async function unmountTmpfs(dir: string): Promise<void> {
  const detachAt = Date.now() + 5_000;
  for (;;) {
    try {
      await run('umount', [dir]);
      return;
    } catch (e) {
      const msg = String((e as { stderr?: string }).stderr ?? e);
      if (/not mounted|no mount point/.test(msg)) return;
      // Busy for a moment while a container's overlay goes away: try again, then detach.
      if (Date.now() >= detachAt) {
        await run('umount', ['-l', dir]).catch(() => undefined);
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export interface NodeClusterOptions {
  /** Also run the kubelet's HTTPS server (logs, images, stats) on 127.0.0.1, and tell the API server how to call it. */
  kubeletServer?: boolean;
  /** Put the runtime root on its own tmpfs of this many MiB (image GC suites). */
  runtimeTmpfsMiB?: number;
  imageGC?: Partial<ImageGCPolicy>;
  imageGCPeriodMs?: number;
  /** Where the kubelet reads ConfigMaps and Secrets (default: the API server). */
  configGetter?: ConfigGetter;
  /** The kubelet's --sync-frequency. */
  syncFrequencyMs?: number;
  /** How often every pod is synced again (default 1 s, quicker than `skiff up`'s for the suites). */
  resyncIntervalMs?: number;
  /**
   * Also a private registry (htpasswd on TLS with a CA of its own) holding busybox:1: the node
   * trusts its CA (registries.yaml tls.ca_file) but holds no credentials for it.
   */
  privateRegistry?: boolean;
  /** --cluster-dns, --cluster-domain and the node's resolv.conf, for pods' resolv.conf. */
  dns?: ClusterDnsSettings;
}

export interface PrivateRegistry {
  reg: RegistryFixture;
  /** "127.0.0.1:PORT/busybox:1" */
  image: string;
  creds: { username: string; password: string };
}

export async function startNodeCluster(opts: NodeClusterOptions = {}): Promise<NodeCluster> {
  const nodeName = `kube-${crypto.randomBytes(3).toString('hex')}`;
  const pki = opts.kubeletServer ? await kubeletPki(nodeName) : undefined;
  const cp = await startControlPlane({
    prefix: 'kube',
    nsPrefix: 'e2e',
    node: nodeName,
    registry: true,
    api: { inProcess: true, tls: !!pki, kubeletClient: pki ? { ...pki.apiClient, ca: pki.ca } : undefined },
  });
  const { node, ns, admin, root } = cp;
  const net = nodeNetwork(cp.suffix, 'k', 89);
  const rtRoot = path.join(root, 'runtime');
  let runtime: SkiffRuntimeService | undefined;
  let images: ImageService;
  let kubelet: Kubelet | undefined;
  let server: RunningKubeletServer | undefined;
  let mounted = false;
  let priv: PrivateRegistry | undefined;

  const teardown = async () => {
    await server?.close();
    await kubelet?.stop();
    // A pod's Secret or ConfigMap tmpfs that a failed test left: none may outlive the suite's root.
    await new TmpfsMounter().unmountUnder(path.join(root, 'kubelet'));
    const kept = await cleanRuntime(runtime, net);
    if (mounted) await unmountTmpfs(rtRoot);
    await priv?.reg.stop();
    await cp.teardown();
    expectStateDirReleased(kept);
  };

  try {
    if (opts.runtimeTmpfsMiB) {
      await mountTmpfs(rtRoot, opts.runtimeTmpfsMiB);
      mounted = true;
    }
    if (opts.privateRegistry && cp.registriesYaml && cp.store) {
      const auth = randomHtpasswdAuth();
      const reg = await startRegistry({ auth, serveTls: true });
      const creds = { username: auth.username, password: auth.password };
      priv = { reg, image: `${reg.host}/busybox:1`, creds };
      // The node trusts the registry's CA, as an operator would set it up, and has no credentials for it.
      const yaml = (parseYaml(await fs.readFile(cp.registriesYaml, 'utf8')) as { configs?: Record<string, unknown> } | null) ?? {};
      yaml.configs = { ...yaml.configs, [reg.host]: { tls: { ca_file: reg.caFile } } };
      await fs.writeFile(cp.registriesYaml, stringifyYaml(yaml), { mode: 0o600 });
      const trusted = await parseRegistriesConfig(`configs:\n  "${reg.host}":\n    tls:\n      ca_file: ${reg.caFile}\n`);
      await pushImage(reg.host, 'busybox:1', cp.store, await buildBusyboxImage(cp.store, { config: { Cmd: ['sleep', '3600'] } }), creds, trusted);
    }
    const holder: { rt?: SkiffRuntimeService } = {};
    images = new ImageService({ root: rtRoot, registryConfig: cp.registriesYaml, inUse: async () => holder.rt?.imagesInUse() ?? new Set() });
    runtime = new SkiffRuntimeService({ root: rtRoot, images, bridgeName: net.bridge, podCidr: net.podCidr, cgroupParent: net.cgroupParent });
    holder.rt = runtime;
    const kl: { k?: Kubelet } = {};
    if (pki) {
      server = await startKubeletServer({
        nodeName: node,
        runtime,
        images,
        pods: () => kl.k?.pods() ?? [],
        statusOf: (uid) => kl.k?.statusManager.get(uid),
        authn: new KubeletAuthenticator({ clientCA: pki.ca }),
        tls: pki.serving,
        host: '127.0.0.1',
        port: 0,
      });
    }
    kubelet = new Kubelet({
      client: cp.nodeClient,
      runtime,
      images,
      nodeName: node,
      root: path.join(root, 'kubelet'),
      podCIDR: net.podCidr,
      hostIP: '127.0.0.1',
      capacity: { cpu: '4', memory: '8Gi' },
      plegPeriodMs: 250,
      resyncIntervalMs: opts.resyncIntervalMs ?? 1000,
      ...(server ? { kubeletPort: server.port } : {}),
      ...(opts.imageGC ? { imageGC: opts.imageGC } : {}),
      ...(opts.imageGCPeriodMs ? { imageGCPeriodMs: opts.imageGCPeriodMs } : {}),
      ...(opts.configGetter ? { configGetter: opts.configGetter } : {}),
      ...(opts.syncFrequencyMs ? { syncFrequencyMs: opts.syncFrequencyMs } : {}),
      ...(opts.dns ? { dns: opts.dns } : {}),
    });
    kl.k = kubelet;
    await kubelet.start();
    const getPod = (name: string) => admin.pods.get(name, { namespace: ns });
    return {
      node,
      ns,
      admin,
      image: cp.image,
      registryHost: cp.registryHost,
      runtime,
      images,
      runtimeRoot: rtRoot,
      kubelet,
      apiUrl: cp.api.url,
      adminToken: cp.api.adminToken,
      ...(priv ? { privateRegistry: priv } : {}),
      ...(server && pki ? { kubeletServer: { url: `https://127.0.0.1:${server.port}`, ca: pki.ca, apiClient: pki.apiClient } } : {}),
      ...(cp.api.httpsUrl && cp.api.caFile ? { apiHttps: { url: cp.api.httpsUrl, caFile: cp.api.caFile } } : {}),
      controlPlane: cp,
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

/** The file's node cluster (fixtures/per-file.ts): started before its tests, torn down after them even when its start outlasted beforeAll. */
export function nodeClusterPerFile(opts: NodeClusterOptions, ready: (c: NodeCluster) => void | Promise<void>, timeouts?: PerFileTimeouts): void {
  perFile(() => startNodeCluster(opts), (c) => c.teardown(), ready, timeouts);
}

/**
 * A pod `name` on the cluster's node: busybox httpd on port 8080 serving /www, which `setup`
 * (shell) fills first. Resolves with the pod once it runs with an IP (the streaming suites and
 * the exec bench forward to it and exec in it).
 */
export async function startWebPod(c: NodeCluster, setup: string, name = 'web'): Promise<Pod> {
  await c.createPod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      nodeName: c.node,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'app', image: c.image, command: ['sh', '-c', `mkdir -p /www && ${setup} && exec httpd -f -p 8080 -h /www`] }],
    },
  });
  return c.waitPod(name, (p) => p.status?.phase === 'Running' && !!p.status.podIP, 'Running with an IP', 90_000);
}
