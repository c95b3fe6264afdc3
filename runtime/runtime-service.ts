// skiff's RuntimeService: pod sandboxes (pinned netns + CNI) and containers (OCI bundle,
// conmon, crun/runc) on a runtime root. Each CRI call lives in its own file under sandboxes/
// and containers/; this class wires the shared context and re-adopts what its state dir records.
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import type {
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerStats,
  ContainerStatus,
  AttachOptions,
  ExecOptions,
  ExecSyncResponse,
  LogLine,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatus,
  ReadLogsOptions,
  RuntimeService,
  RuntimeVersion,
  StreamSession,
} from './cri.js';
import type { ImageProvider } from './image-provider.js';
import { containerStats, listContainerStats } from './containers/container-stats.js';
import { containerStatus, listContainers } from './containers/container-status.js';
import { createContainer, type MonitorOptions } from './containers/create-container.js';
import { attach } from './containers/attach.js';
import { exec } from './containers/exec.js';
import { execSync } from './containers/exec-sync.js';
import { readLogs, rotateContainerLog } from './containers/read-logs.js';
import { removeContainer } from './containers/remove-container.js';
import { restartContainer } from './containers/restart-container.js';
import { startContainer } from './containers/start-container.js';
import { stopContainer } from './containers/stop-container.js';
import { BridgeOwner } from './network/bridge-owner.js';
import { CniNetwork } from './network/cni.js';
import { OciRuntime, chooseRuntime, type OciRuntimeName } from './oci/oci-runtime.js';
import { makePrivateDirSync, PRIVATE_FILE_MODE } from './file-modes.js';
import { loadRecords, runtimeDirs, type NodeNetwork, type RuntimeContext } from './runtime-context.js';
import { openStateDir, recordStateDir, stateDirFor } from './state-dir.js';
import { sweepOrphanAllocations } from './network/ipam-sweep.js';
import { removePodSandbox } from './sandboxes/remove-sandbox.js';
import { restartPodSandbox } from './sandboxes/restart-sandbox.js';
import { runPodSandbox } from './sandboxes/run-sandbox.js';
import { portForward } from './sandboxes/port-forward.js';
import { listPodSandbox, podSandboxStatus } from './sandboxes/sandbox-status.js';
import { stopPodSandbox } from './sandboxes/stop-sandbox.js';

export type { MonitorOptions } from './containers/create-container.js';

export interface RuntimeServiceOptions {
  /** Runtime root, on disk: image content, snapshots, logs, IPAM allocations, node.json. */
  root: string;
  /**
   * Runtime state, on a tmpfs (state-dir.ts): records, bundles, exit files, attach sockets, the
   * OCI runtime's state. By default the one the root was last opened with, else
   * /run/skiff/<name>-<hash>, derived from the root.
   */
  stateDir?: string;
  images: ImageProvider;
  /** crun by default where it works on this machine's cgroups, else runc. */
  runtime?: OciRuntimeName;
  /** Parent of every pod cgroup skiff makes up ("/skiff" by default). */
  cgroupParent?: string;
  /** The node's pod CIDR for host-local IPAM (10.88.0.0/16 by default). */
  podCidr?: string;
  cniBinDir?: string;
  /** The node bridge (15 characters at most); "skiff0" by default. */
  bridgeName?: string;
  /**
   * Bridge and pod CIDR when neither the options nor the root's node.json name them (the
   * docker-style `skiff cri` has its own, apart from the kubelet's skiff0).
   */
  defaultNetwork?: NodeNetwork;
  /** conmon truncates a log past this size (bytes); rotation is rotateContainerLog's job. */
  logSizeMax?: number;
  logger?: Logger;
}

interface NodeSettings {
  network: NodeNetwork;
  cgroupParent: string;
}

/**
 * Bridge, pod CIDR and cgroup parent: from the options, else from `<root>/node.json` (so
 * `skiff cri` verbs on a lab node's root use that node's network), else the defaults; what
 * is used is written back for the next instance.
 */
