// An in-memory RuntimeService + ImageService for the kubelet's unit tests (Kubernetes'
// FakeRuntime / cri-api's FakeRuntimeService): same state machine and errors as the real
// runtime, no processes. Tests drive it (exit a container, inject an error, append a log
// line) and read back which CRI calls were made.
import crypto from 'node:crypto';
import {
  RuntimeError,
  type Container,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerStats,
  type ContainerStatus,
  type ExecSyncResponse,
  type FilesystemUsage,
  type Image,
  type ImageService,
  type ImageSpec,
  type ImageStatusResponse,
  type LogLine,
  type PodSandbox,
  type PodSandboxConfig,
  type PodSandboxFilter,
  type PodSandboxStatus,
  type PruneResult,
  type ReadLogsOptions,
  type RuntimeService,
  type RuntimeVersion,
} from '../cri.js';

interface FakeSandbox {
  status: PodSandboxStatus;
  config: PodSandboxConfig;
}

interface FakeContainer {
  status: ContainerStatus;
  sandboxId: string;
  config: ContainerConfig;
  logs: LogLine[];
}

const nowNs = () => Date.now() * 1_000_000;
const newId = () => crypto.randomBytes(32).toString('hex');
const matches = (labels: Record<string, string>, sel?: Record<string, string>) => !sel || Object.entries(sel).every(([k, v]) => labels[k] === v);

export class FakeRuntime implements RuntimeService, ImageService {
  /** Every call made, in order, by CRI method name ("runPodSandbox", "startContainer", ...). */
  readonly calls: string[] = [];
  readonly sandboxes = new Map<string, FakeSandbox>();
  readonly containers = new Map<string, FakeContainer>();
  readonly images = new Map<string, Image>();
  /** Answers for execSync, by the command joined with spaces. */
  readonly execResults = new Map<string, ExecSyncResponse>();
  readonly #errors = new Map<string, RuntimeError>();
  #ipCounter = 2;

  /** The next call to `method` fails with `err` (once). */
  injectError(method: string, err: RuntimeError): void {
    this.#errors.set(method, err);
  }

