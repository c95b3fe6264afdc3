// The CRI v1 services as in-process TypeScript interfaces (k8s.io/cri-api, api.proto),
// method names camelCased. The kubelet sees the runtime only through these; skiff's own
// runtime implements them on a content store, overlay snapshots, conmon and crun/runc.
import type { PruneReport } from '../api/wire/node-images.js';
import type { PullProgress } from '../api/wire/image-pull.js';
import type { Duplex, Readable, Writable } from 'node:stream';

// ---------------------------------------------------------------- errors
/** The few kinds of runtime error (containerd's errdefs): wrapped with context, mapped at the edge. */
export type RuntimeErrorKind = 'NotFound' | 'AlreadyExists' | 'InvalidArgument' | 'FailedPrecondition' | 'Unavailable' | 'Unauthenticated' | 'PermissionDenied' | 'Internal';

export class RuntimeError extends Error {
  readonly kind: RuntimeErrorKind;
  constructor(kind: RuntimeErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = `RuntimeError(${kind})`;
    this.kind = kind;
  }
}

export function isRuntimeError(e: unknown, kind?: RuntimeErrorKind): e is RuntimeError {
  return e instanceof RuntimeError && (kind === undefined || e.kind === kind);
}

// ---------------------------------------------------------------- images
export interface ImageSpec {
  /** A reference as the user wrote it ("busybox", "127.0.0.1:5000/app:v1", "...@sha256:..."). */
  image: string;
  annotations?: Record<string, string>;
}

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  identityToken?: string;
  registryToken?: string;
}

export interface Image {
  /** Image ID: the config digest ("sha256:<hex>"), as Docker shows it. */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** Sum of the compressed layer sizes plus config (what a pull transfers). */
  size: number;
  uid?: number;
  username?: string;
  spec?: ImageSpec;
  pinned?: boolean;
  /** skiff: creation time from the image config (RFC 3339), for `images` listings. */
  created?: string;
}

/** The parts of an OCI image config a runtime needs to start a container. */
export interface ImageConfig {
  user?: string;
  exposedPorts?: Record<string, object>;
  env?: string[];
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  labels?: Record<string, string>;
  stopSignal?: string;
}

export interface ImageStatusResponse {
  image: Image | null;
  /** Verbose info (the image config), present when asked for. */
  info?: { config?: ImageConfig; [key: string]: unknown };
}

export type { PullProgress };

export interface PullImageOptions {
  auth?: AuthConfig;
  /** Called as each blob moves through the pull, for progress bars. */
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
  /** "os/arch[/variant]"; linux/amd64 by default. */
  platform?: string;
}

export interface FilesystemUsage {
  timestamp: number;
  fsId: { mountpoint: string };
  usedBytes: number;
  inodesUsed: number;
}

/** What prune removed; the kubelet's POST /images/prune answers with it as is. */
export type PruneResult = PruneReport;

export interface RemoveImageOptions {
  /** Remove even if a container uses it. */
  force?: boolean;
}

export interface ImageService {
  /** Pulls an image and returns its reference (the image ID). */
  pullImage(image: ImageSpec, options?: PullImageOptions): Promise<string>;
  listImages(filter?: { image?: ImageSpec }): Promise<Image[]>;
  imageStatus(image: ImageSpec, verbose?: boolean): Promise<ImageStatusResponse>;
  /** By reference, full ID or unique ID prefix (3+ characters). */
  removeImage(image: ImageSpec, options?: RemoveImageOptions): Promise<void>;
  imageFsInfo(): Promise<FilesystemUsage[]>;
  /** Not in CRI: removes unused images and unreferenced blobs and snapshots. */
  prune(): Promise<PruneResult>;
}

// ---------------------------------------------------------------- sandboxes
export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  hostIp?: string;
}

export interface LinuxContainerResources {
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  memoryLimitInBytes?: number;
  /** memory+swap in bytes; -1 unlimited (docker's --memory-swap). */
  memorySwapLimitInBytes?: number;
  oomScoreAdj?: number;
  cpusetCpus?: string;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  logDirectory?: string;
  dnsConfig?: { servers?: string[]; searches?: string[]; options?: string[] };
  portMappings?: PortMapping[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: {
    cgroupParent?: string;
    /** Pod-level resources (the sum of its containers), applied to the pod cgroup. */
    resources?: LinuxContainerResources;
    hostNetwork?: boolean;
    sysctls?: Record<string, string>;
  };
}

export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: number; // nanoseconds since epoch
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxStatus extends PodSandbox {
  network?: { ip?: string; additionalIps?: { ip: string }[] };
  linux?: { namespaces?: { network?: string } };
}

export interface PodSandboxFilter {
  id?: string;
  state?: PodSandboxState;
  labelSelector?: Record<string, string>;
}

// ---------------------------------------------------------------- containers
export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  propagation?: 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
}

export interface LinuxContainerSecurityContext {
  capabilities?: { addCapabilities?: string[]; dropCapabilities?: string[] };
  privileged?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  runAsUsername?: string;
  readonlyRootfs?: boolean;
  noNewPrivs?: boolean;
  supplementalGroups?: number[];
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: ImageSpec;
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: KeyValue[];
  mounts?: Mount[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Relative to the sandbox's logDirectory. */
  logPath?: string;
  /** conmon holds the container's stdin open for attach (else it reads /dev/null). */
  stdin?: boolean;
  /** stdin closes when the first attach session ends (else it stays open for the next). */
  stdinOnce?: boolean;
  /** A terminal for the container's process: its output comes merged on stdout. */
  tty?: boolean;
  linux?: { resources?: LinuxContainerResources; securityContext?: LinuxContainerSecurityContext };
  stopSignal?: string;
}

export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  image: ImageSpec;
  imageRef: string;
  state: ContainerState;
  createdAt: number; // ns
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata;
  state: ContainerState;
  createdAt: number; // ns
  startedAt: number; // ns, 0 if never
  finishedAt: number; // ns, 0 if not finished
  exitCode: number;
  image: ImageSpec;
  imageRef: string;
  /** "Completed", "Error", "OOMKilled", "ContainerCannotRun" */
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  mounts: Mount[];
  logPath: string;
  resources?: { linux?: LinuxContainerResources };
  pid?: number;
}

