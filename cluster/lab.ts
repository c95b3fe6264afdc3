// `skiff lab up --name NAME --nodes N`: a multi-node cluster on one machine. The control
// plane (etcd, 1 or 3 members; the registry; the API server; scheduler; controller-manager)
// runs on the host's loopback; each node is a network namespace of its own (lab-network.ts)
// running its own kubelet with its own root, pod CIDR and CNI bridge. Inside every node,
// proxies on the node's own loopback carry the API server's and the registry's ports to
// the host over unix sockets, so the same addresses work on the host and on every node.
//
// Failure experiments go through control files the supervising process watches:
// stop-node/start-node hold and release a kubelet; stop-etcd/start-etcd do the same to one
// etcd member; partition-node/heal-node cut a node off the lab bridge and from the API server.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ADMIN, CONTROLLER_MANAGER, ensureCredentials, nodeIdentity, SCHEDULER } from './credentials.js';
import { etcdComponent, planEtcdCluster } from './etcd.js';
import { apiserverEtcdFlags, ensureEtcdCredentials } from './etcd-credentials.js';
import { apiserverKubeletClientFlags, ensureApiserverKubeletClient, ensureKubeletServing, kubeletServingFlags } from './kubelet-credentials.js';
import { createLabNetwork, deleteLabNetwork, joinLabNetwork, LAB_CLUSTER_CIDR, labNode, planLabNetwork, setNodeLink, type LabNetworkPlan, type LabNode } from './lab-network.js';
import { clusterTag } from '../proxy/chain-names.js';
import { startProxy, type RunningProxy } from './lab-proxy.js';
import { ensureRegistryCredentials, registryComponent, writeRegistryConfig } from './registry.js';
import { makePrivateDir, makeStateDir, runningPid, statePaths, writePrivateFile } from './state.js';
import { Supervisor } from './supervisor.js';
import { apiStartGate, skiffComponent, waitForHttps, writeDefaultRegistries, writeStatus } from './up.js';
import { kubernetesServiceIP, parseServiceCIDR } from '../apiserver/service-ranges.js';
import { DEFAULTS } from './detach.js';

export interface LabOptions {
  name: string;
  nodes: number;
  stateDir: string;
  etcdMembers?: 1 | 3;
  nodeCapacity?: string;
  /** A KubeSchedulerConfiguration file for the lab's scheduler (e.g. MostAllocated). */
  schedulerConfig?: string;
  /** The controller-manager's --node-monitor-grace-period (Kubernetes: 40s); shorter for experiments. */
  nodeMonitorGracePeriod?: string;
  /** The API server's --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds (Kubernetes: 300). */
  defaultNotReadyTolerationSeconds?: string;
  defaultUnreachableTolerationSeconds?: string;
  /** Each kubelet's --sync-frequency (Kubernetes: 1m); shorter for experiments with ConfigMap updates. */
  syncFrequency?: string;
  tee?: NodeJS.WritableStream;
}

/** The prefix that runs a command in a lab node's network namespace (and nothing else of it). */
export function nodeExec(netns: string): string[] {
  return ['nsenter', `--net=/run/netns/${netns}`, '--'];
}

export function labStateDir(base: string, name: string): string {
  return path.join(base, 'labs', name);
}

export interface LabPorts {
  api: number;
  registry: number;
  etcd: number;
}

/** Free loopback ports: the API server, the registry, and a run of six for etcd members. */
async function pickPorts(): Promise<LabPorts> {
  const free = () =>
    new Promise<number>((resolve, reject) => {
      const s = net.createServer().once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
  const runFree = async (base: number, n: number) => {
    for (let i = 0; i < n; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.createServer().once('error', () => resolve(false));
        s.listen(base + i, '127.0.0.1', () => s.close(() => resolve(true)));
      });
      if (!ok) return false;
    }
    return true;
  };
  let etcd = 0;
  for (let tries = 0; tries < 50 && !etcd; tries++) {
    const base = 30000 + Math.floor(Math.random() * 25000);
    if (await runFree(base, 6)) etcd = base;
  }
  if (!etcd) throw new Error('no free run of ports for etcd');
  return { api: await free(), registry: await free(), etcd };
}

