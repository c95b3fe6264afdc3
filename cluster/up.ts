// `skiff up`: a working single-node cluster on this machine. The supervising process
// (`skiff up --foreground`, or the detached copy plain `skiff up` starts) makes the
// credentials, then starts and supervises etcd (unless an existing cluster is given), the
// local registry and `skiff server` (the API server on HTTPS, the scheduler, the
// controller-manager and this machine's kubelet in one process, as in k3s), and records their
// state in the state dir for `skiff status`. Secrets are encrypted at rest (encryption-config.ts).
import { readFile, rename, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { ADMIN, CONTROLLER_MANAGER, ensureCredentials, nodeIdentity, SCHEDULER, type ClusterCredentials } from './credentials.js';
import { ensureEncryptionConfig } from './encryption-config.js';
import { etcdComponent, planEtcdCluster } from './etcd.js';
import { apiserverEtcdFlags, ensureEtcdCredentials, type EtcdClientTls } from './etcd-credentials.js';
import { apiserverKubeletClientFlags, ensureApiserverKubeletClient, ensureKubeletServing, kubeletServingFlags } from './kubelet-credentials.js';
import { defaultHostIP } from '../kubelet/node-status.js';
import { clusterTag } from '../proxy/chain-names.js';
import { writeDockerAuth } from '../runtime/images/docker-config.js';
import { loadRegistriesConfig } from '../runtime/images/registries-config.js';
import { ensureRegistryCredentials, registryComponent, writeRegistryConfig } from './registry.js';
import { daemonNodeOptions, DEFAULTS } from './detach.js';
import { componentCommand, makePrivateDir, makeStateDir, runningPid, statePaths, writePrivateFile, type StatePaths } from './state.js';
import { Supervisor, type ComponentSpec } from './supervisor.js';
import { installKubeDns, kubeDnsServiceIP } from './kube-dns.js';
import { kubernetesServiceIP, parseServiceCIDR } from '../apiserver/service-ranges.js';

export { DEFAULTS } from './detach.js';

export interface UpOptions {
  stateDir: string;
  /** Existing etcd cluster (comma-separated client URLs); a managed one otherwise. */
  etcdServers?: string;
  /** With etcdServers: the API server's TLS files for it (--etcd-cafile, --etcd-certfile, --etcd-keyfile). */
  etcdTls?: Partial<EtcdClientTls>;
  /** registries.yaml for the kubelet, to which the local registry's credentials are added. */
  registryConfig?: string;
  /** The local registry answers first for gcr.io, docker.io, ghcr.io, quay.io and registry.k8s.io. */
  mirrorPublicRegistries?: boolean;
  nodeName?: string;
  apiPort?: number;
  etcdPort?: number;
  registryAddr?: string;
  podCidr?: string;
  /** The node's pod bridge (at most 15 characters). */
  bridge?: string;
  /** The kubelet's --sync-frequency (a Go duration; its default 1m when unset). */
  syncFrequency?: string;
  /** Services' cluster IPs (--service-cluster-ip-range) and node ports (--service-node-port-range). */
  serviceCidr?: string;
  nodePortRange?: string;
  /** The node agent's relay to the API server on the host's address, the kubernetes Service's endpoint (default: apiPort + 1). */
  apiRelayPort?: number;
  /** Packaged components not to run (k3s's --disable; `servicelb`), handed on to the server. */
  disable?: string[];
  /** Also copy component output here (skiff up --foreground). */
  tee?: NodeJS.WritableStream;
}


/**
 * A skiff daemon for the supervisor. With `startGate`, the process loads its code at once but
 * runs only once that file exists (see apiStartGate).
 */
export function skiffComponent(name: string, args: string[], stopGraceMs = 10_000, startGate?: string): ComponentSpec {
  const self = componentCommand();
  const env: NodeJS.ProcessEnv = { ...process.env, SKIFF_LOG_JSON: '1', NODE_OPTIONS: daemonNodeOptions() };
  if (startGate) env.SKIFF_START_GATE = startGate;
  else delete env.SKIFF_START_GATE;
  return { name, command: self.command, args: [...self.args, ...args], env, stopGraceMs };
}


/**
 * The clients of the API server start while it is still starting, their module loading (the
 * bulk of a Node daemon's start) overlapping its own; they wait on this file, made once the
 * API server answers /readyz and removed when the cluster stops.
 */
export function apiStartGate(paths: StatePaths): { file: string; open: () => Promise<void>; close: () => Promise<void> } {
  const file = path.join(paths.root, 'apiserver.ready');
  return { file, open: () => writePrivateFile(file, `${new Date().toISOString()}\n`), close: () => rm(file, { force: true }) };
}

/** The registries `--mirror-public-registries` sends to the local registry first. */
export const PUBLIC_REGISTRIES = ['gcr.io', 'docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io'];

/**
 * The kubelets' registries.yaml (0600: it holds the local registry's password): `base` (the
 * user's --registry-config, if any) plus the local registry's credentials and, with
 * `mirrorPublic`, the well-known registries mirrored by it. What `base` says wins. The CLI's
 * copy of the credentials goes to the state dir's docker-style config (0600).
 */
export async function writeDefaultRegistries(paths: StatePaths, registryAddr: string, creds: { username: string; password: string }, options: { mirrorPublic?: boolean; base?: string } = {}): Promise<void> {
  if (options.base) await loadRegistriesConfig(options.base); // its mistakes told here, not by the kubelet later
  const doc = (options.base ? (parse(await readFile(options.base, 'utf8')) as Record<string, unknown> | null) : null) ?? {};
  const mirrors = { ...(doc.mirrors as Record<string, unknown> | undefined) };
  const configs = { ...(doc.configs as Record<string, Record<string, unknown>> | undefined) };
  const endpoint = `http://${registryAddr}`;
  if (options.mirrorPublic) for (const h of PUBLIC_REGISTRIES) mirrors[h] ??= { endpoint: [endpoint] };
  configs[registryAddr] = { insecure: true, ...configs[registryAddr], auth: (configs[registryAddr]?.auth as unknown) ?? { username: creds.username, password: creds.password } };
  await writePrivateFile(paths.registriesYaml, stringify({ ...doc, mirrors, configs }));
  await writeDockerAuth(paths.dockerConfig, registryAddr, creds);
}

/** GET url with the cluster CA until it answers 200, or the deadline passes. */
export async function waitForHttps(url: string, ca: string, token: string | undefined, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline && !signal?.aborted) {
    const code = await new Promise<number>((resolve) => {
      const req = https.get(url, { ca, headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (e) => {
        last = e.message;
        resolve(0);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
    });
    if (code === 200) return;
    if (code) last = `HTTP ${code}`;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (${last || 'no answer'})`);
}

const statusWrites = new Map<string, Promise<void>>();

/** Writes status.json atomically (temp file + rename), one write at a time per file. */
export function writeStatus(paths: StatePaths, sup: Supervisor, extra: Record<string, unknown>): Promise<void> {
  const body = JSON.stringify({ pid: process.pid, updated: new Date().toISOString(), ...extra, components: sup.status() }, null, 2);
  const prev = statusWrites.get(paths.statusFile) ?? Promise.resolve();
  const next = prev.then(async () => {
    const tmp = `${paths.statusFile}.${process.pid}.tmp`;
    await writePrivateFile(tmp, body);
    await rename(tmp, paths.statusFile);
  });
  statusWrites.set(paths.statusFile, next.catch(() => undefined));
  return next;
}

/**
 * Runs the cluster in this process until `signal` aborts, then stops every component.
 * Resolves once everything is stopped.
 */
export async function runCluster(opts: UpOptions, signal: AbortSignal, onReady?: (creds: ClusterCredentials) => void): Promise<void> {
  // Start-up milestones in the supervisor's log (skiff-up.log), ms since this process began.
  const mark = (step: string) => process.stdout.write(`${JSON.stringify({ up: step, sinceSpawnMs: Math.round(performance.now()), at: new Date().toISOString() })}\n`);
  mark('supervisor running');
  const paths = statePaths(opts.stateDir);
  const other = runningPid(paths);
  if (other !== undefined && other !== process.pid) throw new Error(`skiff is already running for ${paths.root} (pid ${other})`);
  makeStateDir(paths);
  await writePrivateFile(paths.pidFile, `${process.pid}\n`);
  const node = opts.nodeName ?? os.hostname().toLowerCase();
  const apiPort = opts.apiPort ?? DEFAULTS.apiPort;
  const registryAddr = opts.registryAddr ?? DEFAULTS.registryAddr;
  const server = `https://127.0.0.1:${apiPort}`;
  const sup = new Supervisor({ logDir: paths.logDir, tee: opts.tee });
  // The node proxy's chain tag is recorded with the network so `down` removes the chains this
  // cluster made, however its state dir is spelled then.
  const proxyChainTag = clusterTag(paths.root);
  const meta = { stateDir: paths.root, server, node, registry: registryAddr, podCidr: opts.podCidr ?? DEFAULTS.podCidr, bridge: opts.bridge ?? DEFAULTS.bridge, proxyChainTag };
  sup.on('start', () => void writeStatus(paths, sup, meta));
  sup.on('exit', () => void writeStatus(paths, sup, meta));
  try {
    const serviceCidr = opts.serviceCidr ?? DEFAULTS.serviceCidr;
    const relayPort = opts.apiRelayPort ?? apiPort + 1;
    const creds = await ensureCredentials({
      stateDir: paths.root,
      server,
      hosts: [os.hostname(), kubernetesServiceIP(parseServiceCIDR(serviceCidr))],
      identities: [ADMIN, SCHEDULER, CONTROLLER_MANAGER, nodeIdentity(node)],
    });

    const kubeletServing = await ensureKubeletServing(paths.root, node, [os.hostname(), defaultHostIP()]);
    const kubeletClient = await ensureApiserverKubeletClient(paths.root);
    // Secrets encrypted at rest from the first up (and from the next up of an older state dir).
    const encryptionConfig = await ensureEncryptionConfig(paths.root);
    mark('credentials ready');
    let etcdServers = opts.etcdServers;
    let etcdTls = opts.etcdTls;
    if (!etcdServers) {
      const pki = await ensureEtcdCredentials(paths.root);
      makePrivateDir(paths.etcdDir);
      const plan = planEtcdCluster({ clientPort: opts.etcdPort ?? DEFAULTS.etcdPort });
      await sup.start(etcdComponent(plan, plan.members[0], paths.etcdDir, pki));
      etcdServers = plan.endpoints;
      etcdTls = pki.apiserverClient;
    }
    const registryCreds = await ensureRegistryCredentials(paths.registryDir);
    await sup.start(registryComponent(await writeRegistryConfig(paths.registryDir, registryAddr, registryCreds.htpasswdFile)));
    await writeDefaultRegistries(paths, registryAddr, registryCreds, { mirrorPublic: opts.mirrorPublicRegistries, base: opts.registryConfig });
    // Pods' volumes, images and logs live under the kubelet's root; the runtime's records and
    // bundles (pods' env) on the tmpfs of its state dir, which `down` takes away.
    makePrivateDir(paths.kubeletRoot);

    const kc = (id: string) => creds.kubeconfigs.get(id) ?? '';
    // The control plane and this machine's kubelet in one process, as k3s runs them (see
    // cmd/server.ts); each keeps its own credentials. The supervisor stays a process of its
    // own: it is what restarts the server when that dies.
    const clusterDnsIP = kubeDnsServiceIP(serviceCidr);
    const kubeletArgs = [
      `--kubeconfig=${kc(`kubelet-${node}`)}`,
      `--node-name=${node}`,
      `--root=${paths.kubeletRoot}`,
      `--runtime-state=${paths.runtimeStateDir}`,
      `--pod-cidr=${opts.podCidr ?? DEFAULTS.podCidr}`,
      `--bridge=${opts.bridge ?? DEFAULTS.bridge}`,
      `--registry-config=${paths.registriesYaml}`,
      ...kubeletServingFlags(kubeletServing),
      // Any free port (advertised in the Node): a real kubelet or a second cluster may hold 10250.
      '--kubelet-port=0',
      `--address=${defaultHostIP()}`,
      // Pods reach the API server at the kubernetes Service, whose endpoint is this relay on the host's address.
      `--apiserver-relay-port=${relayPort}`,
      ...(opts.syncFrequency ? [`--sync-frequency=${opts.syncFrequency}`] : []),
      // The node proxy, its chains tagged for this state dir (`skiff down` removes exactly those).
      '--proxy-mode=iptables',
      `--cluster-cidr=${opts.podCidr ?? DEFAULTS.podCidr}`,
      `--proxy-chain-tag=${proxyChainTag}`,
      // The cluster DNS on the host's address, on a free port (a second cluster, or the host's
      // own resolver, may hold 53): the node's kube-dns EndpointSlice says which.
      `--cluster-dns=${clusterDnsIP}`,
      '--cluster-dns-port=0',
    ];
    const apiArgs = [
      `--etcd-servers=${etcdServers}`,
      ...apiserverEtcdFlags(etcdTls),
      '--bind-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${creds.apiserverCertFile}`,
      `--tls-private-key-file=${creds.apiserverKeyFile}`,
      `--token-auth-file=${creds.tokenFile}`,
      ...apiserverKubeletClientFlags(kubeletClient),
      `--kubelet-certificate-authority=${creds.caFile}`,
      `--encryption-provider-config=${encryptionConfig}`,
      `--service-cluster-ip-range=${serviceCidr}`,
      `--service-node-port-range=${opts.nodePortRange ?? DEFAULTS.nodePortRange}`,
      `--kubernetes-service-target-port=${relayPort}`,
    ];
    await sup.start({
      ...skiffComponent('server', [
        'server',
        ...apiArgs.map((a) => `--kube-apiserver-arg=${a}`),
        `--kube-scheduler-arg=--kubeconfig=${kc('scheduler')}`,
        `--kube-controller-manager-arg=--kubeconfig=${kc('controller-manager')}`,
        `--kube-controller-manager-arg=--root-ca-file=${creds.caFile}`,
        ...(opts.disable?.length ? [`--disable=${opts.disable.join(',')}`] : []),
        ...kubeletArgs.map((a) => `--kubelet-arg=${a}`),
      ],
      // The kubelet leaves containers running when it stops; it only needs to let go.
      15_000),
      hosts: ['apiserver', 'scheduler', 'controller-manager', 'kubelet'],
    });
    mark('server started');
    await waitForHttps(`${server}/readyz`, creds.caPem, creds.tokens.get('admin'), 60_000, signal);
    mark('API server ready');
    await installKubeDns(server, creds, clusterDnsIP);
    await writeStatus(paths, sup, meta);
    onReady?.(creds);
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  } finally {
    await sup.stopAll();
    await writeStatus(paths, sup, { ...meta, stopped: true });
    await rm(paths.pidFile, { force: true });
  }
}
