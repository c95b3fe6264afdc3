// A pod's resource requests as the scheduler counts them (Kubernetes' PodRequests): the sum
// over app containers, at least the largest init container (they run one at a time, before
// the app containers), plus pod overhead. A request left out but limited defaults to the
// limit, as API defaulting does. Quantities are parsed once per pod, not per node.
import { effectiveRequests } from '../../api/pod-resources.js';
import { Quantity } from '../../api/quantity.js';
import type { Container, Pod, ResourceList } from '../../api/types/core.js';

export interface Resources {
  milliCPU: number;
  /** bytes */
  memory: number;
  /** bytes */
  ephemeralStorage: number;
  /** Extended resources (example.com/gpu, hugepages-2Mi, ...), whole units. */
  scalar: Record<string, number>;
}

export const emptyResources = (): Resources => ({ milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: {} });

/** Kubernetes' defaults for pods that request nothing, used only for scoring (so they still spread). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

// Pods of one workload repeat the same few quantities ("100m", "128Mi"), and a pod's requests
// are read several times (queue, cycle, assume, bound): each string is parsed once.
const parsedMilli = new Map<string, number>();
const parsedValue = new Map<string, number>();
const MAX_REMEMBERED = 4096;

function parseQuantity(q: string | number, milli: boolean): number {
  try {
    const parsed = Quantity.parse(q);
    return milli ? parsed.milliValue() : parsed.value();
  } catch {
    // The API server validates quantities; anything unparsable that slips through counts as zero.
    return 0;
  }
}

function quantity(q: string | number | undefined, milli: boolean): number {
  if (q === undefined) return 0;
  if (typeof q !== 'string') return parseQuantity(q, milli);
  const memo = milli ? parsedMilli : parsedValue;
  let v = memo.get(q);
  if (v === undefined) {
    v = parseQuantity(q, milli);
    if (memo.size >= MAX_REMEMBERED) memo.clear();
    memo.set(q, v);
  }
  return v;
}

export function resourceListToResources(list: ResourceList | undefined): Resources {
  const r = emptyResources();
  for (const [name, q] of Object.entries(list ?? {})) {
    if (name === 'cpu') r.milliCPU = quantity(q, true);
    else if (name === 'memory') r.memory = quantity(q, false);
    else if (name === 'ephemeral-storage') r.ephemeralStorage = quantity(q, false);
    else if (name !== 'pods') r.scalar[name] = quantity(q, false);
  }
  return r;
}

function containerRequests(c: Container): Resources {
  // Defaulting: a resource with a limit but no request requests its limit.
  return resourceListToResources(effectiveRequests(c));
}

export function addResources(into: Resources, r: Resources, sign = 1): void {
  into.milliCPU += sign * r.milliCPU;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  for (const [k, v] of Object.entries(r.scalar)) into.scalar[k] = (into.scalar[k] ?? 0) + sign * v;
}

function maxResources(into: Resources, r: Resources): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [k, v] of Object.entries(r.scalar)) into.scalar[k] = Math.max(into.scalar[k] ?? 0, v);
}

export function podRequests(pod: Pod): Resources {
  const total = emptyResources();
  for (const c of pod.spec?.containers ?? []) addResources(total, containerRequests(c));
  for (const c of pod.spec?.initContainers ?? []) maxResources(total, containerRequests(c));
  const overhead = (pod.spec as { overhead?: ResourceList } | undefined)?.overhead;
  if (overhead) addResources(total, resourceListToResources(overhead));
  return total;
}

/** Requests with the scoring defaults applied to zero cpu/memory (per container, like Kubernetes). */
export function podNonZeroRequests(pod: Pod): { milliCPU: number; memory: number } {
  let milliCPU = 0;
  let memory = 0;
  for (const c of pod.spec?.containers ?? []) {
    const r = containerRequests(c);
    milliCPU += r.milliCPU || DEFAULT_MILLI_CPU_REQUEST;
    memory += r.memory || DEFAULT_MEMORY_REQUEST;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    const r = containerRequests(c);
    milliCPU = Math.max(milliCPU, r.milliCPU || DEFAULT_MILLI_CPU_REQUEST);
    memory = Math.max(memory, r.memory || DEFAULT_MEMORY_REQUEST);
  }
  return { milliCPU, memory };
}
