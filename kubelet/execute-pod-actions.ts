// Carries out one PodActions plan on the runtime (Kubernetes' kuberuntime SyncPod): kill
// what must go, make the volumes ready (API data volumes rewritten on every sync, so updates
// reach them), make the sandbox, then start the next init container or the app containers,
// each through CrashLoopBackOff, the image puller and create/start, recording events and the
// reason a container could not start (for its waiting state).
import type { Container, Pod } from '../api/types/core.js';
import type { Service } from '../api/types/service.js';
import type { ImageService, PodSandboxConfig, RuntimeService } from '../runtime/cri.js';
import { isRuntimeError } from '../runtime/cri.js';
import type { Backoff } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import { staticLookup, type ConfigLookup } from './config-lookup.js';
import { ConfigError, containerConfig, sandboxConfig } from './container-config.js';
import { EnvError } from './env.js';
import { serviceEnvVars } from './service-env.js';
import { containerFieldPath, type EventRecorder } from './events.js';
import type { ImagePuller } from './image-puller.js';
import { killContainer, killPod, type Killer } from './kill.js';
import { hashContainer } from './labels.js';
import type { PodActions } from './pod-actions.js';
import { containerInstances, findContainerStatus, type RuntimePodStatus } from './runtime-pod.js';
import type { ReasonCache } from './status/reason-cache.js';
import { terminationMessageMount } from './termination-message.js';
import type { Mounter } from './tmpfs.js';
import { podDnsConfig, type ClusterDnsSettings } from './dns-config.js';
import { containerMounts, isApiDataVolume, preparePodVolumes, VolumeError } from './volumes.js';

export interface PodActionsExecutorOptions {
  runtime: RuntimeService;
  images: ImageService;
  puller: ImagePuller;
  recorder: EventRecorder;
  reasons: ReasonCache;
  crashBackoff: Backoff;
  /** The kubelet's root: emptyDirs live under <root>/pods/<uid>. */
  root: string;
  clock?: Clock;
  hostIP?: string;
  memoryCapacity?: number;
  nodeAllocatable?: { milliCPU: number; memory: number };
  /** A container is about to be made from this image (image GC's last-used time). */
  onImageUsed?: (imageRef: string) => void;
  /** A pod's log directory; the runtime picks one when this returns undefined. */
  logDirectory?: (pod: Pod) => string | undefined;
  /** The ConfigMaps and Secrets a pod names, read for one sync (the ConfigSource); none found without it. */
  config?: { lookup(pod: Pod): Promise<ConfigLookup> };
  /** Mounts the tmpfs of volumes holding Secrets. */
  mounter?: Mounter;
  /** Every Service (the kubelet's informer), for the pods' service-link variables; none without it. */
  services?: { readonly hasSynced: boolean; list(): Service[] };
  /** --cluster-dns, --cluster-domain and the node's resolv.conf: pods' resolv.conf by dnsPolicy. */
  dns?: ClusterDnsSettings;
}

export interface ExecuteResult {
  /** The earliest time a container in backoff may be tried again. */
  requeueAfterMs?: number;
  /** What failed, per container (also in the ReasonCache). */
  errors: { container: string; reason: string; message: string }[];
}

/** Instances kept per container name: the current one and the one before (lastState, logs --previous). */
const KEEP_INSTANCES = 2;

export class PodActionsExecutor {
  readonly #o: PodActionsExecutorOptions;
  readonly #clock: Clock;

  constructor(opts: PodActionsExecutorOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? systemClock;
  }

