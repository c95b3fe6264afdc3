// The plan for one pod sync (Kubernetes' kuberuntime_manager computePodActions): compare the
// pod spec with what the runtime has and say what to do: kill the whole pod? make a new
// sandbox? which init container next? which app containers to start or kill? Pure: no
// runtime calls, so every rule is unit-tested on plain records.
import type { Container, Pod } from '../api/types/core.js';
import { ANNOTATION_HOST_NETWORK, hashContainer } from './labels.js';
import { findContainerStatus, type RuntimeContainerStatus, type RuntimePodStatus } from './runtime-pod.js';

export type KillReason = 'LivenessProbe' | 'StartupProbe' | 'Changed' | 'Unknown' | 'Terminating';

export interface ContainerToKill {
  name: string;
  container?: Container;
  reason: KillReason;
  message: string;
}

export interface PodActions {
  /** Stop every container and the sandbox (then a new sandbox if createSandbox). */
  killPod: boolean;
  createSandbox: boolean;
  /** The existing sandbox to start containers in (when not creating one). */
  sandboxId: string;
  /** The attempt number for a new sandbox. */
  attempt: number;
  /** Index into spec.initContainers of the init container to start next. */
  nextInitContainerToStart?: number;
  /** The same as a list (empty or one entry): init containers run strictly one at a time. */
  initContainersToStart: number[];
  /** Indices into spec.containers. */
  containersToStart: number[];
  /** Container ID -> why it is killed. */
  containersToKill: Map<string, ContainerToKill>;
}

export type ProbeResult = 'Success' | 'Failure';

export interface ProbeResultLookup {
  get(containerId: string): ProbeResult | undefined;
}

export interface ComputePodActionsOptions {
  liveness?: ProbeResultLookup;
  startup?: ProbeResultLookup;
}

export function restartPolicyOf(pod: Pod): 'Always' | 'OnFailure' | 'Never' {
  return pod.spec.restartPolicy ?? 'Always';
}

/** Whether a failed container may be started again at all (Kubernetes' shouldRestartOnFailure). */
export function shouldRestartOnFailure(pod: Pod): boolean {
  return restartPolicyOf(pod) !== 'Never';
}

function containerSucceeded(c: Container, s: RuntimePodStatus): boolean {
  const st = findContainerStatus(s, c.name);
  return st !== undefined && st.state === 'exited' && st.exitCode === 0;
}

function isInitContainerFailed(st: RuntimeContainerStatus): boolean {
  return st.state === 'unknown' || (st.state === 'exited' && st.exitCode !== 0);
}

/** Kubernetes' ShouldContainerBeRestarted: does a container not running need a (new) start? */
export function shouldContainerBeRestarted(c: Container, pod: Pod, s: RuntimePodStatus): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  const st = findContainerStatus(s, c.name);
  if (!st) return true;
  if (st.state === 'running') return false;
  if (st.state === 'unknown' || st.state === 'created') return true;
  const policy = restartPolicyOf(pod);
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && st.exitCode === 0) return false;
  return true;
}

export interface NextInit {
  /** The failed init container's last status, when `next` is a restart of it. */
  lastStatus?: RuntimeContainerStatus;
  next?: number;
  done: boolean;
}

/** Kubernetes' findNextInitContainerToRun: init containers run in order, each to success. */
export function findNextInitContainerToRun(pod: Pod, s: RuntimePodStatus): NextInit {
  const inits = pod.spec.initContainers ?? [];
  if (inits.length === 0) return { done: true };
  // A running app container means initialisation finished earlier (e.g. before a kubelet
  // restart whose init containers were since removed).
  for (const c of pod.spec.containers) {
    if (findContainerStatus(s, c.name)?.state === 'running') return { done: true };
  }
  for (let i = inits.length - 1; i >= 0; i--) {
    const st = findContainerStatus(s, inits[i].name);
    if (st && isInitContainerFailed(st)) return { lastStatus: st, next: i, done: false };
  }
  for (let i = inits.length - 1; i >= 0; i--) {
    const st = findContainerStatus(s, inits[i].name);
    if (!st) continue;
    if (st.state === 'running' || st.state === 'created') return { done: false };
    if (st.state === 'exited') {
      if (i === inits.length - 1) return { done: true };
      return { next: i + 1, done: false };
    }
  }
  return { next: 0, done: false };
}

interface SandboxChange {
  create: boolean;
  attempt: number;
  sandboxId: string;
}

