// A fake CRI runtime for kubelet unit tests (Kubernetes' FakeRuntime / FakeRuntimeService):
// sandboxes, containers and images held in maps, every call recorded, and hooks for the
// situations a test sets up (a container exits, a pull fails, an exec answers). No processes:
// a streaming exec runs a handler on in-memory streams, a started container's process is a
// hook on its in-memory console (which attach sessions join), and port-forward connects to what a
// test listens on with in-memory duplex pairs.
import { Duplex, PassThrough, Readable, type Writable } from 'node:stream';
import type {
  AttachOptions,
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerStats,
  ContainerStatus,
  ExecOptions,
  ExecSyncResponse,
  FilesystemUsage,
  Image,
  ImageService,
  ImageSpec,
  ImageStatusResponse,
  LogLine,
  ReadLogsOptions,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatus,
  PruneResult,
  PullImageOptions,
  RemoveImageOptions,
  RuntimeService,
  RuntimeVersion,
  StreamSession,
  TerminalSize,
} from '../cri.js';
import { RuntimeError } from '../cri.js';

/** Where the fake's timestamps come from (a kubelet test passes its fake clock). */
export interface Clock {
  /** ms since epoch */
  now(): number;
}

const systemClock: Clock = { now: () => Date.now() };

interface FakeSandbox {
  status: PodSandboxStatus;
  config: PodSandboxConfig;
}

interface FakeContainer {
  status: ContainerStatus;
  sandboxId: string;
  config: ContainerConfig;
  /** What the container printed (appendLog), as the real runtime's CRI log holds it. */
  logs: LogLine[];
  /** Its process's streams while it runs (what conmon holds for the real runtime). */
  console?: FakeConsole;
}

/** What a fake container's process works with (containerProcess): its side of its streams. */
export interface FakeContainerIO {
  config: ContainerConfig;
  /** What attach sessions write; ends at once without `stdin`, and with `stdinOnce` when the first session's input ends. */
  stdin: Readable;
  /** Seen by the sessions attached when it is written (merged with a TTY, as on one terminal). */
  stdout: Writable;
  stderr: Writable;
  /** Terminal sizes, as attach sessions' resize() delivers them. */
  resized: TerminalSize[];
}

interface AttachedSession {
  stdout: PassThrough;
  stderr: PassThrough;
  exit(code: number): void;
}

interface FakeConsole {
  io: FakeContainerIO;
  stdin: PassThrough;
  sessions: Set<AttachedSession>;
}

function fakeConsole(config: ContainerConfig): FakeConsole {
  const sessions = new Set<AttachedSession>();
  const stdin = new PassThrough();
  if (!config.stdin) stdin.end();
  const to = (pick: (s: AttachedSession) => Writable) =>
    new PassThrough().on('data', (chunk: Buffer) => {
      for (const s of sessions) pick(s).write(chunk);
    });
  const stdout = to((s) => s.stdout);
  const stderr = config.tty ? stdout : to((s) => s.stderr);
  return { io: { config, stdin, stdout, stderr, resized: [] }, stdin, sessions };
}

/** What a fake exec's handler works with: the process's side of its streams. */
export interface FakeExecIO {
  options: ExecOptions;
  /** Ends when the client half-closes (at once without stdin). */
  stdin: Readable;
  stdout: Writable;
  /** The same stream as stdout with a TTY. */
  stderr: Writable;
  /** Terminal sizes, as resize() delivers them. */
  resized: TerminalSize[];
  /** Aborted by kill(). */
  signal: AbortSignal;
}

/** Two in-memory ends of one connection: what one writes the other reads, end() half-closes. */
function duplexPair(): [Duplex, Duplex] {
  const a = new PassThrough();
  const b = new PassThrough();
  return [Duplex.from({ readable: a, writable: b }), Duplex.from({ readable: b, writable: a })];
}

export interface Call {
  method: string;
  args: unknown[];
}