export interface ContainerFilter {
  id?: string;
  state?: ContainerState;
  podSandboxId?: string;
  labelSelector?: Record<string, string>;
}

export interface ContainerStats {
  attributes: { id: string; metadata: ContainerMetadata; labels: Record<string, string>; annotations: Record<string, string> };
  cpu?: { timestamp: number; usageCoreNanoSeconds: number };
  memory?: { timestamp: number; workingSetBytes: number; usageBytes?: number; rssBytes?: number };
  writableLayer?: { usedBytes: number; inodesUsed: number };
}

export interface ExecSyncResponse {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

/** A terminal's size in characters (CRI's TerminalSize). */
export interface TerminalSize {
  width: number;
  height: number;
}

export interface ExecOptions {
  cmd: string[];
  /** A terminal for the process: its output comes merged on stdout, as in Kubernetes. */
  tty?: boolean;
  /** Whether the process gets a stdin to write to (else it reads /dev/null). */
  stdin?: boolean;
  /** The terminal's size at start (tty only). */
  size?: TerminalSize;
}

/** CRI's Attach: the streams of a container's own process (its config's `stdin` and `tty`). */
export interface AttachOptions {
  /** Whether the client writes to the container's stdin (which the container must keep: `stdin`). */
  stdin?: boolean;
  /** The terminal's size to set at attach (a container with `tty` only). */
  size?: TerminalSize;
}

/**
 * A process streaming in a container (CRI's Exec; the kubelet's streaming server carries it to
 * the client). Nothing here outlives the process: once `exited` settles and its output is
 * read, the runtime holds no process, pty or descriptor for it. (Without a TTY the process's
 * stdout and stderr are its own pipes: a child it leaves running in the background keeps them
 * open, and the streams end when that child does, as with docker exec.) Idle timeouts are the
 * streaming server's, which knows the client.
 */
export interface StreamSession {
  /** end() half-closes the process's stdin (with a TTY: an EOF character, as a terminal does). */
  stdin?: Writable;
  stdout: Readable;
  /** Absent with a TTY: the terminal merges both streams. */
  stderr?: Readable;
  /** Resizes the terminal (tty only; ignored otherwise). */
  resize(size: TerminalSize): void;
  /** The exit code; 128 + the signal's number when a signal ended the process. */
  exited: Promise<number>;
  /** Kills the exec'd process (SIGKILL), and nothing else in the container: for a client that went away. */
  kill(): void;
}

export interface LogLine {
  time: string; // RFC 3339 nano
  stream: 'stdout' | 'stderr';
  /** Full line or partial (P) chunk of a longer one. */
  partial: boolean;
  line: string;
}

export interface ReadLogsOptions {
  tailLines?: number;
  follow?: boolean;
  /** Only lines at or after this instant (ms since epoch). */
  sinceTime?: number;
  /** Read the log of the previous instance (attempt - 1) of this container. */
  previous?: boolean;
  limitBytes?: number;
  signal?: AbortSignal;
}

export interface RuntimeVersion {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface RuntimeService {
  version(): Promise<RuntimeVersion>;

  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  stopPodSandbox(podSandboxId: string): Promise<void>;
  removePodSandbox(podSandboxId: string): Promise<void>;
  podSandboxStatus(podSandboxId: string): Promise<PodSandboxStatus>;
  listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]>;

  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  startContainer(containerId: string): Promise<void>;
  /** Stop signal (or SIGTERM), then SIGKILL after `timeout` seconds. */
  stopContainer(containerId: string, timeout: number): Promise<void>;
  removeContainer(containerId: string): Promise<void>;
  listContainers(filter?: ContainerFilter): Promise<Container[]>;
  containerStatus(containerId: string): Promise<ContainerStatus>;
  containerStats(containerId: string): Promise<ContainerStats>;
  listContainerStats(filter?: ContainerFilter): Promise<ContainerStats[]>;
  execSync(containerId: string, cmd: string[], timeout: number): Promise<ExecSyncResponse>;
  /** Runs a command in a running container with its streams open (CRI Exec). */
  exec(containerId: string, options: ExecOptions): Promise<StreamSession>;
  /**
   * A connection to localhost:port inside the sandbox's network namespace (CRI PortForward,
   * one connection per call): 127.0.0.1 first, then ::1, as containerd does. A refused or
   * unreachable port is Unavailable. skiff's runtime answers with a net.Socket.
   */
  portForward(podSandboxId: string, port: number): Promise<Duplex>;
  /**
   * The streams of a running container's own process (CRI Attach): output from now on, and
   * its stdin when the container was created with `stdin`. Whether stdout and stderr come
   * merged is the container's `tty`, not the client's. `exited` is the container's exit code,
   * once it exits while attached; `kill()` detaches and leaves the container running (then
   * `exited` never settles). The stdin's end is the container's EOF with `stdinOnce` only.
   */
  attach(containerId: string, options: AttachOptions): Promise<StreamSession>;

  /** Not a CRI call (the kubelet reads log files itself in Kubernetes): the CRI-format log of a container. */
  readLogs(containerId: string, options?: ReadLogsOptions): AsyncIterable<LogLine>;
}