/** Kubernetes' podSandboxChanged: no sandbox, a sandbox not ready, or its network no longer fits. */
function podSandboxChanged(pod: Pod, s: RuntimePodStatus): SandboxChange {
  const newest = s.sandboxStatuses[0];
  if (!newest) return { create: true, attempt: 0, sandboxId: '' };
  const next = { create: true, attempt: newest.metadata.attempt + 1, sandboxId: newest.id };
  const ready = s.sandboxStatuses.filter((sb) => sb.state === 'SANDBOX_READY').length;
  if (ready > 1 || newest.state !== 'SANDBOX_READY') return next;
  const hostNetwork = pod.spec.hostNetwork === true;
  if ((newest.annotations[ANNOTATION_HOST_NETWORK] === 'true') !== hostNetwork) return next;
  if (!hostNetwork && !newest.network?.ip) return next;
  return { create: false, attempt: newest.metadata.attempt, sandboxId: newest.id };
}

function emptyActions(sb: SandboxChange): PodActions {
  return {
    killPod: sb.create,
    createSandbox: sb.create,
    sandboxId: sb.sandboxId,
    attempt: sb.attempt,
    initContainersToStart: [],
    containersToStart: [],
    containersToKill: new Map(),
  };
}

function setNextInit(a: PodActions, i: number): void {
  a.nextInitContainerToStart = i;
  a.initContainersToStart = [i];
}

/** A pod being deleted: stop everything running, start nothing. */
function terminationActions(pod: Pod, s: RuntimePodStatus, sb: SandboxChange): PodActions {
  const a = emptyActions({ ...sb, create: false });
  a.killPod = true;
  for (const c of s.containerStatuses) {
    if (c.state === 'running' || c.state === 'created' || c.state === 'unknown') {
      const spec = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((x) => x.name === c.name);
      a.containersToKill.set(c.id, { name: c.name, container: spec, reason: 'Terminating', message: 'Stopping container ' + c.name });
    }
  }
  return a;
}

export function computePodActions(pod: Pod, s: RuntimePodStatus, opts: ComputePodActionsOptions = {}): PodActions {
  const sb = podSandboxChanged(pod, s);
  if (pod.metadata.deletionTimestamp) return terminationActions(pod, s, sb);
  const a = emptyActions(sb);

  if (sb.create) {
    // The sandbox died after the pod already ran under restartPolicy Never: it is finished,
    // nothing comes back.
    if (!shouldRestartOnFailure(pod) && sb.attempt !== 0 && s.containerStatuses.length !== 0) {
      a.createSandbox = false;
      return a;
    }
    const toStart = pod.spec.containers
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => !(restartPolicyOf(pod) === 'OnFailure' && containerSucceeded(c, s)))
      .map(({ i }) => i);
    if (toStart.length === 0 && findNextInitContainerToRun(pod, s).done) {
      // OnFailure with every app container succeeded: the pod is complete.
      a.createSandbox = false;
      return a;
    }
    if ((pod.spec.initContainers ?? []).length > 0) {
      setNextInit(a, 0);
      return a;
    }
    a.containersToStart = toStart;
    return a;
  }

  const init = findNextInitContainerToRun(pod, s);
  if (!init.done) {
    if (init.next !== undefined) {
      const failed = init.lastStatus !== undefined && isInitContainerFailed(init.lastStatus);
      if (failed && !shouldRestartOnFailure(pod)) {
        a.killPod = true;
      } else {
        if (init.lastStatus?.state === 'unknown') {
          a.containersToKill.set(init.lastStatus.id, {
            name: init.lastStatus.name,
            container: (pod.spec.initContainers ?? [])[init.next],
            reason: 'Unknown',
            message: 'Init container is in unknown state, try killing it before restart',
          });
        }
        setNextInit(a, init.next);
      }
    }
    return a;
  }

  let keep = 0;
  pod.spec.containers.forEach((c, i) => {
    const st = findContainerStatus(s, c.name);
    if (!st || st.state !== 'running') {
      if (shouldContainerBeRestarted(c, pod, s)) {
        a.containersToStart.push(i);
        if (st?.state === 'unknown') {
          a.containersToKill.set(st.id, {
            name: c.name,
            container: c,
            reason: 'Unknown',
            message: 'Container is in unknown state, try killing it before restart',
          });
        }
      }
      return;
    }
    let restart = shouldRestartOnFailure(pod);
    let message: string;
    let reason: KillReason;
    if (st.hash !== '' && st.hash !== hashContainer(c)) {
      message = `Container ${c.name} definition changed`;
      reason = 'Changed';
      restart = true;
    } else if (opts.liveness?.get(st.id) === 'Failure') {
      message = `Container ${c.name} failed liveness probe`;
      reason = 'LivenessProbe';
    } else if (opts.startup?.get(st.id) === 'Failure') {
      message = `Container ${c.name} failed startup probe`;
      reason = 'StartupProbe';
    } else {
      keep++;
      return;
    }
    if (restart) {
      message += ', will be restarted';
      a.containersToStart.push(i);
    }
    a.containersToKill.set(st.id, { name: c.name, container: c, reason, message });
  });
  // Nothing left running and nothing to start: the pod is done, release its sandbox.
  if (keep === 0 && a.containersToStart.length === 0) a.killPod = true;
  return a;
}
