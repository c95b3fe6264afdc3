// One probe of one container (Kubernetes' prober worker): each tick looks at the container's
// current instance and decides whether to probe it (initialDelaySeconds, startup gating,
// on hold after a liveness failure until the container is replaced), then applies the
// success/failure thresholds before a result is published.
import type { Container, Pod, Probe } from '../../api/types/core.js';
import type { RuntimeService } from '../../runtime/cri.js';
import type { Clock } from '../clock.js';
import type { ResultsManager } from './results.js';
import { runProbe } from './run-probe.js';
import { PROBE_DEFAULTS, type ProbeOutcome, type ProbeResult, type ProbeType } from './types.js';

/** What the worker needs to know about the container's newest instance. */
export interface ContainerView {
  id: string;
  running: boolean;
  terminated: boolean;
  /** ms since epoch; 0 when not running */
  startedAt: number;
}

export interface ProbeWorkerOptions {
  pod: Pod;
  container: Container;
  type: ProbeType;
  probe: Probe;
  runtime: RuntimeService;
  results: ResultsManager;
  /** For liveness/readiness: whether the container has passed its startup probe. */
  started: (containerId: string) => boolean;
  view: () => ContainerView | undefined;
  podIP: () => string;
  clock: Clock;
  /** Every failed probe, for the Unhealthy event. */
  onFailure?: (outcome: ProbeOutcome) => void;
  /** Runs a probe; replaceable in tests. */
  run?: typeof runProbe;
}

const INITIAL: Record<ProbeType, ProbeResult | undefined> = {
  readiness: 'Failure',
  liveness: 'Success',
  startup: undefined,
};

export class ProbeWorker {
  readonly #o: ProbeWorkerOptions;
  #containerId = '';
  #onHold = false;
  #lastResult: ProbeResult | undefined;
  #resultRun = 0;
  #busy = false;

  constructor(opts: ProbeWorkerOptions) {
    this.#o = opts;
  }

  get type(): ProbeType {
    return this.#o.type;
  }

  get containerName(): string {
    return this.#o.container.name;
  }

  get periodMs(): number {
    return (this.#o.probe.periodSeconds ?? PROBE_DEFAULTS.periodSeconds) * 1000;
  }

  /** The container ID the worker is following ('' before the first instance). */
  get containerId(): string {
    return this.#containerId;
  }

  /** One probe round; returns false when the worker should stop for good. */
  async tick(): Promise<boolean> {
    if (this.#busy) return true;
    this.#busy = true;
    try {
      return await this.#doProbe();
    } finally {
      this.#busy = false;
    }
  }

  async #doProbe(): Promise<boolean> {
    const o = this.#o;
    const uid = o.pod.metadata.uid ?? '';
    const c = o.view();
    if (!c || !c.id) return true;
    if (c.id !== this.#containerId) {
      if (this.#containerId) o.results.remove(this.#containerId);
      this.#containerId = c.id;
      const initial = INITIAL[o.type];
      if (initial) o.results.set(c.id, initial, uid);
      this.#onHold = false;
      this.#lastResult = undefined;
      this.#resultRun = 0;
    }
    if (this.#onHold) return true;
    if (!c.running) {
      o.results.set(c.id, 'Failure', uid);
      return !c.terminated || (o.pod.spec.restartPolicy ?? 'Always') !== 'Never';
    }
    if (o.pod.metadata.deletionTimestamp && o.type !== 'readiness') {
      o.results.set(c.id, 'Success', uid);
      return false;
    }
    const delay = o.probe.initialDelaySeconds ?? PROBE_DEFAULTS.initialDelaySeconds;
    if (Math.floor((o.clock.now() - c.startedAt) / 1000) < delay) return true;
    const started = !o.container.startupProbe || o.started(c.id);
    if (o.type === 'startup' ? started : !started) return true;

    const outcome = await (o.run ?? runProbe)(o.probe, { podIP: o.podIP(), containerId: c.id, container: o.container, runtime: o.runtime });
    // The container may have been replaced while the probe ran; its result is stale then.
    if (this.#containerId !== c.id) return true;
    if (outcome.result === 'Failure') o.onFailure?.(outcome);
    this.#resultRun = this.#lastResult === outcome.result ? this.#resultRun + 1 : 1;
    this.#lastResult = outcome.result;
    const failureThreshold = o.probe.failureThreshold ?? PROBE_DEFAULTS.failureThreshold;
    const successThreshold = o.probe.successThreshold ?? PROBE_DEFAULTS.successThreshold;
    if (outcome.result === 'Failure' && this.#resultRun < failureThreshold) return true;
    if (outcome.result === 'Success' && this.#resultRun < successThreshold) return true;
    o.results.set(c.id, outcome.result, uid);
    if (o.type !== 'readiness' && outcome.result === 'Failure') {
      // The container will be killed; probing it again would only repeat the verdict.
      this.#onHold = true;
      this.#resultRun = 0;
    }
    return true;
  }
}