export function labControl(stateDir: string) {
  const dir = path.join(stateDir, 'control');
  return {
    dir,
    stopFile: (k: number) => path.join(dir, `stop-node-${k}`),
    stopEtcdFile: (i: number) => path.join(dir, `stop-etcd-${i}`),
    partitionFile: (k: number) => path.join(dir, `partition-node-${k}`),
    /** `skiff lab add-node` asks for node k here; a join that fails leaves its reason in addNodeError. */
    addNodeFile: (k: number) => path.join(dir, `add-node-${k}`),
    addNodeError: (k: number) => path.join(dir, `add-node-${k}.error`),
    socket: (what: 'api' | 'registry') => path.join(stateDir, 'sock', `${what}.sock`),
    planFile: path.join(stateDir, 'lab.json'),
  };
}

/** Where each lab node's agent relays to the API server on its own address (a node's namespace is its own). */
export const LAB_API_RELAY_PORT = 6443;

/** Runs a lab in this process until `signal` aborts; then stops it and removes its network. */
export async function runLab(o: LabOptions, signal: AbortSignal, onReady?: (info: { kubeconfig: string; ports: LabPorts; plan: LabNetworkPlan }) => void): Promise<void> {
  const paths = statePaths(o.stateDir);
  const ctl = labControl(paths.root);
  const other = runningPid(paths);
  if (other !== undefined && other !== process.pid) throw new Error(`lab ${o.name} is already running (pid ${other})`);
  const plan = planLabNetwork(o.name, o.nodes);
  makeStateDir(paths);
  makePrivateDir(ctl.dir);
  makePrivateDir(path.dirname(ctl.socket('api')));
  for (const f of await readdir(ctl.dir)) await rm(path.join(ctl.dir, f), { force: true });
  await writePrivateFile(paths.pidFile, `${process.pid}\n`);
  const ports = await pickPorts();
  const server = `https://127.0.0.1:${ports.api}`;
  const sup = new Supervisor({ logDir: paths.logDir, tee: o.tee });
  const meta = { lab: o.name, stateDir: paths.root, server, registry: `127.0.0.1:${ports.registry}`, nodes: plan.nodes };
  sup.on('start', () => void writeStatus(paths, sup, meta));
  sup.on('exit', () => void writeStatus(paths, sup, meta));
  const proxies: RunningProxy[] = [];
  let watcher: NodeJS.Timeout | undefined;
  const gate = apiStartGate(paths);
  await gate.close();
  const etcdPlan = planEtcdCluster({ clientPort: ports.etcd, members: o.etcdMembers ?? 1, prefix: `lab-${o.name}-etcd` });
  try {
    await writePrivateFile(ctl.planFile, JSON.stringify({ plan, ports, etcd: etcdPlan }, null, 2));
    await createLabNetwork(plan);
    // Made again with every node that joins: a token and a kubeconfig for its kubelet.
    const credentials = () =>
      ensureCredentials({
        stateDir: paths.root,
        server,
        hosts: [kubernetesServiceIP(parseServiceCIDR(DEFAULTS.serviceCidr))],
        clusterName: `skiff-lab-${o.name}`,
        identities: [ADMIN, SCHEDULER, CONTROLLER_MANAGER, ...plan.nodes.map((n) => nodeIdentity(n.name))],
      });
    let creds = await credentials();
    // Kubelets live in namespaces the host has no route to: the API server reaches each through
    // a unix socket (kubelets/<node>.sock) that a proxy inside the node carries to its kubelet.
    const kubeletSockets = path.join(paths.root, 'sock', 'kubelets');
    await mkdir(kubeletSockets, { recursive: true });
    const kubeletClient = await ensureApiserverKubeletClient(paths.root);
    const etcdPki = await ensureEtcdCredentials(paths.root);
    makePrivateDir(paths.etcdDir);
    for (const m of etcdPlan.members) await sup.start(etcdComponent(etcdPlan, m, paths.etcdDir, etcdPki));
    const registryCreds = await ensureRegistryCredentials(paths.registryDir);
    await sup.start(registryComponent(await writeRegistryConfig(paths.registryDir, `127.0.0.1:${ports.registry}`, registryCreds.htpasswdFile)));
    await writeDefaultRegistries(paths, `127.0.0.1:${ports.registry}`, registryCreds);
    await sup.start(
      skiffComponent('apiserver', [
        'apiserver',
        `--etcd-servers=${etcdPlan.endpoints}`,
        ...apiserverEtcdFlags(etcdPki.apiserverClient),
        '--bind-address=127.0.0.1',
        `--secure-port=${ports.api}`,
        `--tls-cert-file=${creds.apiserverCertFile}`,
        `--tls-private-key-file=${creds.apiserverKeyFile}`,
        `--token-auth-file=${creds.tokenFile}`,
        ...apiserverKubeletClientFlags(kubeletClient),
        `--kubelet-certificate-authority=${creds.caFile}`,
        `--kubelet-socket-dir=${kubeletSockets}`,
        `--service-cluster-ip-range=${DEFAULTS.serviceCidr}`,
        `--service-node-port-range=${DEFAULTS.nodePortRange}`,
        `--kubernetes-service-target-port=${LAB_API_RELAY_PORT}`,
        ...(o.defaultNotReadyTolerationSeconds ? [`--default-not-ready-toleration-seconds=${o.defaultNotReadyTolerationSeconds}`] : []),
        ...(o.defaultUnreachableTolerationSeconds ? [`--default-unreachable-toleration-seconds=${o.defaultUnreachableTolerationSeconds}`] : []),
      ]),
    );
    // Host side of the node proxies: the unix sockets lead to the host's loopback ports.
    proxies.push(await startProxy({ listen: { kind: 'unix', path: ctl.socket('api') }, connect: { kind: 'tcp', host: '127.0.0.1', port: ports.api } }));
    proxies.push(await startProxy({ listen: { kind: 'unix', path: ctl.socket('registry') }, connect: { kind: 'tcp', host: '127.0.0.1', port: ports.registry } }));

    // Everything below loads while the API server starts and runs once it answers (apiStartGate).
    const kc = (id: string) => creds.kubeconfigs.get(id) ?? '';
    await sup.start(
      skiffComponent(
        'scheduler',
        ['scheduler', `--kubeconfig=${kc('scheduler')}`, ...(o.schedulerConfig ? [`--config=${path.resolve(o.schedulerConfig)}`] : [])],
        10_000,
        gate.file,
      ),
    );
    await sup.start(
      skiffComponent(
        'controller-manager',
        [
          'controller-manager',
          `--kubeconfig=${kc('controller-manager')}`,
          // A short grace wants a check to match, or NotReady lags by up to the 5 s default period.
          ...(o.nodeMonitorGracePeriod ? [`--node-monitor-grace-period=${o.nodeMonitorGracePeriod}`, '--node-monitor-period=1s'] : []),
        ],
        10_000,
        gate.file,
      ),
    );
    /** A node's proxies (API server, registry, and its kubelet's socket) and its kubelet, in its namespace. */
    const startNode = async (n: LabNode) => {
      // nsenter switches only the network namespace. `ip netns exec` would also give the
      // kubelet a private mount namespace, and the pod namespaces its runtime pins under
      // /run/netns would then be mounted there alone, not on the host where conmon, runc
      // and a later kubelet look for them.
      const inNode = nodeExec(n.netns);
      for (const what of ['api', 'registry'] as const) {
        const port = what === 'api' ? ports.api : ports.registry;
        await sup.start({
          ...skiffComponent(`node-${n.index}-${what}-proxy`, [
            'lab',
            'proxy',
            `--listen=tcp:127.0.0.1:${port}`,
            `--connect=unix:${ctl.socket(what)}`,
            `--block-file=${ctl.partitionFile(n.index)}`,
          ]),
          prefix: inNode,
        });
      }
      await sup.start({
        ...skiffComponent(`node-${n.index}-kubelet-proxy`, [
          'lab',
          'proxy',
          `--listen=unix:${path.join(kubeletSockets, `${n.name}.sock`)}`,
          '--connect=tcp:127.0.0.1:10250',
          `--block-file=${ctl.partitionFile(n.index)}`,
        ]),
        prefix: inNode,
      });
      const serving = await ensureKubeletServing(paths.root, n.name, [n.ip]);
      makePrivateDir(path.join(paths.root, 'nodes', String(n.index)));
      await sup.start({
        ...skiffComponent(
          `kubelet-${n.index}`,
          [
            'kubelet',
            `--kubeconfig=${kc(`kubelet-${n.name}`)}`,
            `--node-name=${n.name}`,
            `--root=${path.join(paths.root, 'nodes', String(n.index))}`,
            `--pod-cidr=${n.podCidr}`,
            `--registry-config=${paths.registriesYaml}`,
            `--node-labels=skiff.dev/lab=${o.name},skiff.dev/lab-node=${n.index}`,
            // Pods reach the API server through the kubernetes Service: this relay on the node's own address.
            `--node-ip=${n.ip}`,
            `--apiserver-relay-port=${LAB_API_RELAY_PORT}`,
            ...(o.nodeCapacity ? [`--capacity=${o.nodeCapacity}`] : []),
            ...(o.syncFrequency ? [`--sync-frequency=${o.syncFrequency}`] : []),
            ...kubeletServingFlags(serving),
            // Each node's proxy programs its own namespace's iptables.
            '--proxy-mode=iptables',
            `--cluster-cidr=${LAB_CLUSTER_CIDR}`,
            `--proxy-chain-tag=${clusterTag(paths.root)}`,
          ],
          15_000,
          gate.file,
        ),
        prefix: inNode,
      });
    };
    for (const n of plan.nodes) await startNode(n);
    await waitForHttps(`${server}/readyz`, creds.caPem, creds.tokens.get('admin'), 60_000, signal);
    await gate.open();
    await writeStatus(paths, sup, meta);
    const etcdNames = etcdPlan.members.map((m) => m.name);
    // skiff lab add-node: the node's network, its credentials (the API server reads its token
    // file once, at start, as kube-apiserver does: it is restarted), then its kubelet.
    const joining = new Set<number>();
    const join = async (k: number) => {
      const n = labNode(o.name, k);
      plan.nodes.push(n);
      await writePrivateFile(ctl.planFile, JSON.stringify({ plan, ports, etcd: etcdPlan }, null, 2));
      await joinLabNetwork(plan, n);
      creds = await credentials();
      await sup.hold('apiserver');
      sup.release('apiserver');
      await waitForHttps(`${server}/readyz`, creds.caPem, creds.tokens.get('admin'), 60_000, signal);
      await startNode(n);
    };
    const joinRequested = async () => {
      for (const f of await readdir(ctl.dir)) {
        const k = Number(/^add-node-(\d+)$/.exec(f)?.[1]);
        if (!k || joining.has(k)) continue;
        joining.add(k);
        try {
          if (!plan.nodes.some((n) => n.index === k)) await join(k);
        } catch (e) {
          await writePrivateFile(ctl.addNodeError(k), `${(e as Error).message}\n`);
        }
        await rm(path.join(ctl.dir, f), { force: true });
      }
    };
    watcher = setInterval(() => {
      void applyControl(sup, plan, etcdNames, ctl);
      void joinRequested();
    }, 300);
    onReady?.({ kubeconfig: paths.kubeconfig, ports, plan });
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  } finally {
    if (watcher) clearInterval(watcher);
    await sup.stopAll();
    await gate.close();
    for (const p of proxies) await p.close();
    // Pods go before their nodes: CNI teardown runs inside the node's namespace. The nodes
    // are independent, so they are cleaned together.
    await Promise.all(
      plan.nodes.map(async (n) => {
        const root = path.join(paths.root, 'nodes', String(n.index), 'runtime');
        if (!existsSync(root)) return;
        const self = skiffComponent('clean', ['lab', 'clean-node', `--root=${root}`, `--pod-cidr=${n.podCidr}`, `--proxy-chain-tag=${clusterTag(paths.root)}`]);
        try {
          const [cmd, ...args] = [...nodeExec(n.netns), self.command, ...self.args];
          await promisify(execFile)(cmd, args, { env: self.env });
        } catch (e) {
          process.stderr.write(`lab ${o.name}: cleaning node ${n.index}: ${(e as Error).message}\n`);
        }
      }),
    );
    await deleteLabNetwork(plan);
    await writeStatus(paths, sup, { ...meta, stopped: true });
    await rm(paths.pidFile, { force: true });
  }
}

/** Brings the supervisor and the network in line with the control files. */
async function applyControl(sup: Supervisor, plan: LabNetworkPlan, etcdMembers: string[], ctl: ReturnType<typeof labControl>): Promise<void> {
  const want = [
    ...plan.nodes.map((n) => ({ name: `kubelet-${n.index}`, stop: existsSync(ctl.stopFile(n.index)) })),
    ...etcdMembers.map((name, i) => ({ name, stop: existsSync(ctl.stopEtcdFile(i)) })),
  ];
  for (const { name, stop } of want) {
    if (stop && !sup.isHeld(name)) await sup.hold(name);
    if (!stop && sup.isHeld(name)) sup.release(name);
  }
}

/** partition-node / heal-node: the lab link and the node's proxies (by block file) together. */
export async function setPartition(stateDir: string, plan: LabNetworkPlan, index: number, partitioned: boolean): Promise<void> {
  const ctl = labControl(stateDir);
  if (partitioned) await writeFile(ctl.partitionFile(index), new Date().toISOString());
  else await rm(ctl.partitionFile(index), { force: true });
  await setNodeLink(plan, index, !partitioned);
}
