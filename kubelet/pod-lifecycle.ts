// One pod sync from start to end, as the pod worker runs it: read the runtime, plan
// (computePodActions), execute the plan (PodActionsExecutor), read again and record the
// status for the status manager to publish; or, for a pod being deleted or killed, stop it
// within its grace period, clean up the runtime and the pod's directory, and report it
// terminated.
import type { Pod, PodStatus } from '../api/types/core.js';
import type { RuntimeService } from '../runtime/cri.js';
import type { Backoff } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import { killPod, removePodFromRuntime } from './kill.js';
import { computePodActions } from './pod-actions.js';
import type { PodUpdate, SyncResult } from './pod-workers.js';
import type { ProberManager } from './prober/manager.js';
import { readRuntimePodStatus, type RuntimePodStatus } from './runtime-pod.js';
import { generatePodStatus } from './status/generate.js';
import type { ReasonCache } from './status/reason-cache.js';
import type { StatusManager } from './status/status-manager.js';
import type { PodActionsExecutor } from './execute-pod-actions.js';
import type { Mounter } from './tmpfs.js';
import { removePodDir } from './volumes.js';

export interface PodLifecycleOptions {
  runtime: RuntimeService;
  executor: PodActionsExecutor;
  statusManager: StatusManager;
  prober: ProberManager;
  reasons: ReasonCache;
  backoffs: Backoff[];
  root: string;
  /** Unmounts the pod's tmpfs volumes before its directory is removed. */
  mounter?: Mounter;
  /** The containerID scheme ("<runtime>://<id>"); a function when only known after start-up. */
  runtimeName: string | (() => string);
  hostIP?: string;
  clock?: Clock;
  /** A pod was stopped and cleaned up after a kill or deletion; the kubelet forgets it and deletes the API object. */
  onTerminated?: (pod: Pod) => Promise<void>;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);

function ref(pod: Pod): { uid: string; name: string; namespace: string } {
  return { uid: pod.metadata.uid ?? '', name: pod.metadata.name ?? '', namespace: pod.metadata.namespace ?? 'default' };
}

export class PodLifecycle {
  readonly #o: PodLifecycleOptions;
  readonly #clock: Clock;

  constructor(opts: PodLifecycleOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? systemClock;
  }

  /** The status the kubelet last computed for a pod, ahead of the API server's copy. */
  statusOf(pod: Pod): PodStatus | undefined {
    return this.#o.statusManager.get(pod.metadata.uid ?? '') ?? pod.status;
  }

  /** The function the pod workers call. */
  sync = async (u: PodUpdate): Promise<SyncResult | void> => {
    if (u.type === 'kill' || u.pod.metadata.deletionTimestamp) return this.terminate(u.pod, u.gracePeriodSeconds);
    return this.syncPod(u.pod);
  };

  async syncPod(pod: Pod): Promise<SyncResult> {
    const o = this.#o;
    const known = { ...pod, status: this.statusOf(pod) };
    const rs = await readRuntimePodStatus(o.runtime, ref(pod));
    if (known.status?.phase && TERMINAL.has(known.status.phase)) {
      // A finished pod keeps no running parts: its sandbox (and IP) are released.
      if (rs.sandboxStatuses.some((s) => s.state === 'SANDBOX_READY')) await killPod(o.executor.killer, pod, rs);
      this.#publish(known, await readRuntimePodStatus(o.runtime, ref(pod)));
      return {};
    }
    // As the kubelet's SyncPod, a new pod's status goes out before anything is started:
    // startTime is when the kubelet took the pod on, and users see ContainerCreating while
    // its images are pulled, not a bare Pending.
    if (!known.status?.startTime) {
      this.#publish(known, rs);
      known.status = this.statusOf(pod);
    }
    o.prober.addPod(pod);
    const actions = computePodActions(known, rs, { liveness: o.prober.liveness, startup: o.prober.startup });
    const res = await o.executor.execute(known, rs, actions);
    const after = await readRuntimePodStatus(o.runtime, ref(pod));
    this.#publish(known, after);
    await o.prober.podStatusChanged(pod.metadata.uid ?? '');
    // The prober may have just found a container ready: publish that too rather than wait.
    this.#publish({ ...known, status: this.statusOf(pod) }, after);
    return res.requeueAfterMs !== undefined ? { requeueAfterMs: res.requeueAfterMs } : {};
  }

  /** Records the pod's status for the status manager to write; the sync does not wait for the API server. */
  #publish(pod: Pod, rs: RuntimePodStatus): void {
    const o = this.#o;
    const status = generatePodStatus(pod, rs, {
      runtimeName: typeof o.runtimeName === 'function' ? o.runtimeName() : o.runtimeName,
      hostIP: o.hostIP,
      reasons: o.reasons,
      probes: o.prober,
      now: this.#clock.now(),
    });
    void o.statusManager.setPodStatus(pod, status);
  }

  /**
   * Stops the pod (TERM, KILL at the grace deadline), removes it from the runtime and the node,
   * lets the status manager finish writing the pod's last status, and reports it terminated
   * (the kubelet then forgets the pod and deletes the API object, in Kubernetes' order).
   */
  async terminate(pod: Pod, gracePeriodSeconds?: number): Promise<SyncResult> {
    const o = this.#o;
    const uid = pod.metadata.uid ?? '';
    const rs = await readRuntimePodStatus(o.runtime, ref(pod));
    await killPod(o.executor.killer, pod, rs, gracePeriodSeconds);
    o.prober.removePod(uid);
    const stopped = await readRuntimePodStatus(o.runtime, ref(pod));
    // A deleted pod's object is still there until the kubelet deletes it: its last status
    // (containers terminated) is written first, as Kubernetes' status manager does.
    if (pod.metadata.deletionTimestamp) this.#publish({ ...pod, status: this.statusOf(pod) }, stopped);
    await removePodFromRuntime(o.runtime, stopped);
    await removePodDir(o.root, uid, o.mounter);
    await o.statusManager.flush(uid);
    await o.onTerminated?.(pod);
    return {};
  }

  /** Drops what the pod's syncs kept: status, probe workers, waiting reasons, backoffs. */
  forget(uid: string): void {
    const o = this.#o;
    o.statusManager.forget(uid);
    o.prober.removePod(uid);
    o.reasons.forgetPod(uid);
    for (const b of o.backoffs) b.forgetPrefix(`${uid}/`);
  }
}
