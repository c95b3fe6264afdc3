// Pod resource arithmetic the kubelet needs: effective requests (for admission) and the QoS
// class (for status), by Kubernetes' rules. Requests that are missing but have a limit count
// as the limit, as the API server's defaulting would have set them.
import { parseQuantity } from '../api/quantity.js';
import type { Container, Pod, QOSClass, ResourceList } from '../api/types/core.js';

function milli(list: ResourceList | undefined, key: string): number {
  const q = list?.[key];
  return q === undefined ? 0 : parseQuantity(q).milliValue();
}

function value(list: ResourceList | undefined, key: string): number {
  const q = list?.[key];
  return q === undefined ? 0 : parseQuantity(q).value();
}

/** A container's requests, falling back to its limits. */
export function containerRequests(c: Container): { milliCPU: number; memory: number } {
  const r = c.resources ?? {};
  return {
    milliCPU: r.requests?.cpu !== undefined ? milli(r.requests, 'cpu') : milli(r.limits, 'cpu'),
    memory: r.requests?.memory !== undefined ? value(r.requests, 'memory') : value(r.limits, 'memory'),
  };
}

/**
 * What a pod asks of its node: the sum over app containers, or the largest init container
 * when that is larger (init containers run one at a time, before the app containers).
 */
export function podRequests(pod: Pod): { milliCPU: number; memory: number } {
  let milliCPU = 0;
  let memory = 0;
  for (const c of pod.spec.containers) {
    const r = containerRequests(c);
    milliCPU += r.milliCPU;
    memory += r.memory;
  }
  for (const c of pod.spec.initContainers ?? []) {
    const r = containerRequests(c);
    milliCPU = Math.max(milliCPU, r.milliCPU);
    memory = Math.max(memory, r.memory);
  }
  return { milliCPU, memory };
}

/** Kubernetes' GetPodQOS over cpu and memory. */
export function qosClass(pod: Pod): QOSClass {
  const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const k of ['cpu', 'memory']) {
      const hasReq = req[k] !== undefined && !parseQuantity(req[k]).isZero();
      const hasLim = lim[k] !== undefined && !parseQuantity(lim[k]).isZero();
      if (hasReq || hasLim) any = true;
      if (!hasLim) guaranteed = false;
      else if (hasReq && !parseQuantity(req[k]).equal(lim[k])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
