// Small builders for kubelet unit tests: a pod, and runtime statuses written as plain
// records, so a test reads as the situation it sets up.
import type { Container, Pod, PodSpec } from '../../api/types/core.js';
import type { PodSandboxStatus } from '../../runtime/cri.js';
import { ANNOTATION_HOST_NETWORK, hashContainer } from '../labels.js';
import type { RuntimeContainerStatus, RuntimePodStatus } from '../runtime-pod.js';

export function makePod(spec: Partial<PodSpec> = {}, name = 'web'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { containers: [{ name: 'app', image: 'busybox' }], nodeName: 'node-1', ...spec },
  };
}

let seq = 0;

export function sandbox(over: Partial<PodSandboxStatus> & { ip?: string } = {}): PodSandboxStatus {
  const { ip = '10.88.0.5', ...rest } = over;
  return {
    id: `sb-${++seq}`,
    metadata: { name: 'web', uid: 'uid-web', namespace: 'default', attempt: 0 },
    state: 'SANDBOX_READY',
    createdAt: 1,
    labels: {},
    annotations: { [ANNOTATION_HOST_NETWORK]: 'false' },
    network: { ip },
    ...rest,
  };
}

/** A container instance; `spec` fills name and hash as the kubelet would have. */
export function ctr(spec: Container, over: Partial<RuntimeContainerStatus> = {}): RuntimeContainerStatus {
  return {
    id: `c-${++seq}`,
    name: spec.name,
    init: false,
    state: 'running',
    createdAt: 1000,
    startedAt: 1000,
    finishedAt: 0,
    exitCode: 0,
    image: spec.image ?? '',
    imageRef: `sha256:${'a'.repeat(64)}`,
    reason: '',
    message: '',
    hash: hashContainer(spec),
    restartCount: 0,
    ...over,
  };
}

export function exited(spec: Container, exitCode: number, over: Partial<RuntimeContainerStatus> = {}): RuntimeContainerStatus {
  return ctr(spec, { state: 'exited', exitCode, finishedAt: 2000, reason: exitCode === 0 ? 'Completed' : 'Error', ...over });
}

export function podStatus(pod: Pod, sandboxes: PodSandboxStatus[], containers: RuntimeContainerStatus[]): RuntimePodStatus {
  const ip = sandboxes[0]?.state === 'SANDBOX_READY' ? sandboxes[0].network?.ip : undefined;
  return {
    uid: pod.metadata.uid ?? '',
    name: pod.metadata.name ?? '',
    namespace: pod.metadata.namespace ?? 'default',
    ips: ip ? [ip] : [],
    sandboxStatuses: sandboxes,
    containerStatuses: [...containers].sort((a, b) => b.createdAt - a.createdAt || b.restartCount - a.restartCount),
  };
}