function matches(labels: Record<string, string>, selector?: Record<string, string>): boolean {
  return !selector || Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export class FakeRuntime implements RuntimeService, ImageService {
  readonly calls: Call[] = [];
  readonly sandboxes = new Map<string, FakeSandbox>();
  readonly containers = new Map<string, FakeContainer>();
  readonly images = new Map<string, Image>();
  /** method -> error thrown by its next call */
  readonly failNext = new Map<string, Error>();
  /** image reference -> error every pull of it throws */
  readonly pullErrors = new Map<string, Error>();
  /** A registry's verdict on each pull's credentials: an error refuses the pull (private registries). */
  pullCheck: ((image: string, auth: PullImageOptions['auth']) => Error | undefined) | undefined;
  execHandler: (containerId: string, cmd: string[], timeout: number) => Promise<ExecSyncResponse> = async () => ({
    stdout: Buffer.from(''),
    stderr: Buffer.from(''),
    exitCode: 0,
  });
  /** A started container's process (by default it does nothing until exitContainer). */
  containerProcess: (containerId: string, io: FakeContainerIO) => void = () => undefined;
  /** Runs a streaming exec; resolves with its exit code. By default it exits 0 at once. */
  execStreamHandler: (containerId: string, io: FakeExecIO) => Promise<number> = async () => 0;
  /** sandbox id -> port -> what takes a port-forward connection (listen()). */
  readonly listeners = new Map<string, Map<number, (socket: Duplex) => void>>();
  /** Exit code of a container stopped by stopContainer (SIGTERM honoured: 143; SIGKILL: 137). */
  stopExitCode = 143;
  #seq = 0;
  #clock: Clock;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  #ns(): number {
    // Strictly increasing, so newest-first ordering is well defined even within one ms.
    return this.#clock.now() * 1_000_000 + ++this.#seq;
  }

  #record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const err = this.failNext.get(method);
    if (err) {
      this.failNext.delete(method);
      throw err;
    }
  }

  callsOf(method: string): Call[] {
    return this.calls.filter((c) => c.method === method);
  }

  // ------------------------------------------------------------ test hooks
  addImage(ref: string, id = `sha256:${String(this.images.size + 1).padStart(64, '0')}`): Image {
    const img: Image = { id, repoTags: [ref], repoDigests: [`${ref.split(':')[0]}@sha256:${'d'.repeat(64)}`], size: 1234 };
    this.images.set(ref, img);
    return img;
  }

  /** The process of a running container exits. */
  exitContainer(id: string, exitCode: number, reason = exitCode === 0 ? 'Completed' : 'Error'): void {
    const c = this.#container(id);
    c.status = { ...c.status, state: 'CONTAINER_EXITED', exitCode, reason, finishedAt: this.#ns() };
    const con = c.console;
    c.console = undefined;
    if (!con) return;
    con.stdin.end();
    for (const s of con.sessions) s.exit(exitCode);
    con.sessions.clear();
  }

  /** Something in the sandbox listens on localhost:port: each port-forward connection goes to onConnection. */
  listen(sandboxId: string, port: number, onConnection: (socket: Duplex) => void): void {
    const ports = this.listeners.get(sandboxId) ?? new Map<number, (socket: Duplex) => void>();
    ports.set(port, onConnection);
    this.listeners.set(sandboxId, ports);
  }

  /** The container prints a line (readLogs returns it). */
  appendLog(id: string, stream: LogLine['stream'], line: string): void {
    const c = this.#container(id);
    const ms = this.#clock.now();
    const time = new Date(ms).toISOString().replace(/\.(\d{3})Z$/, `.$1${String(++this.#seq % 1_000_000).padStart(6, '0')}Z`);
    c.logs.push({ time, stream, partial: false, line });
  }

  setSandboxState(id: string, state: PodSandboxStatus['state']): void {
    const sb = this.sandboxes.get(id);
    if (!sb) throw new Error(`no sandbox ${id}`);
    sb.status = { ...sb.status, state };
  }

  containersOf(name: string): FakeContainer[] {
    return [...this.containers.values()].filter((c) => c.config.metadata.name === name);
  }

  #container(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container ${id} not found`);
    return c;
  }

  // ------------------------------------------------------------ RuntimeService
  async version(): Promise<RuntimeVersion> {
    return { version: '0.1.0', runtimeName: 'fake', runtimeVersion: '0.0.1', runtimeApiVersion: 'v1' };
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    this.#record('runPodSandbox', config);
    const id = `sandbox-${++this.#seq}`;
    const hostNetwork = config.linux?.hostNetwork === true;
    this.sandboxes.set(id, {
      config,
      status: {
        id,
        metadata: config.metadata,
        state: 'SANDBOX_READY',
        createdAt: this.#ns(),
        labels: config.labels ?? {},
        annotations: config.annotations ?? {},
        network: { ip: hostNetwork ? '' : `10.88.0.${this.sandboxes.size + 2}` },
      },
    });
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    this.#record('stopPodSandbox', id);
    // As the real runtime: stopping is idempotent, but only for a sandbox it knows.
    const sb = this.sandboxes.get(id);
    if (!sb) throw new RuntimeError('NotFound', `pod sandbox ${id} not found`);
    for (const [cid, c] of this.containers) if (c.sandboxId === id && c.status.state === 'CONTAINER_RUNNING') this.exitContainer(cid, 137);
    sb.status = { ...sb.status, state: 'SANDBOX_NOTREADY' };
  }

  async removePodSandbox(id: string): Promise<void> {
    this.#record('removePodSandbox', id);
    for (const [cid, c] of this.containers) if (c.sandboxId === id) this.containers.delete(cid);
    this.sandboxes.delete(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const sb = this.sandboxes.get(id);
    if (!sb) throw new RuntimeError('NotFound', `sandbox ${id} not found`);
    return structuredClone(sb.status);
  }

  async listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]> {
    return [...this.sandboxes.values()]
      .map((s) => s.status)
      .filter((s) => (!filter?.id || s.id === filter.id) && (!filter?.state || s.state === filter.state) && matches(s.labels, filter?.labelSelector))
      .map(({ network: _n, linux: _l, ...sb }) => structuredClone(sb));
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    this.#record('createContainer', podSandboxId, config, sandboxConfig);
    const sandbox = this.sandboxes.get(podSandboxId);
    if (!sandbox) throw new RuntimeError('NotFound', `sandbox ${podSandboxId} not found`);
    // As the real runtime: no new container in a stopped sandbox, one container per name and attempt.
    if (sandbox.status.state !== 'SANDBOX_READY') throw new RuntimeError('FailedPrecondition', `pod sandbox ${podSandboxId} is not ready`);
    const attempt = config.metadata.attempt ?? 0;
    for (const c of this.containers.values()) {
      if (c.sandboxId === podSandboxId && c.config.metadata.name === config.metadata.name && (c.config.metadata.attempt ?? 0) === attempt) {
        throw new RuntimeError('AlreadyExists', `container ${config.metadata.name} attempt ${attempt} already exists in sandbox ${podSandboxId} as ${c.status.id}`);
      }
    }
    // The kubelet may name the image by reference or by the ID a pull returned.
    const img = this.images.get(config.image.image) ?? [...this.images.values()].find((i) => i.id === config.image.image);
    if (!img) throw new RuntimeError('NotFound', `image "${config.image.image}" not present`);
    const id = `ctr-${++this.#seq}`;
    this.containers.set(id, {
      sandboxId: podSandboxId,
      config,
      logs: [],
      status: {
        id,
        metadata: config.metadata,
        state: 'CONTAINER_CREATED',
        createdAt: this.#ns(),
        startedAt: 0,
        finishedAt: 0,
        exitCode: 0,
        image: config.image,
        imageRef: img.repoDigests[0] ?? img.id,
        reason: '',
        message: '',
        labels: config.labels ?? {},
        annotations: config.annotations ?? {},
        mounts: config.mounts ?? [],
        logPath: config.logPath ?? '',
      },
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    this.#record('startContainer', id);
    const c = this.#container(id);
    if (c.status.state !== 'CONTAINER_CREATED') throw new RuntimeError('FailedPrecondition', `container ${id} is ${c.status.state}, not CONTAINER_CREATED`);
    c.status = { ...c.status, state: 'CONTAINER_RUNNING', startedAt: this.#ns() };
    c.console = fakeConsole(c.config);
    this.containerProcess(id, c.console.io);
  }

  async stopContainer(id: string, timeout: number): Promise<void> {
    this.#record('stopContainer', id, timeout);
    const c = this.#container(id);
    if (c.status.state === 'CONTAINER_RUNNING') this.exitContainer(id, timeout === 0 ? 137 : this.stopExitCode);
  }

  async removeContainer(id: string): Promise<void> {
    this.#record('removeContainer', id);
    this.containers.delete(id);
  }

  async listContainers(filter?: ContainerFilter): Promise<Container[]> {
    return [...this.containers.values()]
      .filter(
        (c) =>
          (!filter?.id || c.status.id === filter.id) &&
          (!filter?.state || c.status.state === filter.state) &&
          (!filter?.podSandboxId || c.sandboxId === filter.podSandboxId) &&
          matches(c.status.labels, filter?.labelSelector),
      )
      .map((c) => ({
        id: c.status.id,
        podSandboxId: c.sandboxId,
        metadata: c.status.metadata,
        image: c.status.image,
        imageRef: c.status.imageRef,
        state: c.status.state,
        createdAt: c.status.createdAt,
        labels: c.status.labels,
        annotations: c.status.annotations,
      }));
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    return structuredClone(this.#container(id).status);
  }

  async containerStats(id: string): Promise<ContainerStats> {
    const c = this.#container(id);
    return { attributes: { id, metadata: c.status.metadata, labels: c.status.labels, annotations: c.status.annotations } };
  }

  async listContainerStats(filter?: ContainerFilter): Promise<ContainerStats[]> {
    return Promise.all((await this.listContainers(filter)).map((c) => this.containerStats(c.id)));
  }

  async execSync(id: string, cmd: string[], timeout: number): Promise<ExecSyncResponse> {
    this.#record('execSync', id, cmd, timeout);
    const c = this.#container(id);
    if (c.status.state !== 'CONTAINER_RUNNING') throw new RuntimeError('FailedPrecondition', `container ${id} is not running (${c.status.state})`);
    return this.execHandler(id, cmd, timeout);
  }

  async exec(id: string, options: ExecOptions): Promise<StreamSession> {
    this.#record('exec', id, options);
    const c = this.#container(id);
    if (!Array.isArray(options.cmd) || options.cmd.length === 0) throw new RuntimeError('InvalidArgument', 'exec needs a command');
    if (c.status.state !== 'CONTAINER_RUNNING') throw new RuntimeError('FailedPrecondition', `container ${id} is not running (${c.status.state})`);
    const stdin = options.stdin ? new PassThrough() : undefined;
    const stdout = new PassThrough();
    const stderr = options.tty ? stdout : new PassThrough();
    const killed = new AbortController();
    const resized: TerminalSize[] = options.tty && options.size ? [options.size] : [];
    const io: FakeExecIO = { options, stdin: stdin ?? Readable.from([]), stdout, stderr, resized, signal: killed.signal };
    const killedCode = new Promise<number>((resolve) => killed.signal.addEventListener('abort', () => resolve(128 + 9)));
    const exited = Promise.race([this.execStreamHandler(id, io), killedCode]).finally(() => {
      stdout.end();
      stderr.end();
    });
    return {
      stdin,
      stdout,
      stderr: options.tty ? undefined : stderr,
      resize: (size) => {
        if (options.tty) resized.push(size);
      },
      exited,
      kill: () => killed.abort(),
    };
  }

  async attach(id: string, options: AttachOptions): Promise<StreamSession> {
    this.#record('attach', id, options);
    const c = this.#container(id);
    const con = c.console;
    if (c.status.state !== 'CONTAINER_RUNNING' || !con) throw new RuntimeError('FailedPrecondition', `container ${id} is not running (${c.status.state})`);
    const tty = c.config.tty === true;
    const stdout = new PassThrough();
    const stderr = tty ? stdout : new PassThrough();
    let exit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (exit = resolve));
    const session: AttachedSession = {
      stdout,
      stderr,
      exit: (code) => {
        stdout.end();
        stderr.end();
        exit(code);
      },
    };
    con.sessions.add(session);
    // This session's input ended (or it went): the container's stdin ends too with stdinOnce.
    const inputDone = () => {
      if (c.config.stdinOnce) con.stdin.end();
    };
    const stdin =
      options.stdin && c.config.stdin
        ? new PassThrough().on('data', (chunk: Buffer) => {
            if (!con.stdin.writableEnded) con.stdin.write(chunk);
          })
        : undefined;
    stdin?.on('end', inputDone);
    const resize = (size: TerminalSize) => {
      if (tty) con.io.resized.push(size);
    };
    if (options.size) resize(options.size);
    return {
      stdin,
      stdout,
      stderr: tty ? undefined : stderr,
      resize,
      exited,
      kill: () => {
        if (!con.sessions.delete(session)) return;
        stdout.end();
        stderr.end();
        inputDone();
      },
    };
  }

  async portForward(sandboxId: string, port: number): Promise<Duplex> {
    this.#record('portForward', sandboxId, port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RuntimeError('InvalidArgument', `port ${port} is not a TCP port`);
    const sb = this.sandboxes.get(sandboxId);
    if (!sb) throw new RuntimeError('NotFound', `sandbox ${sandboxId} not found`);
    if (sb.status.state !== 'SANDBOX_READY') throw new RuntimeError('FailedPrecondition', `sandbox ${sandboxId} is not ready`);
    const onConnection = this.listeners.get(sandboxId)?.get(port);
    if (!onConnection) throw new RuntimeError('Unavailable', `port-forward to port ${port} of sandbox ${sandboxId}: connection refused`);
    const [client, server] = duplexPair();
    onConnection(server);
    return client;
  }

  /** What appendLog wrote; the previous instance is the same name's highest lower attempt in the sandbox. */
  async *readLogs(id: string, options: ReadLogsOptions = {}): AsyncIterable<LogLine> {
    let c = this.#container(id);
    if (options.previous) {
      const attempt = c.config.metadata.attempt ?? 0;
      const older = [...this.containers.values()]
        .filter((o) => o.sandboxId === c.sandboxId && o.config.metadata.name === c.config.metadata.name && (o.config.metadata.attempt ?? 0) < attempt)
        .sort((a, b) => (b.config.metadata.attempt ?? 0) - (a.config.metadata.attempt ?? 0));
      if (!older[0]) throw new RuntimeError('NotFound', `previous terminated container "${c.config.metadata.name}" not found`);
      c = older[0];
    }
    const lines = options.tailLines === undefined ? c.logs : c.logs.slice(Math.max(0, c.logs.length - options.tailLines));
    yield* structuredClone(lines);
  }

  // ------------------------------------------------------------ ImageService
  async pullImage(image: ImageSpec, options?: PullImageOptions): Promise<string> {
    this.#record('pullImage', image.image, options?.auth);
    const err = this.pullErrors.get(image.image) ?? this.pullCheck?.(image.image, options?.auth);
    if (err) throw err;
    const img = this.images.get(image.image) ?? this.addImage(image.image);
    return img.id;
  }

  async listImages(): Promise<Image[]> {
    return [...this.images.values()];
  }

  async imageStatus(image: ImageSpec): Promise<ImageStatusResponse> {
    this.#record('imageStatus', image.image);
    // As the real one: by reference or by the ID a pull returned.
    return { image: this.images.get(image.image) ?? [...this.images.values()].find((i) => i.id === image.image) ?? null };
  }

  /** By reference or ID; like the real one, refuses an image a container uses unless forced. */
  async removeImage(image: ImageSpec, options?: RemoveImageOptions): Promise<void> {
    this.#record('removeImage', image.image);
    const entries = [...this.images.entries()].filter(([ref, img]) => ref === image.image || img.id === image.image);
    if (entries.length === 0) throw new RuntimeError('NotFound', `no such image: ${image.image}`);
    const img = entries[0][1];
    if (!options?.force && [...this.containers.values()].some((c) => c.status.imageRef === img.id || img.repoDigests.includes(c.status.imageRef))) {
      throw new RuntimeError('FailedPrecondition', `image ${image.image} is in use by a container`);
    }
    for (const [ref] of entries) this.images.delete(ref);
  }

  async imageFsInfo(): Promise<FilesystemUsage[]> {
    return [];
  }

  async prune(): Promise<PruneResult> {
    return { imagesDeleted: [], spaceReclaimed: 0 };
  }
}
