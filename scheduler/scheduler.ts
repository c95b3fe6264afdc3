// The scheduler: informers feed the cache (bound pods, nodes) and the queue (pending pods);
// one loop pops a pod, runs a scheduling cycle on a fresh snapshot, assumes the pod on the
// chosen node, and hands the binding to a background binding cycle so the next pod can be
// scheduled while the API server answers. Failures go back to the queue with an event, the
// PodScheduled=False condition and the explain annotation.
import type { Logger } from 'pino';
import { isApiError } from '../api/errors.js';
import type { Node, Pod, PodCondition } from '../api/types/core.js';
import { Informer, listWatch } from '../client/informer.js';
import type { RestClient } from '../client/rest.js';
import { SchedulerCache } from './cache/cache.js';
import { Snapshot } from './cache/snapshot.js';
import { EventRecorder } from './events.js';
import { EXPLAIN_ANNOTATION, explainRecord } from './explain.js';
import type { PodBinder } from './framework/interfaces.js';
import { PodInfo } from './framework/node-info.js';
import { defaultConfig, normalizeConfig, type SchedulerConfig } from './framework/profile.js';
import type { Registry } from './framework/registry.js';
import { Framework } from './framework/runner.js';
import type { Status } from './framework/status.js';
import { inTreeRegistry } from './plugins/registry.js';
import { SchedulingQueue, type QueuedPodInfo } from './queue/scheduling-queue.js';
import { ScheduleAlgorithm, type ScheduleResult } from './schedule-pod.js';
import { metaTime } from '../api/time.js';
import { nodeReadyCondition } from '../api/node-conditions.js';

export interface SchedulerOptions {
  client: RestClient;
  config?: SchedulerConfig;
  logger?: Logger;
  /** Who we are in events (reportingInstance). */
  identity?: string;
  registry?: Registry;
  /**
   * Bindings in flight at once (default 256). Kubernetes binds in a goroutine per pod with no
   * cap; this one only keeps a huge backlog from becoming as many requests. Too low a cap is
   * the scheduler's limit under load: at 64, with bindings taking 60-100 ms on a busy API
   * server, the cycles stalled at about 650-1,000 pods/s (measured in the scheduler benchmark).
   */
  bindConcurrency?: number;
  /** Also record the explain annotation for pods that were placed (in the Binding). */
  explainScheduled?: boolean;
  assumedTTLms?: number;
  random?: () => number;
}

export interface SchedulerStats {
  attempts: number;
  scheduled: number;
  unschedulable: number;
  errors: number;
  bindFailures: number;
}

export interface BoundEvent {
  pod: Pod;
  nodeName: string;
  /** ms from the pod entering the queue to the API server accepting the binding */
  latencyMs: number;
}

const isTerminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** Did anything the scheduler decides on change (not status, not our own annotation)? */
function podChangedForScheduling(a: Pod, b: Pod): boolean {
  const strip = (p: Pod) => {
    const { [EXPLAIN_ANNOTATION]: _ignored, ...annotations } = p.metadata.annotations ?? {};
    return JSON.stringify([p.spec, p.metadata.labels ?? {}, annotations]);
  };
  return strip(a) !== strip(b);
}

/** Did anything that could make an unschedulable pod fit change on this node? */
function nodeChangedForScheduling(a: Node, b: Node): boolean {
  const ready = (n: Node) => nodeReadyCondition(n)?.status;
  const pick = (n: Node) =>
    JSON.stringify([n.status?.allocatable, n.metadata.labels, n.spec?.taints, n.spec?.unschedulable, ready(n), n.status?.images?.length]);
  return pick(a) !== pick(b);
}