function nodeSettings(opts: RuntimeServiceOptions): NodeSettings {
  const file = path.join(opts.root, 'node.json');
  let saved: Partial<NodeSettings> = {};
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<NodeSettings>;
  } catch {
    // first use of this root
  }
  const settings: NodeSettings = {
    network: {
      bridge: opts.bridgeName ?? saved.network?.bridge ?? opts.defaultNetwork?.bridge ?? 'skiff0',
      podCidr: opts.podCidr ?? saved.network?.podCidr ?? opts.defaultNetwork?.podCidr ?? '10.88.0.0/16',
    },
    cgroupParent: opts.cgroupParent ?? saved.cgroupParent ?? '/skiff',
  };
  if (JSON.stringify(settings) !== JSON.stringify({ network: saved.network, cgroupParent: saved.cgroupParent })) {
    fs.writeFileSync(file, JSON.stringify(settings, null, 2), { mode: PRIVATE_FILE_MODE });
  }
  return settings;
}

/**
 * A root from before the state dir kept its records and bundles itself: those containers are
 * not adopted, and their env is still on the disk. Said once, loudly; `skiff down` (or
 * removing the pods) on the older skiff first avoids it.
 */
function warnOfOldLayout(root: string, logger: Logger): void {
  const old = ['containers', 'sandboxes', 'oci'].map((d) => path.join(root, d)).filter((d) => fs.existsSync(d));
  if (old.length > 0) logger.warn({ dirs: old }, 'the runtime root holds records of an older layout: their containers are not adopted and their files are still on disk (remove them once their containers are gone)');
}

export class SkiffRuntimeService implements RuntimeService {
  readonly #ctx: RuntimeContext;

  constructor(opts: RuntimeServiceOptions) {
    const logger = opts.logger ?? pino({ level: 'silent' });
    makePrivateDirSync(opts.root);
    const stateDir = stateDirFor(opts.root, opts.stateDir);
    const state = openStateDir(stateDir);
    recordStateDir(opts.root, stateDir);
    if (state.mounted) logger.info({ stateDir }, 'mounted a private tmpfs on the runtime state dir: records, bundles and OCI state stay off the disk');
    const dirs = runtimeDirs(opts.root, stateDir);
    // Logs and IPAM allocations are private too (a log can hold what a container printed).
    for (const d of [dirs.logs, dirs.ipam]) makePrivateDirSync(d);
    warnOfOldLayout(opts.root, logger);
    if (state.fresh) {
      // The first start after a reboot (or a `skiff down`): no sandbox holds an address any more.
      const freed = sweepOrphanAllocations(dirs.ipam, dirs.sandboxes);
      if (freed.length > 0) logger.info({ addresses: freed }, 'freed pod IP allocations of sandboxes the runtime state no longer records');
    }
    const chosen = chooseRuntime(opts.runtime);
    const node = nodeSettings(opts);
    const networks = new Map<string, CniNetwork>();
    const networkFor = (n: NodeNetwork | undefined): CniNetwork => {
      const { bridge, podCidr } = n ?? node.network;
      const key = `${bridge} ${podCidr}`;
      let net = networks.get(key);
      if (!net) {
        net = new CniNetwork({ name: `skiff-${bridge}`, bridge, podCidr, ipamDataDir: dirs.ipam, binDir: opts.cniBinDir });
        networks.set(key, net);
      }
      return net;
    };
    this.#ctx = {
      root: opts.root,
      stateDir,
      dirs,
      images: opts.images,
      oci: new OciRuntime({ ...chosen, stateRoot: dirs.ociState }),
      network: networkFor(node.network),
      nodeNetwork: node.network,
      bridgeOwner: new BridgeOwner({ ...node.network, root: path.resolve(opts.root) }),
      networkFor,
      cgroupParent: node.cgroupParent,
      logger,
      logSizeMax: opts.logSizeMax,
      sandboxes: new Map(),
      containers: new Map(),
      locks: new Map(),
      imageUsers: new Map(),
    };
    loadRecords(this.#ctx);
  }

  /** Where this runtime keeps its records, bundles and OCI state (a tmpfs; state-dir.ts). */
  get stateDir(): string {
    return this.#ctx.stateDir;
  }

  /** The cgroup every pod of this runtime goes under. */
  get cgroupParent(): string {
    return this.#ctx.cgroupParent;
  }

