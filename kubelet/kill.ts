// Stopping containers and pods (Kubernetes' killContainer / killPodWithSyncResult): the
// grace period comes from the deletion, the pod spec, a probe's own
// terminationGracePeriodSeconds, or an explicit override; a preStop hook runs first and
// spends some of it (pre-stop.ts); the runtime sends the stop signal and SIGKILL at the deadline.
import type { Container, Pod } from '../api/types/core.js';
import type { RuntimeService } from '../runtime/cri.js';
import { isRuntimeError } from '../runtime/cri.js';
import { containerFieldPath, type EventRecorder } from './events.js';
import type { ContainerToKill } from './pod-actions.js';
import { runPreStopHook } from './pre-stop.js';
import type { RuntimePodStatus } from './runtime-pod.js';

const DEFAULT_GRACE = 30;
/** Kubernetes' minimumGracePeriodInSeconds: a pod is never given less unless told to (override). */
const MIN_GRACE = 2;

export function gracePeriodFor(pod: Pod, kill: Pick<ContainerToKill, 'reason' | 'container'> | undefined, override?: number): number {
  let grace = pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE;
  if (pod.metadata.deletionTimestamp && pod.metadata.deletionGracePeriodSeconds !== undefined) grace = pod.metadata.deletionGracePeriodSeconds;
  const probe = kill?.reason === 'LivenessProbe' ? kill.container?.livenessProbe : kill?.reason === 'StartupProbe' ? kill.container?.startupProbe : undefined;
  if (probe?.terminationGracePeriodSeconds !== undefined) grace = probe.terminationGracePeriodSeconds;
  if (grace < MIN_GRACE) grace = MIN_GRACE;
  if (override !== undefined) grace = override;
  return grace;
}

export interface Killer {
  runtime: RuntimeService;
  recorder: EventRecorder;
}

export async function killContainer(k: Killer, pod: Pod, id: string, what: ContainerToKill, override?: number): Promise<void> {
  let grace = gracePeriodFor(pod, what, override);
  const init = what.container !== undefined && (pod.spec.initContainers ?? []).includes(what.container);
  const message = what.reason === 'Terminating' || !what.message ? `Stopping container ${what.name}` : what.message;
  k.recorder.event(pod, 'Normal', 'Killing', message, containerFieldPath(what.name, init));
  if (what.container?.lifecycle?.preStop && !init && grace > 0) {
    grace -= await runPreStopHook(k, pod, what.container, id, grace);
    // As Kubernetes: the hook never leaves the container less than the minimum, unless told to (override).
    if (override === undefined && grace < MIN_GRACE) grace = MIN_GRACE;
  }
  try {
    await k.runtime.stopContainer(id, grace);
  } catch (e) {
    if (!isRuntimeError(e, 'NotFound')) throw e;
  }
}

/** Stops every live container of the pod in parallel, then its sandboxes. */
export async function killPod(k: Killer, pod: Pod, rs: RuntimePodStatus, override?: number): Promise<void> {
  const specs: Container[] = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
  const live = rs.containerStatuses.filter((c) => c.state === 'running' || c.state === 'created' || c.state === 'unknown');
  const results = await Promise.allSettled(
    live.map((c) =>
      killContainer(k, pod, c.id, { name: c.name, container: specs.find((s) => s.name === c.name), reason: 'Terminating', message: '' }, override),
    ),
  );
  for (const sb of rs.sandboxStatuses) {
    if (sb.state !== 'SANDBOX_READY') continue;
    try {
      await k.runtime.stopPodSandbox(sb.id);
    } catch (e) {
      if (!isRuntimeError(e, 'NotFound')) throw e;
    }
  }
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Removes what is left of a pod in the runtime (after killPod): containers, then sandboxes. */
export async function removePodFromRuntime(runtime: RuntimeService, rs: RuntimePodStatus): Promise<void> {
  for (const c of rs.containerStatuses) {
    await runtime.removeContainer(c.id).catch((e: unknown) => {
      if (!isRuntimeError(e, 'NotFound')) throw e;
    });
  }
  for (const sb of rs.sandboxStatuses) {
    await runtime.removePodSandbox(sb.id).catch((e: unknown) => {
      if (!isRuntimeError(e, 'NotFound')) throw e;
    });
  }
}
