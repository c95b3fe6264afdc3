// Runtime container instances -> the API's containerStatuses / initContainerStatuses
// (Kubernetes' convertToAPIContainerStatuses): the newest instance gives the state, the one
// before it lastState; a container that failed to start shows the reason from the ReasonCache
// as waiting, with its last run in lastState.
import type { Container, ContainerState, ContainerStatus, Pod } from '../../api/types/core.js';
import { shouldContainerBeRestarted } from '../pod-actions.js';
import { containerInstances, type RuntimeContainerStatus, type RuntimePodStatus } from '../runtime-pod.js';
import type { ReasonCache } from './reason-cache.js';
import { metaTime } from '../../api/time.js';

export const REASON_CONTAINER_CREATING = 'ContainerCreating';
export const REASON_POD_INITIALIZING = 'PodInitializing';

/** Probe-driven flags for a running container, given by the prober manager. */
export interface ContainerProbeState {
  ready(containerId: string, c: Container): boolean;
  started(containerId: string, c: Container): boolean;
}

/** Without a prober: a running container is started, and ready unless it has a readiness or startup probe. */
export const noProbes: ContainerProbeState = {
  ready: (_id, c) => !c.readinessProbe && !c.startupProbe,
  started: (_id, c) => !c.startupProbe,
};

export interface ConvertOptions {
  /** The containerID scheme: "<runtime>://<id>". */
  runtimeName: string;
  reasons?: ReasonCache;
  probes?: ContainerProbeState;
}

function iso(ms: number): string | undefined {
  return ms > 0 ? metaTime(ms) : undefined;
}

function terminatedOf(st: RuntimeContainerStatus, runtimeName: string): ContainerState {
  return {
    terminated: {
      exitCode: st.exitCode,
      ...(st.reason ? { reason: st.reason } : {}),
      ...(st.message ? { message: st.message } : {}),
      ...(iso(st.startedAt) ? { startedAt: iso(st.startedAt) } : {}),
      ...(iso(st.finishedAt) ? { finishedAt: iso(st.finishedAt) } : {}),
      containerID: `${runtimeName}://${st.id}`,
    },
  };
}

function stateOf(st: RuntimeContainerStatus, runtimeName: string): ContainerState {
  switch (st.state) {
    case 'running':
      return { running: { ...(iso(st.startedAt) ? { startedAt: iso(st.startedAt) } : {}) } };
    case 'exited':
      return terminatedOf(st, runtimeName);
    case 'created':
      return { waiting: { reason: REASON_CONTAINER_CREATING } };
    default:
      return { waiting: {} };
  }
}

export function convertContainerStatuses(
  pod: Pod,
  rs: RuntimePodStatus,
  init: boolean,
  opts: ConvertOptions,
): ContainerStatus[] {
  const specs = init ? (pod.spec.initContainers ?? []) : pod.spec.containers;
  const old = new Map(((init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses) ?? []).map((s) => [s.name, s]));
  const probes = opts.probes ?? noProbes;
  const defaultReason = !init && (pod.spec.initContainers ?? []).length > 0 ? REASON_POD_INITIALIZING : REASON_CONTAINER_CREATING;

  return specs.map((c) => {
    const [current, previous] = containerInstances(rs, c.name);
    const status: ContainerStatus = {
      name: c.name,
      state: { waiting: { reason: defaultReason } },
      ready: false,
      restartCount: 0,
      image: c.image ?? '',
      imageID: '',
      started: false,
    };
    if (!current) {
      // The runtime lost every instance (removed, or a new node): keep what was shown before.
      const was = old.get(c.name);
      if (was?.state?.terminated) {
        // A finished container the runtime has since removed stays finished.
        status.state = was.state;
        status.restartCount = was.restartCount;
        if (was.lastState) status.lastState = was.lastState;
      } else if (was) {
        status.restartCount = was.restartCount;
        const lastState = was.state?.terminated ? was.state : was.lastState;
        if (lastState?.terminated) status.lastState = lastState;
      }
    } else {
      status.state = stateOf(current, opts.runtimeName);
      status.restartCount = current.restartCount;
      status.imageID = current.imageRef;
      status.containerID = `${opts.runtimeName}://${current.id}`;
      if (current.state === 'running') {
        status.started = probes.started(current.id, c);
        status.ready = status.started && probes.ready(current.id, c);
      }
      if (previous && previous.state === 'exited') status.lastState = terminatedOf(previous, opts.runtimeName);
    }

    // A container due for a (re)start shows why it has not started yet.
    const succeededInit = init && current?.state === 'exited' && current.exitCode === 0;
    if (!succeededInit && shouldContainerBeRestarted(c, pod, rs)) {
      const why = opts.reasons?.get(pod.metadata.uid ?? '', c.name);
      if (why) {
        if (status.state?.terminated) status.lastState = status.state;
        status.state = { waiting: { reason: why.reason, ...(why.message ? { message: why.message } : {}) } };
      }
    }
    return status;
  });
}
