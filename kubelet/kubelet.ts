// The kubelet: registers its Node and keeps its Lease, watches the pods bound to it
// (fieldSelector spec.nodeName), admits them, and hands each to its pod worker; the PLEG,
// probe results and a periodic resync wake workers; pods the API no longer has are
// stopped and removed from the runtime. Containers outlive the kubelet: stop() leaves them.
import { isApiError } from '../api/errors.js';
import type { Node, Pod, ResourceList, Secret } from '../api/types/core.js';
import type { Service } from '../api/types/service.js';
import { Informer, listWatch } from '../client/informer.js';
import type { RestClient } from '../client/rest.js';
import type { ImageService, RuntimeService } from '../runtime/cri.js';
import { admitPod, rejectedStatus } from './admission.js';
import { restConfigGetter, restStatusWriter, RestEventRecorder } from './api-adapters.js';
import { crashLoopBackoff, imagePullBackoff } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import { ConfigSource, type ConfigGetter } from './config-source.js';
import { DEFAULT_IMAGE_GC_PERIOD_MS, ImageGCManager, type ImageGCPolicy } from './image-gc/manager.js';
import { ImagePuller } from './image-puller.js';
import type { GetSecret } from './pull-secrets.js';
import { LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from './labels.js';
import { silentLogger, type Logger } from './logger.js';
import { NodeLease } from './node-lease.js';
import { allocatableNumbers, buildNode, defaultHostIP, mergeNodeConditions, nodeCapacity, nodeStatus, nodeStatusChanged, type NodeConfig } from './node-status.js';
import type { NodeAllocatable } from './admission.js';
import { PodLifecycle } from './pod-lifecycle.js';
import { PodStates } from './pod-state.js';
import { PodWorkers } from './pod-workers.js';
import { Pleg } from './pleg.js';
import { ProberManager } from './prober/manager.js';
import { ReasonCache } from './status/reason-cache.js';
import { StatusManager } from './status/status-manager.js';
import { PodActionsExecutor } from './execute-pod-actions.js';
import { TmpfsMounter, type Mounter } from './tmpfs.js';
import type { ClusterDnsSettings } from './dns-config.js';
import { metaTime } from '../api/time.js';

export interface KubeletOptions {
  client: RestClient;
  runtime: RuntimeService;
  images: ImageService;
  nodeName: string;
  /** State of the kubelet itself: pod volumes under <root>/pods/<uid>. */
  root: string;
  podCIDR?: string;
  hostIP?: string;
  capacity?: ResourceList;
  labels?: Record<string, string>;
  maxPods?: number;
  /** Port of the kubelet's HTTPS server, advertised in status.daemonEndpoints (default 10250). */
  kubeletPort?: number;
  logger?: Logger;
  clock?: Clock;
  /**
   * Kubernetes' --sync-frequency (default 1m): how often the ConfigMaps and Secrets pods refer
   * to are read again (updates reach volumes within it; a pod waiting for one starts within
   * it), and the longest time between two syncs of a pod.
   */
  syncFrequencyMs?: number;
  /** How often every pod is synced (default: 10 s, or the sync frequency when shorter). */
  resyncIntervalMs?: number;
  plegPeriodMs?: number;
  nodeStatusIntervalMs?: number;
  leaseRenewIntervalMs?: number;
  /** Image garbage collection thresholds and minimum age (Kubernetes' defaults otherwise). */
  imageGC?: Partial<ImageGCPolicy>;
  /** How often image GC runs (default 5 minutes); it also runs at start-up. */
  imageGCPeriodMs?: number;
  /**
   * Event writes per second at most (Kubernetes' eventRecordQPS, default 50; 0: no limit), in
   * bursts of up to eventBurst (default 100). Events past it wait (none is dropped), so a node
   * producing events faster than that cannot flood the API server.
   */
  eventQPS?: number;
  eventBurst?: number;
  /** Where ConfigMaps and Secrets are read (default: GETs through `client`). */
  configGetter?: ConfigGetter;
  /** Mounts the tmpfs of Secret volumes (default: mount(8)). */
  mounter?: Mounter;
  /**
   * Reads the Secrets a pod names in spec.imagePullSecrets, for its pulls (default: the same
   * GET of /api/v1/namespaces/{ns}/secrets/{name} as `configGetter`; a Secret not there is
   * reported missing and the pull goes on with the node's credentials).
   */
  getSecret?: GetSecret;
  /** --cluster-dns, --cluster-domain and the node's resolv.conf, for pods' resolv.conf (the node's without it). */
  dns?: ClusterDnsSettings;
}

/** Kubernetes' default --sync-frequency. */
export const DEFAULT_SYNC_FREQUENCY_MS = 60_000;

const TERMINAL = new Set(['Succeeded', 'Failed']);
/** Post the node status at least this often even unchanged (Kubernetes: nodeStatusReportFrequency). */
const NODE_STATUS_REPORT_MS = 60_000;

/** What the pod asks of the kubelet, apart from its status. */
function desired(p: Pod): string {
  return JSON.stringify([p.spec, p.metadata.deletionTimestamp, p.metadata.deletionGracePeriodSeconds, p.metadata.labels, p.metadata.annotations]);
}

function byCreation(a: Pod, b: Pod): number {
  return (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '');
}

export class Kubelet {
  readonly statusManager: StatusManager;
  readonly workers: PodWorkers;
  readonly prober: ProberManager;
  readonly lifecycle: PodLifecycle;
  readonly imageGC: ImageGCManager;
  readonly config: ConfigSource;
  readonly #o: KubeletOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #recorder: RestEventRecorder;
  readonly #pleg: Pleg;
  readonly #lease: NodeLease;
  readonly #informer: Informer<Pod>;
  /** Every Service, for the pods' service-link variables. */
  readonly #services: Informer<Service>;
  readonly #nodeConfig: NodeConfig;
  readonly #alloc: NodeAllocatable;
  /** Every pod bound here, and through it all per-pod state: one forget(uid). */
  readonly #states: PodStates;
  #timers: NodeJS.Timeout[] = [];
  #synced = false;
  #stopped = false;
  #lastNodeStatus: { status: Node['status']; at: number } | undefined;

  constructor(opts: KubeletOptions) {
    this.#o = opts;
    this.#log = opts.logger ?? silentLogger;
    this.#clock = opts.clock ?? systemClock;
    const { client, runtime, images, nodeName } = opts;
    const hostIP = opts.hostIP ?? defaultHostIP();
    this.#recorder = new RestEventRecorder({
      client,
      nodeName,
      eventQPS: opts.eventQPS ?? 50,
      eventBurst: opts.eventBurst ?? 100,
      onError: (err) => this.#log.debug({ err }, 'event not recorded'),
    });
    this.statusManager = new StatusManager({
      writer: restStatusWriter(client),
      onError: (pod, err) => this.#log.warn({ pod, err }, 'pod status not written'),
    });
    this.prober = new ProberManager({
      runtime,
      statusOf: (uid) => this.statusManager.get(uid),
      recorder: this.#recorder,
      clock: this.#clock,
      timers: {
        set(fn, ms) {
          const t = setTimeout(fn, ms);
          t.unref();
          return () => clearTimeout(t);
        },
      },
    });
    const reasons = new ReasonCache();
    const crash = crashLoopBackoff(this.#clock);
    const pull = imagePullBackoff(this.#clock);
    this.#nodeConfig = {
      nodeName,
      podCIDR: opts.podCIDR,
      hostIP,
      capacity: opts.capacity,
      labels: opts.labels,
      maxPods: opts.maxPods ?? 110,
      kubeletPort: opts.kubeletPort,
      runtime: { name: 'skiff', version: '0.1.0' },
    };
    // What the node offers pods, the same numbers its Node status shows (no reservations).
    const alloc = allocatableNumbers(nodeCapacity(this.#nodeConfig));
    this.#alloc = alloc;
    this.imageGC = new ImageGCManager({
      images,
      runtime,
      policy: opts.imageGC,
      clock: this.#clock,
      logger: this.#log,
      onEvent: (type, reason, message) => this.#recorder.nodeEvent(type, reason, message),
    });
    const configGetter = opts.configGetter ?? restConfigGetter(client);
    const getSecret: GetSecret = opts.getSecret ?? (async (ns, name) => (await configGetter.get('Secret', ns, name)) as Secret | undefined);
    this.config = new ConfigSource({
      getter: configGetter,
      syncPeriodMs: opts.syncFrequencyMs ?? DEFAULT_SYNC_FREQUENCY_MS,
      onChange: (uid) => this.#wake(uid),
      clock: this.#clock,
      logger: this.#log,
    });
    const mounter = opts.mounter ?? new TmpfsMounter();
    this.#services = new Informer<Service>(listWatch(client.resourceByName<Service>('services', '')));
    const executor = new PodActionsExecutor({
      services: this.#services,
      runtime,
      images,
      puller: new ImagePuller({ images, recorder: this.#recorder, backoff: pull, clock: this.#clock, getSecret }),
      recorder: this.#recorder,
      reasons,
      crashBackoff: crash,
      root: opts.root,
      clock: this.#clock,
      hostIP,
      memoryCapacity: alloc.memory,
      nodeAllocatable: { milliCPU: alloc.milliCPU, memory: alloc.memory },
      onImageUsed: (ref) => this.imageGC.recordUsed(ref),
      config: this.config,
      mounter,
      ...(opts.dns ? { dns: opts.dns } : {}),
    });
    this.lifecycle = new PodLifecycle({
      runtime,
      executor,
      statusManager: this.statusManager,
      prober: this.prober,
      reasons,
      backoffs: [crash, pull],
      root: opts.root,
      mounter,
      runtimeName: () => this.#nodeConfig.runtime.name,
      hostIP,
      clock: this.#clock,
      onTerminated: (pod) => this.#onTerminated(pod),
    });
    this.workers = new PodWorkers({
      sync: this.lifecycle.sync,
      onError: (u, err) => this.#log.warn({ pod: `${u.pod.metadata.namespace}/${u.pod.metadata.name}`, err }, 'pod sync failed'),
    });
    this.#states = new PodStates([(uid) => this.lifecycle.forget(uid), (uid) => this.workers.forget(uid), (uid) => this.config.forget(uid)]);
    this.#pleg = new Pleg(runtime);
    this.#pleg.onPodChanged((uid) => this.#wake(uid));
    for (const r of [this.prober.liveness, this.prober.readiness, this.prober.startup]) r.onChange((_id, _res, uid) => this.#wake(uid));
    this.#lease = new NodeLease({
      client,
      nodeName,
      clock: this.#clock,
      renewIntervalMs: opts.leaseRenewIntervalMs,
      onError: (err) => this.#log.warn({ err }, 'node lease not renewed'),
    });
    this.#informer = new Informer<Pod>(listWatch(client.pods, { fieldSelector: `spec.nodeName=${nodeName}` }));
  }

  async start(): Promise<void> {
    const version = await this.#o.runtime.version();
    this.#nodeConfig.runtime = { name: version.runtimeName, version: version.runtimeVersion };
    const node = await this.#register();
    this.#log.info({ node: this.#o.nodeName, uid: node.metadata.uid }, 'node registered');
    this.#lease.start();
    this.#informer.on('add', (p) => this.#onPod(p));
    this.#informer.on('update', (p) => this.#onPod(p));
    this.#informer.on('delete', (p) => this.#onPodRemoved(p));
    this.#informer.on('error', (err) => this.#log.warn({ err }, 'pod watch failed; retrying'));
    this.#services.on('error', (err) => this.#log.warn({ err }, 'service watch failed; retrying'));
    // Both before any pod is admitted: a container made before the Services were read would lack its service links.
    await Promise.all([this.#informer.start(), this.#services.start()]);
    this.#synced = true;
    // Admit what was already bound here in creation order, as Kubernetes does after a restart.
    for (const p of this.#states.all().sort(byCreation)) this.#onPod(p);
    await this.#cleanupOrphans();
    await this.#pleg.relist().catch(() => []);
    this.#pleg.start(this.#o.plegPeriodMs ?? 1000, (err) => this.#log.warn({ err }, 'relist failed'));
    const syncFrequency = this.#o.syncFrequencyMs ?? DEFAULT_SYNC_FREQUENCY_MS;
    this.#every(this.#o.resyncIntervalMs ?? Math.min(10_000, syncFrequency), async () => {
      for (const p of this.#states.admitted()) this.#wake(p.metadata.uid ?? '');
      await this.#cleanupOrphans();
    });
    // As the kubelet's tryUpdateNodeStatus: compare against the Node as the API has it, not
    // against what was last posted, so a status someone else wrote (the node lifecycle
    // controller's Ready=Unknown after a partition) is corrected at the next tick.
    this.#every(this.#o.nodeStatusIntervalMs ?? 10_000, async () => {
      const current = await this.#o.client.nodes.get(this.#o.nodeName);
      await this.#updateNodeStatus(current);
    });
    this.#every(syncFrequency, () => this.config.refresh());
    const gc = () => this.imageGC.garbageCollect().then(() => undefined);
    gc().catch((err: unknown) => this.#log.warn({ err }, 'image garbage collection failed'));
    this.#every(this.#o.imageGCPeriodMs ?? DEFAULT_IMAGE_GC_PERIOD_MS, gc);
  }

  #every(ms: number, fn: () => Promise<void>): void {
    const t = setInterval(() => {
      fn().catch((err: unknown) => this.#log.warn({ err }, 'periodic kubelet task failed'));
    }, ms);
    t.unref();
    this.#timers.push(t);
  }

  /** Stops watching and syncing; the pods' containers keep running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    this.#pleg.stop();
    this.#lease.stop();
    this.#informer.stop();
    void this.#services.stop();
    this.prober.stop();
    this.workers.stop();
    await this.workers.idle();
    this.statusManager.stop();
    await this.#recorder.flush();
  }

  async #register(): Promise<Node> {
    const { client } = this.#o;
    const images = await this.#o.images.listImages();
    const now = metaTime(this.#clock.now());
    const want = buildNode(this.#nodeConfig, images, now);
    try {
      const created = await client.nodes.create(want);
      this.#lastNodeStatus = { status: want.status, at: this.#clock.now() };
      return created;
    } catch (e) {
      if (!isApiError(e, 'AlreadyExists')) throw e;
    }
    const cur = await client.nodes.get(this.#o.nodeName);
    await client.nodes.patch(this.#o.nodeName, { metadata: { labels: want.metadata.labels }, spec: want.spec });
    await this.#updateNodeStatus(cur, true);
    return cur;
  }

  async #updateNodeStatus(current?: Node, force = false): Promise<void> {
    const now = metaTime(this.#clock.now());
    const status = nodeStatus(this.#nodeConfig, await this.#o.images.listImages(), now);
    const prev = current?.status ?? this.#lastNodeStatus?.status;
    status.conditions = mergeNodeConditions(prev?.conditions, status.conditions ?? []);
    const stale = !this.#lastNodeStatus || this.#clock.now() - this.#lastNodeStatus.at >= NODE_STATUS_REPORT_MS;
    if (!force && !stale && !nodeStatusChanged(prev, status)) return;
    await this.#o.client.nodes.patchStatus(this.#o.nodeName, { status });
    this.#lastNodeStatus = { status, at: this.#clock.now() };
  }

  #wake(uid: string): void {
    if (this.#stopped) return;
    const pod = this.#states.get(uid);
    if (pod && (this.#states.admission(uid) === 'admitted' || pod.metadata.deletionTimestamp)) this.workers.update({ type: 'sync', pod });
  }

  #onPod(pod: Pod): void {
    if (this.#stopped) return;
    const uid = pod.metadata.uid ?? '';
    if (this.#states.isTerminated(uid)) return;
    const prev = this.#states.set(pod);
    this.statusManager.seed(pod);
    if (!this.#synced) return;
    const admission = this.#states.admission(uid);
    if (admission === 'rejected') {
      // Nothing of a rejected pod runs; a deletion only needs the object removed.
      if (pod.metadata.deletionTimestamp) this.workers.update({ type: 'sync', pod });
      return;
    }
    // The kubelet's own status writes come back as updates; only a change of what the pod
    // asks for (spec, deletion) is a reason to sync now.
    if (prev && admission === 'admitted' && desired(prev) === desired(pod)) return;
    if (admission !== 'admitted' && !pod.metadata.deletionTimestamp) {
      if (!this.#admit(pod)) return;
    }
    this.workers.update({ type: 'sync', pod });
  }

  /** Admission against the pods already admitted and not finished; a rejected pod is Failed. */
  #admit(pod: Pod): boolean {
    const uid = pod.metadata.uid ?? '';
    const phase = this.statusManager.get(uid)?.phase ?? pod.status?.phase;
    if (phase && TERMINAL.has(phase)) {
      this.#states.admit(uid);
      return true;
    }
    const active = this.#states.admitted().filter((p) => !TERMINAL.has(this.statusManager.get(p.metadata.uid ?? '')?.phase ?? ''));
    const r = admitPod(pod, active, this.#alloc);
    if (r.admit) {
      this.#states.admit(uid);
      return true;
    }
    this.#states.reject(uid);
    this.#recorder.event(pod, 'Warning', r.reason, r.message);
    this.#log.info({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, reason: r.reason }, 'pod rejected');
    void this.statusManager.setPodStatus(pod, rejectedStatus(pod, r.reason, r.message));
    return false;
  }

  #onPodRemoved(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    // The object is gone for good: no later event can name this uid.
    const admission = this.#states.admission(uid);
    if (!this.#states.removed(uid)) return;
    if (admission === 'rejected') {
      // Nothing of a rejected pod ran: nothing to stop, only its state to drop.
      this.#states.forget(uid);
      return;
    }
    this.workers.update({ type: 'kill', pod, ...(pod.metadata.deletionGracePeriodSeconds !== undefined ? { gracePeriodSeconds: pod.metadata.deletionGracePeriodSeconds } : {}) });
  }

  async #onTerminated(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    this.#states.terminated(uid);
    if (!pod.metadata.deletionTimestamp) return;
    try {
      await this.#o.client.pods.delete(pod.metadata.name ?? '', { namespace: pod.metadata.namespace, gracePeriodSeconds: 0, preconditions: { uid } });
      this.#log.info({ pod: `${pod.metadata.namespace}/${pod.metadata.name}` }, 'pod terminated and deleted');
    } catch (e) {
      if (!isApiError(e, 'NotFound') && !isApiError(e, 'Conflict')) throw e;
    }
  }

  /** Pods in the runtime that the API server no longer binds here (deleted while the kubelet was away). */
  async #cleanupOrphans(): Promise<void> {
    if (!this.#synced) return;
    const sandboxes = await this.#o.runtime.listPodSandbox();
    const seen = new Set<string>();
    for (const sb of sandboxes) {
      const uid = sb.labels[LABEL_POD_UID];
      if (!uid || seen.has(uid) || this.#states.has(uid) || this.workers.isKilling(uid)) continue;
      seen.add(uid);
      const orphan: Pod = {
        metadata: { uid, name: sb.labels[LABEL_POD_NAME] ?? sb.metadata.name, namespace: sb.labels[LABEL_POD_NAMESPACE] ?? sb.metadata.namespace },
        spec: { containers: [] },
      };
      this.#log.info({ pod: `${orphan.metadata.namespace}/${orphan.metadata.name}`, uid }, 'removing pod no longer bound here');
      this.workers.update({ type: 'kill', pod: orphan, gracePeriodSeconds: 0 });
    }
  }

  /** The pods this kubelet runs (admitted, not terminated). */
  pods(): Pod[] {
    return this.#states.admitted();
  }
}