  /** The runtime and recorder, for stopping pods outside a sync plan. */
  get killer(): Killer {
    return { runtime: this.#o.runtime, recorder: this.#o.recorder };
  }

  /** Carries out the plan computePodActions made for this pod from this runtime status. */
  async execute(pod: Pod, rs: RuntimePodStatus, actions: PodActions): Promise<ExecuteResult> {
    const { runtime, recorder } = this.#o;
    const result: ExecuteResult = { errors: [] };
    const uid = pod.metadata.uid ?? '';

    if (actions.killPod) {
      await killPod(this.#o, pod, rs);
    } else {
      for (const [id, what] of actions.containersToKill) await killContainer(this.#o, pod, id, what);
    }
    await this.#pruneDeadContainers(rs);

    // As Kubernetes mounts volumes before SyncPod: a pod whose volume cannot be made gets no
    // sandbox yet. Only a pod being stopped for good skips this.
    const lookup = (await this.#o.config?.lookup(pod)) ?? staticLookup();
    let volumes = new Map<string, string>();
    if (!actions.killPod || actions.createSandbox) {
      try {
        volumes = await preparePodVolumes(this.#o.root, pod, {
          config: lookup,
          env: { hostIP: this.#o.hostIP, nodeAllocatable: this.#o.nodeAllocatable },
          mounter: this.#o.mounter,
        });
      } catch (e) {
        if (!(e instanceof VolumeError)) throw e;
        const message = e.message.startsWith('MountVolume.') ? e.message : `Unable to attach or mount volumes: ${e.message}`;
        recorder.event(pod, 'Warning', 'FailedMount', message);
        result.errors.push({ container: '', reason: 'FailedMount', message });
        return result;
      }
    }

    let sandboxId = actions.sandboxId;
    let podIPs: string[] = rs.ips;
    const sbConfig = sandboxConfig(pod, { attempt: actions.attempt, logDirectory: this.#o.logDirectory?.(pod), dnsConfig: this.#o.dns && podDnsConfig(pod, this.#o.dns) });
    if (actions.createSandbox) {
      try {
        sandboxId = await runtime.runPodSandbox(sbConfig);
        const net = (await runtime.podSandboxStatus(sandboxId)).network;
        podIPs = net?.ip ? [net.ip, ...(net.additionalIps ?? []).map((a) => a.ip)] : [];
      } catch (e) {
        const message = `Failed to create pod sandbox: ${e instanceof Error ? e.message : String(e)}`;
        recorder.event(pod, 'Warning', 'FailedCreatePodSandBox', message);
        result.errors.push({ container: '', reason: 'CreatePodSandboxError', message });
        return result;
      }
    }
    if (actions.nextInitContainerToStart === undefined && actions.containersToStart.length === 0) return result;

    // A hostNetwork pod has the node's address (status.podIP in its environment, too).
    if (pod.spec.hostNetwork) podIPs = this.#o.hostIP ? [this.#o.hostIP] : [];
    const ctx = { pod, rs, sandboxId, sbConfig, podIP: podIPs[0], podIPs, volumes, lookup, result, uid };
    if (actions.nextInitContainerToStart !== undefined) {
      const c = (pod.spec.initContainers ?? [])[actions.nextInitContainerToStart];
      // Init containers run one at a time: the next one starts on a later sync, after this one exits.
      if (c) await this.#startContainer(ctx, c, true);
      return result;
    }
    for (const i of actions.containersToStart) await this.#startContainer(ctx, pod.spec.containers[i], false);
    return result;
  }

  /** getServiceEnvVarMap: the pod's service links; an error until the Services have been read once. */
  #serviceEnv(pod: Pod): Map<string, string> | undefined {
    const services = this.#o.services;
    if (!services) return undefined;
    if (!services.hasSynced) throw new EnvError('services have not yet been read at least once, cannot construct envvars');
    return serviceEnvVars(services.list(), pod.metadata.namespace ?? 'default', pod.spec.enableServiceLinks ?? true);
  }

  #fail(ctx: StartContext, c: Container, init: boolean, reason: string, message: string): void {
    ctx.result.errors.push({ container: c.name, reason, message });
    this.#o.reasons.set(ctx.uid, c.name, { reason, message });
    // As Kubernetes: image errors name the reason (the puller's event has the detail), others the message.
    const shown = /Image/.test(reason) ? reason : message;
    this.#o.recorder.event(ctx.pod, 'Warning', 'Failed', `Error: ${shown}`, containerFieldPath(c.name, init));
  }

  #requeue(ctx: StartContext, ms: number): void {
    const r = ctx.result;
    r.requeueAfterMs = r.requeueAfterMs === undefined ? ms : Math.min(r.requeueAfterMs, ms);
  }

  async #startContainer(ctx: StartContext, c: Container, init: boolean): Promise<void> {
    const { runtime, recorder, reasons, crashBackoff } = this.#o;
    const { pod, uid } = ctx;
    const field = containerFieldPath(c.name, init);
    const last = findContainerStatus(ctx.rs, c.name);

    // CrashLoopBackOff: a container that exited waits out its backoff before the next start.
    // Any exited instance counts (Kubernetes' doBackOff), so a container killed by its
    // liveness probe again and again backs off too, not only one that exits by itself.
    const exited = containerInstances(ctx.rs, c.name).find((x) => x.state === 'exited');
    if (exited) {
      const key = `${uid}/${c.name}/${hashContainer(c)}`;
      const now = this.#clock.now();
      const since = exited.finishedAt || now;
      if (crashBackoff.isInBackOffSince(key, since, now)) {
        const delay = crashBackoff.get(key);
        const message = `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${uid})`;
        recorder.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${uid})`, field);
        ctx.result.errors.push({ container: c.name, reason: 'CrashLoopBackOff', message });
        reasons.set(uid, c.name, { reason: 'CrashLoopBackOff', message });
        this.#requeue(ctx, Math.max(1, since + delay - now));
        return;
      }
      crashBackoff.next(key, since);
    }

    const pulled = await this.#o.puller.ensureImage(pod, c, init);
    if (!pulled.ok) {
      this.#fail(ctx, c, init, pulled.reason, pulled.message);
      if (pulled.retryAfterMs !== undefined) this.#requeue(ctx, pulled.retryAfterMs);
      return;
    }

    this.#o.onImageUsed?.(pulled.imageRef);

    const restartCount = last ? last.restartCount + 1 : 0;
    let config;
    try {
      const serviceEnv = this.#serviceEnv(pod);
      config = containerConfig(pod, c, {
        image: pulled.imageRef,
        restartCount,
        init,
        mounts: await containerMountsWithTermination(this.#o.root, pod, c, ctx.volumes),
        env: {
          podIP: ctx.podIP,
          podIPs: ctx.podIPs,
          hostIP: this.#o.hostIP,
          nodeAllocatable: this.#o.nodeAllocatable,
          config: ctx.lookup,
          serviceEnv,
          warn: (reason, message) => recorder.event(pod, 'Warning', reason, message),
        },
        memoryCapacity: this.#o.memoryCapacity,
      });
    } catch (e) {
      if (!(e instanceof ConfigError || e instanceof EnvError || e instanceof VolumeError)) throw e;
      this.#fail(ctx, c, init, 'CreateContainerConfigError', e.message);
      return;
    }

    let id: string;
    try {
      id = await runtime.createContainer(ctx.sandboxId, config, ctx.sbConfig);
    } catch (e) {
      this.#fail(ctx, c, init, 'CreateContainerError', e instanceof Error ? e.message : String(e));
      return;
    }
    recorder.event(pod, 'Normal', 'Created', `Created container ${c.name}`, field);
    try {
      await runtime.startContainer(id);
    } catch (e) {
      this.#fail(ctx, c, init, 'RunContainerError', e instanceof Error ? e.message : String(e));
      return;
    }
    recorder.event(pod, 'Normal', 'Started', `Started container ${c.name}`, field);
    reasons.remove(uid, c.name);
  }

  /** Container GC within a pod: exited instances beyond the newest two per name go. */
  async #pruneDeadContainers(rs: RuntimePodStatus): Promise<void> {
    const names = new Set(rs.containerStatuses.map((c) => c.name));
    for (const name of names) {
      const dead = containerInstances(rs, name).slice(KEEP_INSTANCES).filter((c) => c.state === 'exited');
      for (const c of dead) {
        await this.#o.runtime.removeContainer(c.id).catch((e: unknown) => {
          if (!isRuntimeError(e, 'NotFound')) throw e;
        });
      }
    }
  }
}

/** The volume mounts, then the file at terminationMessagePath. */
async function containerMountsWithTermination(root: string, pod: Pod, c: Container, volumes: Map<string, string>) {
  const readOnly = new Set((pod.spec.volumes ?? []).filter(isApiDataVolume).map((v) => v.name));
  const mounts = await containerMounts(c, volumes, readOnly);
  const tm = await terminationMessageMount(root, pod, c);
  return tm ? [...mounts, tm] : mounts;
}

interface StartContext {
  pod: Pod;
  rs: RuntimePodStatus;
  uid: string;
  sandboxId: string;
  sbConfig: PodSandboxConfig;
  podIP: string | undefined;
  podIPs: string[];
  volumes: Map<string, string>;
  lookup: ConfigLookup;
  result: ExecuteResult;
}
