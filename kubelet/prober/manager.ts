// The prober manager: a worker per (pod, container, probe type), ticking every
// periodSeconds; three results managers; and the two views the rest of the kubelet reads:
// liveness/startup for computePodActions, ready/started for the status.
import type { Container, Pod, PodStatus, Probe } from '../../api/types/core.js';
import type { RuntimeService } from '../../runtime/cri.js';
import { systemClock, type Clock } from '../clock.js';
import { containerFieldPath, discardEvents, type EventRecorder } from '../events.js';
import type { Timers } from '../pod-workers.js';
import type { ContainerProbeState } from '../status/container-statuses.js';
import { ResultsManager } from './results.js';
import type { runProbe } from './run-probe.js';
import type { ProbeType } from './types.js';
import { ProbeWorker, type ContainerView } from './worker.js';

export interface ProberManagerOptions {
  runtime: RuntimeService;
  /** The kubelet's current status of a pod (container IDs, running state, pod IP). */
  statusOf: (uid: string) => PodStatus | undefined;
  recorder?: EventRecorder;
  clock?: Clock;
  /** Repeating timers; `set` is called again by the manager after each tick. */
  timers?: Timers;
  run?: typeof runProbe;
}

const LABEL: Record<ProbeType, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

function viewOf(status: PodStatus | undefined, name: string): ContainerView | undefined {
  const s = status?.containerStatuses?.find((c) => c.name === name);
  if (!s?.containerID) return undefined;
  const id = s.containerID.replace(/^[a-z0-9.+-]+:\/\//, '');
  const startedAt = s.state?.running?.startedAt ? Date.parse(s.state.running.startedAt) : 0;
  return { id, running: !!s.state?.running, terminated: !!s.state?.terminated, startedAt };
}

interface PodWorkers {
  workers: ProbeWorker[];
  cancels: (() => void)[];
}

export class ProberManager implements ContainerProbeState {
  readonly liveness = new ResultsManager();
  readonly readiness = new ResultsManager();
  readonly startup = new ResultsManager();
  readonly #o: ProberManagerOptions;
  readonly #pods = new Map<string, PodWorkers>();
  #stopped = false;

  constructor(opts: ProberManagerOptions) {
    this.#o = opts;
  }

  #results(t: ProbeType): ResultsManager {
    return t === 'liveness' ? this.liveness : t === 'readiness' ? this.readiness : this.startup;
  }

  ready(containerId: string, c: Container): boolean {
    return !c.readinessProbe || this.readiness.get(containerId) === 'Success';
  }

  started(containerId: string, c: Container): boolean {
    return !c.startupProbe || this.startup.get(containerId) === 'Success';
  }

  /** Starts the workers of a pod's probes (idempotent). */
  addPod(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    if (this.#stopped || this.#pods.has(uid)) return;
    const entry: PodWorkers = { workers: [], cancels: [] };
    this.#pods.set(uid, entry);
    const recorder = this.#o.recorder ?? discardEvents;
    for (const c of pod.spec.containers) {
      const probes: [ProbeType, Probe | undefined][] = [
        ['startup', c.startupProbe],
        ['liveness', c.livenessProbe],
        ['readiness', c.readinessProbe],
      ];
      for (const [type, probe] of probes) {
        if (!probe) continue;
        const w = new ProbeWorker({
          pod,
          container: c,
          type,
          probe,
          runtime: this.#o.runtime,
          results: this.#results(type),
          started: (id) => this.startup.get(id) === 'Success',
          view: () => viewOf(this.#o.statusOf(uid), c.name),
          podIP: () => this.#o.statusOf(uid)?.podIP ?? '',
          clock: this.#o.clock ?? systemClock,
          onFailure: (out) => recorder.event(pod, 'Warning', 'Unhealthy', `${LABEL[type]} probe failed: ${out.output}`, containerFieldPath(c.name, false)),
          ...(this.#o.run ? { run: this.#o.run } : {}),
        });
        entry.workers.push(w);
        if (this.#o.timers) this.#schedule(uid, entry, w, 0);
      }
    }
  }

  #schedule(uid: string, entry: PodWorkers, w: ProbeWorker, delayMs: number): void {
    const timers = this.#o.timers;
    if (!timers) return;
    const cancel = timers.set(() => {
      entry.cancels = entry.cancels.filter((c) => c !== cancel);
      if (this.#pods.get(uid) !== entry) return;
      void w.tick().then((keep) => {
        if (keep && this.#pods.get(uid) === entry) this.#schedule(uid, entry, w, w.periodMs);
      });
    }, delayMs);
    entry.cancels.push(cancel);
  }

  /**
   * Probes at once every worker of the pod whose container instance changed (a new start):
   * readiness should not wait a whole period after a container comes up.
   */
  async podStatusChanged(uid: string): Promise<void> {
    const entry = this.#pods.get(uid);
    if (!entry) return;
    const status = this.#o.statusOf(uid);
    await Promise.all(
      entry.workers.map(async (w) => {
        const v = viewOf(status, w.containerName);
        if (v?.running && v.id !== w.containerId) await w.tick();
      }),
    );
  }

  /** One round of every probe of a pod (tests, and callers without timers). */
  async probePod(uid: string): Promise<void> {
    const entry = this.#pods.get(uid);
    if (!entry) return;
    for (const w of entry.workers) await w.tick();
  }

  removePod(uid: string): void {
    const entry = this.#pods.get(uid);
    if (!entry) return;
    for (const c of entry.cancels) c();
    this.#pods.delete(uid);
  }

  stop(): void {
    this.#stopped = true;
    for (const uid of [...this.#pods.keys()]) this.removePod(uid);
  }
}
