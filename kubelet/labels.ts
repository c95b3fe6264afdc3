// The labels and annotations the kubelet puts on sandboxes and containers, with Kubernetes'
// keys (io.kubernetes.*), so that after a restart it can find its pods again in the runtime
// alone: which pod a container belongs to, which spec container it runs, and whether that
// spec has changed since (the hash).
import { createHash } from 'node:crypto';
import type { Container, Pod } from '../api/types/core.js';

export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
/** Marks a container as an init container, so the status code can tell the two lists apart. */
export const LABEL_CONTAINER_TYPE = 'skiff.dev/container-type';
export const ANNOTATION_CONTAINER_HASH = 'io.kubernetes.container.hash';
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_GRACE_PERIOD = 'io.kubernetes.pod.terminationGracePeriod';
export const ANNOTATION_TERMINATION_MESSAGE_PATH = 'io.kubernetes.container.terminationMessagePath';
export const ANNOTATION_TERMINATION_MESSAGE_POLICY = 'io.kubernetes.container.terminationMessagePolicy';
/** Whether the sandbox was made with the host's network, to notice a change of network mode. */
export const ANNOTATION_HOST_NETWORK = 'skiff.dev/host-network';

export function podLabels(pod: Pod): Record<string, string> {
  return {
    ...(pod.metadata.labels ?? {}),
    [LABEL_POD_NAME]: pod.metadata.name ?? '',
    [LABEL_POD_NAMESPACE]: pod.metadata.namespace ?? 'default',
    [LABEL_POD_UID]: pod.metadata.uid ?? '',
  };
}

export function containerLabels(pod: Pod, container: Container, init: boolean): Record<string, string> {
  return {
    [LABEL_POD_NAME]: pod.metadata.name ?? '',
    [LABEL_POD_NAMESPACE]: pod.metadata.namespace ?? 'default',
    [LABEL_POD_UID]: pod.metadata.uid ?? '',
    [LABEL_CONTAINER_NAME]: container.name,
    [LABEL_CONTAINER_TYPE]: init ? 'init' : 'app',
  };
}

/** Key order must not change the hash: a spec read back from etcd may order keys differently. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * A hash of the parts of a container spec that need a new container when they change
 * (Kubernetes' HashContainer). Probes and resources are left out: changing a probe must not
 * restart a running container.
 */
export function hashContainer(c: Container): string {
  const { livenessProbe: _l, readinessProbe: _r, startupProbe: _s, resources: _res, ...rest } = c;
  return createHash('sha256').update(stableJson(rest)).digest('hex').slice(0, 16);
}