  /** The node network new sandboxes join (bridge and pod CIDR). */
  get network(): NodeNetwork {
    return { ...this.#ctx.nodeNetwork };
  }

  /** The OCI runtime in use ("crun" or "runc") and its binary. */
  get ociRuntime(): { name: OciRuntimeName; path: string; stateRoot: string } {
    const { name, path, stateRoot } = this.#ctx.oci;
    return { name, path, stateRoot };
  }

  async version(): Promise<RuntimeVersion> {
    return { version: '0.1.0', runtimeName: 'skiff', runtimeVersion: `${this.#ctx.oci.name} ${await this.#ctx.oci.version()}`, runtimeApiVersion: 'v1' };
  }

  runPodSandbox(config: PodSandboxConfig): Promise<string> {
    return runPodSandbox(this.#ctx, config);
  }
  stopPodSandbox(podSandboxId: string): Promise<void> {
    return stopPodSandbox(this.#ctx, podSandboxId);
  }
  removePodSandbox(podSandboxId: string): Promise<void> {
    return removePodSandbox(this.#ctx, podSandboxId);
  }
  podSandboxStatus(podSandboxId: string): Promise<PodSandboxStatus> {
    return podSandboxStatus(this.#ctx, podSandboxId);
  }
  listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]> {
    return listPodSandbox(this.#ctx, filter);
  }

  /** CRI's CreateContainer; `monitor` is skiff's own, for the docker-style verbs (never the kubelet). */
  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig, monitor?: MonitorOptions): Promise<string> {
    return createContainer(this.#ctx, podSandboxId, config, sandboxConfig, monitor);
  }
  startContainer(containerId: string): Promise<void> {
    return startContainer(this.#ctx, containerId);
  }
  stopContainer(containerId: string, timeout: number): Promise<void> {
    return stopContainer(this.#ctx, containerId, timeout);
  }
  removeContainer(containerId: string): Promise<void> {
    return removeContainer(this.#ctx, containerId);
  }
  listContainers(filter?: ContainerFilter): Promise<Container[]> {
    return listContainers(this.#ctx, filter);
  }
  containerStatus(containerId: string): Promise<ContainerStatus> {
    return containerStatus(this.#ctx, containerId);
  }
  containerStats(containerId: string): Promise<ContainerStats> {
    return containerStats(this.#ctx, containerId);
  }
  listContainerStats(filter?: ContainerFilter): Promise<ContainerStats[]> {
    return listContainerStats(this.#ctx, filter);
  }
  execSync(containerId: string, cmd: string[], timeout: number): Promise<ExecSyncResponse> {
    return execSync(this.#ctx, containerId, cmd, timeout);
  }
  exec(containerId: string, options: ExecOptions): Promise<StreamSession> {
    return exec(this.#ctx, containerId, options);
  }
  attach(containerId: string, options: AttachOptions): Promise<StreamSession> {
    return attach(this.#ctx, containerId, options);
  }
  portForward(podSandboxId: string, port: number): Promise<net.Socket> {
    return portForward(this.#ctx, podSandboxId, port);
  }
  readLogs(containerId: string, options?: ReadLogsOptions): AsyncIterable<LogLine> {
    return readLogs(this.#ctx, containerId, options);
  }

  /** Not CRI's: a stopped sandbox ready again, for the docker-style `skiff cri start` (restart-sandbox.ts). */
  restartPodSandbox(podSandboxId: string): Promise<void> {
    return restartPodSandbox(this.#ctx, podSandboxId);
  }

  /** Not CRI's: an exited container run again in place, for `skiff cri start` (restart-container.ts). */
  restartContainer(containerId: string, monitor?: MonitorOptions): Promise<void> {
    return restartContainer(this.#ctx, containerId, monitor);
  }

  /** Not CRI's RuntimeService but its ReopenContainerLog, done the kubelet's way: rotate, then reopen. */
  rotateContainerLog(containerId: string, maxFiles?: number): Promise<void> {
    return rotateContainerLog(this.#ctx, containerId, maxFiles);
  }

  /** The container's cgroup path (for read-back in tests and `skiff cri inspect`). */
  containerCgroup(containerId: string): string | undefined {
    return this.#ctx.containers.get(containerId)?.cgroupsPath;
  }

  /** Image IDs that containers on this root use (the image service's rmi/prune keep them). */
  async imagesInUse(): Promise<Set<string>> {
    return new Set([...this.#ctx.containers.values()].map((c) => c.imageId));
  }

  /** The pod cgroup of a sandbox. */
  sandboxCgroup(sandboxId: string): string | undefined {
    return this.#ctx.sandboxes.get(sandboxId)?.cgroupParent;
  }
}