export class Scheduler {
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
  readonly snapshot = new Snapshot();
  readonly frameworks = new Map<string, Framework>();
  readonly stats: SchedulerStats = { attempts: 0, scheduled: 0, unschedulable: 0, errors: 0, bindFailures: 0 };
  readonly #client: RestClient;
  readonly #log: Logger | undefined;
  readonly #events: EventRecorder;
  readonly #algorithm: ScheduleAlgorithm;
  readonly #bindConcurrency: number;
  readonly #explainScheduled: boolean;
  readonly #bindings = new Set<Promise<void>>();
  /** Wakes the scheduling loop waiting for a free binding slot. */
  #bindingDone: (() => void) | undefined;
  readonly #boundListeners = new Set<(e: BoundEvent) => void>();
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;

  constructor(o: SchedulerOptions) {
    const config = normalizeConfig(o.config ?? defaultConfig());
    this.#client = o.client;
    this.#log = o.logger;
    this.cache = new SchedulerCache({ assumedTTLms: o.assumedTTLms });
    this.queue = new SchedulingQueue({
      initialBackoffMs: (config.podInitialBackoffSeconds ?? 1) * 1000,
      maxBackoffMs: (config.podMaxBackoffSeconds ?? 10) * 1000,
    });
    this.#events = new EventRecorder({ client: o.client, instance: o.identity, logger: o.logger });
    this.#algorithm = new ScheduleAlgorithm({ percentageOfNodesToScore: config.percentageOfNodesToScore, random: o.random });
    this.#bindConcurrency = o.bindConcurrency ?? 256;
    this.#explainScheduled = o.explainScheduled ?? true;
    const binder: PodBinder = {
      bind: (pod, nodeName, annotations) => this.#bind(pod, nodeName, annotations),
    };
    const registry = o.registry ?? inTreeRegistry();
    for (const profile of config.profiles) {
      this.frameworks.set(profile.schedulerName, new Framework(profile, registry, { handle: { snapshot: () => this.snapshot }, binder }));
    }
    this.pods = new Informer(listWatch(o.client.pods));
    this.nodes = new Informer(listWatch(o.client.nodes));
    this.#wireInformers();
  }

  /** Called after each successful binding (benchmarks and tests measure with it). */
  onBound(listener: (e: BoundEvent) => void): () => void {
    this.#boundListeners.add(listener);
    return () => this.#boundListeners.delete(listener);
  }