  #call(method: string): void {
    this.calls.push(method);
    const err = this.#errors.get(method);
    if (err) {
      this.#errors.delete(method);
      throw err;
    }
  }

  #sandbox(id: string): FakeSandbox {
    const s = this.sandboxes.get(id);
    if (!s) throw new RuntimeError('NotFound', `pod sandbox ${id} not found`);
    return s;
  }

  #container(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container ${id} not found`);
    return c;
  }

  /** Makes a running container exit, as if its process ended (reason derived like the real runtime unless given). */
  exitContainer(id: string, exitCode: number, reason?: string): void {
    const c = this.#container(id);
    c.status.state = 'CONTAINER_EXITED';
    c.status.exitCode = exitCode;
    c.status.finishedAt = nowNs();
    c.status.reason = reason ?? (exitCode === 0 ? 'Completed' : 'Error');
  }

  /** Appends a line to a container's log. */
  writeLog(id: string, stream: 'stdout' | 'stderr', line: string): void {
    this.#container(id).logs.push({ time: new Date().toISOString(), stream, partial: false, line });
  }

  /** Adds a local image (what a pull would have stored). */
  addImage(ref: string, size = 1024): string {
    const id = `sha256:${crypto.createHash('sha256').update(ref).digest('hex')}`;
    this.images.set(id, { id, repoTags: [ref], repoDigests: [], size });
    return id;
  }

  async version(): Promise<RuntimeVersion> {
    this.#call('version');
    return { version: '0.1.0', runtimeName: 'fake', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' };
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    this.#call('runPodSandbox');
    if (!config?.metadata?.name) throw new RuntimeError('InvalidArgument', 'sandbox metadata needs a name');
    const id = newId();
    const network = config.linux?.hostNetwork ? undefined : { ip: `10.88.0.${this.#ipCounter++}` };
    this.sandboxes.set(id, {
      config,
      status: { id, metadata: config.metadata, state: 'SANDBOX_READY', createdAt: nowNs(), labels: config.labels ?? {}, annotations: config.annotations ?? {}, network },
    });
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    this.#call('stopPodSandbox');
    const s = this.#sandbox(id);
    for (const c of this.containers.values()) if (c.sandboxId === id && c.status.state !== 'CONTAINER_EXITED') this.exitContainer(c.status.id, 137);
    s.status.state = 'SANDBOX_NOTREADY';
  }

  async removePodSandbox(id: string): Promise<void> {
    this.#call('removePodSandbox');
    for (const c of [...this.containers.values()]) if (c.sandboxId === id) this.containers.delete(c.status.id);
    this.sandboxes.delete(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    this.#call('podSandboxStatus');
    return structuredClone(this.#sandbox(id).status);
  }

  async listPodSandbox(filter: PodSandboxFilter = {}): Promise<PodSandbox[]> {
    this.#call('listPodSandbox');
    return [...this.sandboxes.values()]
      .filter((s) => (!filter.id || s.status.id === filter.id) && (!filter.state || s.status.state === filter.state) && matches(s.status.labels, filter.labelSelector))
      .map((s) => {
        const { network: _n, linux: _l, ...rest } = structuredClone(s.status);
        return rest;
      });
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, _sandboxConfig: PodSandboxConfig): Promise<string> {
    this.#call('createContainer');
    const s = this.#sandbox(podSandboxId);
    if (s.status.state !== 'SANDBOX_READY') throw new RuntimeError('FailedPrecondition', `pod sandbox ${podSandboxId} is not ready`);
    const id = newId();
    this.containers.set(id, {
      sandboxId: podSandboxId,
      config,
      logs: [],
      status: {
        id,
        metadata: { name: config.metadata.name, attempt: config.metadata.attempt ?? 0 },
        state: 'CONTAINER_CREATED',
        createdAt: nowNs(),
        startedAt: 0,
        finishedAt: 0,
        exitCode: 0,
        image: config.image,
        imageRef: config.image.image,
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
    this.#call('startContainer');
    const c = this.#container(id);
    if (c.status.state !== 'CONTAINER_CREATED') throw new RuntimeError('FailedPrecondition', `container ${id} is ${c.status.state}`);
    c.status.state = 'CONTAINER_RUNNING';
    c.status.startedAt = nowNs();
  }

  async stopContainer(id: string, _timeout: number): Promise<void> {
    this.#call('stopContainer');
    const c = this.#container(id);
    if (c.status.state !== 'CONTAINER_EXITED') this.exitContainer(id, 137);
  }

  async removeContainer(id: string): Promise<void> {
    this.#call('removeContainer');
    this.containers.delete(id);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<Container[]> {
    this.#call('listContainers');
    return [...this.containers.values()]
      .filter((c) => (!filter.id || c.status.id === filter.id) && (!filter.podSandboxId || c.sandboxId === filter.podSandboxId) && (!filter.state || c.status.state === filter.state) && matches(c.status.labels, filter.labelSelector))
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
    this.#call('containerStatus');
    return structuredClone(this.#container(id).status);
  }

  async containerStats(id: string): Promise<ContainerStats> {
    this.#call('containerStats');
    const c = this.#container(id);
    return { attributes: { id, metadata: c.status.metadata, labels: c.status.labels, annotations: c.status.annotations }, cpu: { timestamp: nowNs(), usageCoreNanoSeconds: 0 }, memory: { timestamp: nowNs(), workingSetBytes: 0 } };
  }

  async listContainerStats(filter?: ContainerFilter): Promise<ContainerStats[]> {
    const list = await this.listContainers(filter);
    return Promise.all(list.map((c) => this.containerStats(c.id)));
  }

  async execSync(id: string, cmd: string[], _timeout: number): Promise<ExecSyncResponse> {
    this.#call('execSync');
    const c = this.#container(id);
    if (c.status.state !== 'CONTAINER_RUNNING') throw new RuntimeError('FailedPrecondition', `container ${id} is not running`);
    return this.execResults.get(cmd.join(' ')) ?? { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 };
  }

  async *readLogs(id: string, options: ReadLogsOptions = {}): AsyncIterable<LogLine> {
    this.#call('readLogs');
    let lines = [...this.#container(id).logs];
    if (options.sinceTime !== undefined) lines = lines.filter((l) => Date.parse(l.time) >= (options.sinceTime as number));
    if (options.tailLines !== undefined) lines = options.tailLines === 0 ? [] : lines.slice(-options.tailLines);
    yield* lines;
  }

  async pullImage(image: ImageSpec): Promise<string> {
    this.#call('pullImage');
    const existing = [...this.images.values()].find((i) => i.repoTags.includes(image.image));
    return existing?.id ?? this.addImage(image.image);
  }

  async listImages(filter?: { image?: ImageSpec }): Promise<Image[]> {
    this.#call('listImages');
    return [...this.images.values()].filter((i) => !filter?.image || i.repoTags.includes(filter.image.image) || i.id === filter.image.image);
  }

  async imageStatus(image: ImageSpec): Promise<ImageStatusResponse> {
    this.#call('imageStatus');
    const hit = [...this.images.values()].find((i) => i.id === image.image || i.repoTags.includes(image.image));
    return { image: hit ? structuredClone(hit) : null };
  }

  async removeImage(image: ImageSpec): Promise<void> {
    this.#call('removeImage');
    for (const [id, i] of this.images) if (id === image.image || i.repoTags.includes(image.image)) this.images.delete(id);
  }

  async imageFsInfo(): Promise<FilesystemUsage[]> {
    this.#call('imageFsInfo');
    const used = [...this.images.values()].reduce((n, i) => n + i.size, 0);
    return [{ timestamp: nowNs(), fsId: { mountpoint: '/fake' }, usedBytes: used, inodesUsed: this.images.size }];
  }

  async prune(): Promise<PruneResult> {
    this.#call('prune');
    const used = new Set([...this.containers.values()].map((c) => c.status.image.image));
    const deleted: string[] = [];
    let space = 0;
    for (const [id, i] of this.images) {
      if (i.repoTags.some((t) => used.has(t)) || used.has(id)) continue;
      this.images.delete(id);
      deleted.push(id);
      space += i.size;
    }
    return { imagesDeleted: deleted, spaceReclaimed: space };
  }
}
