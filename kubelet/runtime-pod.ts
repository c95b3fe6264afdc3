// The kubelet's view of one pod in the runtime (Kubernetes' kubecontainer.PodStatus): its
// sandboxes and every container instance it has had, newest first, read from the CRI and
// the labels the kubelet put there. This is what computePodActions plans from and what the
// API status is built from.
import type { ContainerStatus as CriContainerStatus, PodSandboxStatus, RuntimeService } from '../runtime/cri.js';
import { isRuntimeError } from '../runtime/cri.js';
import {
  ANNOTATION_CONTAINER_HASH,
  ANNOTATION_GRACE_PERIOD,
  LABEL_CONTAINER_NAME,
  LABEL_CONTAINER_TYPE,
  LABEL_POD_UID,
} from './labels.js';
import { readTerminationMessage } from './termination-message.js';

export type RuntimeContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface RuntimeContainerStatus {
  id: string;
  name: string;
  init: boolean;
  state: RuntimeContainerState;
  /** ms since epoch; 0 when not reached */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  image: string;
  imageRef: string;
  reason: string;
  message: string;
  /** hashContainer() of the spec it was started from */
  hash: string;
  /** The CRI attempt: how many times this container was restarted before this instance. */
  restartCount: number;
  gracePeriodSeconds?: number;
}

export interface RuntimePodStatus {
  uid: string;
  name: string;
  namespace: string;
  /** The pod IPs of the newest sandbox. */
  ips: string[];
  /** Newest first. */
  sandboxStatuses: PodSandboxStatus[];
  /** Every instance of every container, newest first. */
  containerStatuses: RuntimeContainerStatus[];
}

export function emptyPodStatus(uid: string, name: string, namespace: string): RuntimePodStatus {
  return { uid, name, namespace, ips: [], sandboxStatuses: [], containerStatuses: [] };
}

/** The newest instance of the named container, as Kubernetes' FindContainerStatusByName. */
export function findContainerStatus(s: RuntimePodStatus, name: string): RuntimeContainerStatus | undefined {
  return s.containerStatuses.find((c) => c.name === name);
}

/** All instances of the named container, newest first. */
export function containerInstances(s: RuntimePodStatus, name: string): RuntimeContainerStatus[] {
  return s.containerStatuses.filter((c) => c.name === name);
}

const NS_PER_MS = 1_000_000;

function stateOf(s: CriContainerStatus['state']): RuntimeContainerState {
  switch (s) {
    case 'CONTAINER_CREATED':
      return 'created';
    case 'CONTAINER_RUNNING':
      return 'running';
    case 'CONTAINER_EXITED':
      return 'exited';
    default:
      return 'unknown';
  }
}

export function fromCriContainerStatus(s: CriContainerStatus): RuntimeContainerStatus {
  const grace = s.annotations[ANNOTATION_GRACE_PERIOD];
  return {
    id: s.id,
    name: s.labels[LABEL_CONTAINER_NAME] ?? s.metadata.name,
    init: s.labels[LABEL_CONTAINER_TYPE] === 'init',
    state: stateOf(s.state),
    createdAt: Math.floor(s.createdAt / NS_PER_MS),
    startedAt: Math.floor(s.startedAt / NS_PER_MS),
    finishedAt: Math.floor(s.finishedAt / NS_PER_MS),
    exitCode: s.exitCode,
    image: s.image.image,
    imageRef: s.imageRef,
    reason: s.reason,
    message: s.message,
    hash: s.annotations[ANNOTATION_CONTAINER_HASH] ?? '',
    restartCount: s.metadata.attempt,
    ...(grace !== undefined && Number.isFinite(Number(grace)) ? { gracePeriodSeconds: Number(grace) } : {}),
  };
}

function newestFirst<T extends { createdAt: number }>(a: T, b: T): number {
  return b.createdAt - a.createdAt;
}

/**
 * Reads a pod's sandboxes and containers from the runtime. Objects that vanish between the
 * list and the status call (a concurrent removal) are skipped rather than failing the sync.
 */
export async function readRuntimePodStatus(
  runtime: RuntimeService,
  pod: { uid: string; name: string; namespace: string },
): Promise<RuntimePodStatus> {
  const status = emptyPodStatus(pod.uid, pod.name, pod.namespace);
  const sandboxes = await runtime.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: pod.uid } });
  for (const sb of sandboxes.sort(newestFirst)) {
    try {
      status.sandboxStatuses.push(await runtime.podSandboxStatus(sb.id));
    } catch (e) {
      if (!isRuntimeError(e, 'NotFound')) throw e;
    }
  }
  const newest = status.sandboxStatuses[0];
  if (newest?.state === 'SANDBOX_READY' && newest.network?.ip) {
    status.ips = [newest.network.ip, ...(newest.network.additionalIps ?? []).map((a) => a.ip)];
  }
  const containers = await runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: pod.uid } });
  for (const c of containers) {
    try {
      const cs = await runtime.containerStatus(c.id);
      const st = fromCriContainerStatus(cs);
      // What the container wrote to its terminationMessagePath is the message of its exit.
      const message = await readTerminationMessage(runtime, cs);
      if (message) st.message = message;
      status.containerStatuses.push(st);
    } catch (e) {
      if (!isRuntimeError(e, 'NotFound')) throw e;
    }
  }
  // Two instances made in the same millisecond: the higher attempt is the newer one.
  status.containerStatuses.sort((a, b) => newestFirst(a, b) || b.restartCount - a.restartCount);
  return status;
}