  async #bind(pod: Pod, nodeName: string, annotations?: Record<string, string>): Promise<void> {
    await this.#client.bindPod(pod.metadata.namespace ?? 'default', pod.metadata.name ?? '', nodeName, pod.metadata.uid, annotations);
  }

  #responsibleFor(pod: Pod): boolean {
    return this.frameworks.has(pod.spec.schedulerName ?? 'default-scheduler');
  }

  #wireInformers(): void {
    this.pods.on('add', (pod) => {
      if (isTerminal(pod)) return;
      if (pod.spec.nodeName) this.cache.addPod(pod);
      else if (!pod.metadata.deletionTimestamp && this.#responsibleFor(pod)) this.queue.add(pod);
    });
    this.pods.on('update', (pod, old) => {
      if (pod.spec.nodeName) {
        if (!old.spec.nodeName) this.queue.delete(pod);
        if (isTerminal(pod)) {
          this.cache.removePod(pod);
          this.queue.moveAllToActiveOrBackoff('AssignedPodUpdate');
        } else {
          this.cache.updatePod(pod);
        }
        return;
      }
      if (pod.metadata.deletionTimestamp || isTerminal(pod)) this.queue.delete(pod);
      else if (this.#responsibleFor(pod) && podChangedForScheduling(old, pod)) this.queue.update(pod);
    });
    this.pods.on('delete', (pod) => {
      if (pod.spec.nodeName) {
        this.cache.removePod(pod);
        this.queue.moveAllToActiveOrBackoff('PodDelete');
      } else {
        this.queue.delete(pod);
      }
    });
    this.nodes.on('add', (node) => {
      this.cache.addNode(node);
      this.queue.moveAllToActiveOrBackoff('NodeAdd');
    });
    this.nodes.on('update', (node, old) => {
      this.cache.updateNode(node);
      if (nodeChangedForScheduling(old, node)) this.queue.moveAllToActiveOrBackoff('NodeUpdate');
    });
    this.nodes.on('delete', (node) => this.cache.removeNode(node.metadata.name ?? ''));
    const logError = (what: string) => (err: unknown) => this.#log?.warn({ err }, `${what} informer: list/watch failed, retrying`);
    this.pods.on('error', logError('pod'));
    this.nodes.on('error', logError('node'));
  }

  /** Runs until `signal` aborts: informers, the scheduling loop, housekeeping timers. */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.nodes.start(signal), this.pods.start(signal)]);
    this.#log?.info({ nodes: this.cache.nodeCount, pending: this.queue.lengths().active }, 'caches synced, scheduling');
    const timers = [
      setInterval(() => this.queue.flushBackoffCompleted(), 100),
      setInterval(() => this.queue.flushUnschedulableLeftover(), 30_000),
      setInterval(() => {
        if (this.cache.cleanupExpiredAssumedPods().length > 0) this.queue.moveAllToActiveOrBackoff('Flush');
      }, 1000),
    ];
    try {
      while (!signal.aborted) {
        const qpi = await this.queue.pop(signal);
        if (!qpi) break;
        while (this.#bindings.size >= this.#bindConcurrency) await new Promise<void>((r) => (this.#bindingDone = r));
        this.#scheduleOne(qpi);
        // Let informer events and binding answers in between cycles; without this a long
        // queue would run back-to-back on microtasks and starve the I/O callbacks.
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      for (const t of timers) clearInterval(t);
      this.queue.close();
      await Promise.allSettled([...this.#bindings]);
      await Promise.allSettled([this.pods.stop(), this.nodes.stop()]);
      await this.#events.flush();
    }
  }

  /** One scheduling cycle (synchronous); the binding cycle it starts runs in the background. */
  #scheduleOne(qpi: QueuedPodInfo): void {
    const pod = qpi.pod;
    const fwk = this.frameworks.get(pod.spec.schedulerName ?? 'default-scheduler');
    const latest = this.pods.get(pod.metadata.name ?? '', pod.metadata.namespace);
    if (!fwk || !latest || latest.metadata.uid !== pod.metadata.uid || latest.spec.nodeName || latest.metadata.deletionTimestamp || this.cache.isAssumed(pod)) {
      this.queue.done(qpi.key);
      return;
    }
    this.stats.attempts++;
    const cycle = this.queue.schedulingCycle;
    this.cache.updateSnapshot(this.snapshot);
    const pi = new PodInfo(pod);
    const result = this.#algorithm.schedule(fwk, pi, this.snapshot);
    if (!result.ok) {
      this.#failed(qpi, cycle, fwk, result);
      return;
    }
    const nodeName = result.nodeName;
    this.cache.assumePod(pod, nodeName, pi);
    const reserve = fwk.runReserve(result.state, pi, nodeName);
    if (!reserve.isSuccess()) {
      this.cache.forgetPod(pod);
      this.#failedWithError(qpi, fwk.profileName, reserve, result);
      return;
    }
    const annotations: Record<string, string> = this.#explainScheduled ? { [EXPLAIN_ANNOTATION]: JSON.stringify(explainRecord(fwk.profileName, result)) } : {};
    const binding = this.#bindingCycle(qpi, fwk, pi, nodeName, result, annotations).finally(() => {
      this.#bindings.delete(binding);
      const done = this.#bindingDone;
      this.#bindingDone = undefined;
      done?.();
    });
    this.#bindings.add(binding);
  }

  async #bindingCycle(
    qpi: QueuedPodInfo,
    fwk: Framework,
    pi: PodInfo,
    nodeName: string,
    result: ScheduleResult,
    annotations: Record<string, string>,
  ): Promise<void> {
    const pod = qpi.pod;
    const status = await fwk.runBind(result.state, pi, nodeName, annotations);
    if (status.isSuccess()) {
      this.cache.finishBinding(pod);
      this.queue.done(qpi.key);
      this.stats.scheduled++;
      const ns = pod.metadata.namespace ?? 'default';
      this.#events.record(pod, 'Normal', 'Scheduled', 'Binding', `Successfully assigned ${ns}/${pod.metadata.name ?? ''} to ${nodeName}`);
      const latencyMs = Date.now() - qpi.initialAttemptTimestamp;
      for (const l of this.#boundListeners) l({ pod, nodeName, latencyMs });
      return;
    }
    // The binding failed: the pod no longer counts against the node, and the resources it
    // held may let other pods fit.
    this.stats.bindFailures++;
    this.cache.forgetPod(pod);
    fwk.runUnreserve(result.state, pi, nodeName);
    this.queue.moveAllToActiveOrBackoff('Flush');
    const err = status.error;
    if (isApiError(err, 'NotFound') || (isApiError(err, 'Conflict') && /already assigned|being deleted|UID/.test(err.message))) {
      // Deleted, already bound by someone else, or replaced: nothing left to schedule.
      this.queue.done(qpi.key);
      this.#log?.debug({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, err: status.message() }, 'binding skipped');
      return;
    }
    this.#failedWithError(qpi, fwk.profileName, status, result, `Binding rejected: ${status.message()}`);
  }

  #failed(qpi: QueuedPodInfo, cycle: number, fwk: Framework, result: ScheduleResult & { ok: false }): void {
    if (!result.fitError) {
      this.#failedWithError(qpi, fwk.profileName, result.error as Status, result);
      return;
    }
    this.stats.unschedulable++;
    const message = result.fitError.message;
    this.queue.addUnschedulableIfNotPresent(qpi, cycle, result.diagnosis.unschedulablePlugins);
    this.#reportFailure(qpi.pod, fwk.profileName, 'Unschedulable', message, result);
  }

  #failedWithError(qpi: QueuedPodInfo, profile: string, status: Status, result: ScheduleResult, message?: string): void {
    this.stats.errors++;
    const msg = message ?? (status.plugin ? `running "${status.plugin}" plugin: ${status.message()}` : status.message());
    this.#log?.warn({ pod: `${qpi.pod.metadata.namespace}/${qpi.pod.metadata.name}`, err: msg }, 'scheduling error');
    this.queue.requeueWithBackoff(qpi);
    this.#reportFailure(qpi.pod, profile, 'SchedulerError', msg, result);
  }

  /**
   * FailedScheduling event, PodScheduled=False and the explain annotation, in the background.
   * Condition and annotation go in one PATCH of pods/<name>/status: a status write may carry
   * annotations (as in Kubernetes), and the scheduler may write pod status but not pods.
   */
  #reportFailure(pod: Pod, profile: string, reason: 'Unschedulable' | 'SchedulerError', message: string, result: ScheduleResult): void {
    this.#events.record(pod, 'Warning', 'FailedScheduling', 'Scheduling', message);
    const namespace = pod.metadata.namespace ?? 'default';
    const name = pod.metadata.name ?? '';
    const current = this.pods.get(name, namespace) ?? pod;
    const existing = current.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const patch: { metadata: { annotations: Record<string, string> }; status?: { conditions: PodCondition[] } } = {
      metadata: { annotations: { [EXPLAIN_ANNOTATION]: JSON.stringify(explainRecord(profile, result)) } },
    };
    if (!existing || existing.status !== 'False' || existing.reason !== reason || existing.message !== message) {
      const condition: PodCondition = {
        type: 'PodScheduled',
        status: 'False',
        reason,
        message,
        lastProbeTime: null,
        lastTransitionTime: existing?.status === 'False' ? existing.lastTransitionTime : metaTime(Date.now()),
      };
      patch.status = { conditions: [...(current.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), condition] };
    }
    this.#client.pods.patchStatus(name, patch, { namespace }).catch((err: unknown) => {
      if (!isApiError(err, 'NotFound')) this.#log?.warn({ err, pod: `${namespace}/${name}` }, 'could not record the scheduling failure on the pod');
    });
  }

  /** Waits for bindings and events in flight (tests use it before checking the API). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#bindings]);
    await this.#events.flush();
  }
}
