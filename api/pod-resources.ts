// A pod's resource arithmetic, once for every component: the requests the scheduler fits and
// the kubelet admits by (component-helpers resource.PodRequests), the limits the kubelet sizes
// the pod cgroup by (PodLimits), the non-zero requests the scheduler scores by, and the QoS
// class (pkg/apis/core/v1/helper/qos). The API server defaults requests from limits with the
// rule stated here too (requestDefaultsFromLimit), so a pod reads the same before and after
// defaulting. `skiff.dev/memory-swap` is a limit only: never a request, never fitted or scored.
import { Quantity } from './quantity.js';
import type { Container, Pod, QOSClass, ResourceList } from './types/core.js';

/** skiff's docker-style memory+swap limit (docker's --memory-swap: memory plus swap, -1 unlimited). */
export const MEMORY_SWAP_RESOURCE = 'skiff.dev/memory-swap';

/** Kubernetes' defaults for a container that requests no cpu or memory, for scoring only (so such pods still spread). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** Amounts of a resource list as numbers: cpu in thousandths, the rest in whole units (bytes). */
export interface Resources {
  milliCPU: number;
  /** bytes */
  memory: number;
  /** bytes */
  ephemeralStorage: number;
  /** Extended resources (example.com/gpu, hugepages-2Mi, ...), whole units. */
  scalar: Record<string, number>;
}

const emptyResources = (): Resources => ({ milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: {} });

/**
 * Whether a request missing from a container takes its limit (SetDefaults_Pod does this for
 * every resource). Not for memory+swap: it is no amount a node hands out, only a cap.
 */
const requestDefaultsFromLimit = (name: string): boolean => name !== MEMORY_SWAP_RESOURCE;

/** Whether a resource is counted against a node's allocatable (fitted, summed, scored). */
const isSchedulingResource = (name: string): boolean => name !== 'pods' && name !== MEMORY_SWAP_RESOURCE;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The containers of a list, tolerating a malformed pod (these run before and after validation). */
const containersOf = (v: unknown): Container[] => (Array.isArray(v) ? (v.filter(isObj) as unknown as Container[]) : []);
const listOf = (v: unknown): ResourceList => (isObj(v) ? (v as ResourceList) : {});

/** Parses a quantity that validation has (or should have) accepted; a bad one is undefined. */
function quantityOf(v: unknown): Quantity | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  try {
    return Quantity.parse(v);
  } catch {
    return undefined;
  }
}

// Pods of one workload repeat the same few quantities ("100m", "128Mi") and the scheduler reads
// a thousand pods a second: each string is parsed once (bounded, cleared when full).
const parsed = new Map<string, { milli: number; units: number }>();
const MAX_REMEMBERED = 4096;

function amountOf(q: unknown, milli: boolean): number {
  if (typeof q !== 'string') {
    const v = quantityOf(q);
    return v === undefined ? 0 : milli ? v.milliValue() : v.value();
  }
  let p = parsed.get(q);
  if (p === undefined) {
    const v = quantityOf(q);
    // The API server validates quantities; anything unparsable that slips through counts as zero.
    p = { milli: v?.milliValue() ?? 0, units: v?.value() ?? 0 };
    if (parsed.size >= MAX_REMEMBERED) parsed.clear();
    parsed.set(q, p);
  }
  return milli ? p.milli : p.units;
}

/** A resource list (requests, limits, overhead, a node's allocatable) as numbers, scheduling resources only. */
export function resourceListToResources(list: unknown): Resources {
  const r = emptyResources();
  for (const [name, q] of Object.entries(listOf(list))) {
    if (name === 'cpu') r.milliCPU = amountOf(q, true);
    else if (name === 'memory') r.memory = amountOf(q, false);
    else if (name === 'ephemeral-storage') r.ephemeralStorage = amountOf(q, false);
    else if (isSchedulingResource(name)) r.scalar[name] = amountOf(q, false);
  }
  return r;
}

function addResources(into: Resources, r: Resources, sign = 1): void {
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

/**
 * A container's requests as defaulting leaves them: what it requests, then each limit it has no
 * request for (requestDefaultsFromLimit). The API server's defaulting stores exactly this.
 */
export function effectiveRequests(c: Pick<Container, 'resources'>): ResourceList {
  const res = isObj(c.resources) ? c.resources : {};
  const requests = listOf(res.requests);
  const out: ResourceList = { ...requests };
  for (const [name, q] of Object.entries(listOf(res.limits))) {
    if (requestDefaultsFromLimit(name) && !(name in requests)) out[name] = q;
  }
  return out;
}

export function containerRequests(c: Pick<Container, 'resources'>): Resources {
  return resourceListToResources(effectiveRequests(c));
}

export function containerLimits(c: Pick<Container, 'resources'>): Resources {
  return resourceListToResources(isObj(c.resources) ? c.resources.limits : undefined);
}

const overheadOf = (pod: Pod): Resources | undefined => {
  const overhead = (pod.spec as { overhead?: unknown } | undefined)?.overhead;
  return isObj(overhead) ? resourceListToResources(overhead) : undefined;
};

/** Sum over app containers, raised to each init container's (they run one at a time, first), plus overhead. */
function aggregate(pod: Pod, of: (c: Container) => Resources): Resources {
  const total = emptyResources();
  for (const c of containersOf(pod.spec?.containers)) addResources(total, of(c));
  for (const c of containersOf(pod.spec?.initContainers)) maxResources(total, of(c));
  const overhead = overheadOf(pod);
  if (overhead) addResources(total, overhead);
  return total;
}

/** The pod's effective request (Kubernetes' PodRequests): what the scheduler fits and the kubelet admits. */
export function podRequests(pod: Pod): Resources {
  return aggregate(pod, containerRequests);
}

/**
 * The requests the scheduler scores by: a container that requests no cpu (or memory) counts
 * as DEFAULT_MILLI_CPU_REQUEST (DEFAULT_MEMORY_REQUEST), as PodRequests' NonMissingContainerRequests.
 */
export function podNonZeroRequests(pod: Pod): { milliCPU: number; memory: number } {
  const r = aggregate(pod, (c) => {
    const req = effectiveRequests(c);
    const own = resourceListToResources(req);
    if (!('cpu' in req)) own.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (!('memory' in req)) own.memory = DEFAULT_MEMORY_REQUEST;
    return own;
  });
  return { milliCPU: r.milliCPU, memory: r.memory };
}

/**
 * The pod's limits (Kubernetes' PodLimits), with cpu and memory 0 (no limit) when some app
 * container has no limit for them: one unlimited container leaves the pod unlimited, as the
 * kubelet's pod cgroup has it. Memory+swap is per container, not here (containerMemorySwap).
 */
export function podLimits(pod: Pod): Resources {
  const total = aggregate(pod, containerLimits);
  for (const c of containersOf(pod.spec?.containers)) {
    const limits = listOf(isObj(c.resources) ? c.resources.limits : undefined);
    if (!(amountOf(limits.cpu, true) > 0)) total.milliCPU = 0;
    if (!(amountOf(limits.memory, false) > 0)) total.memory = 0;
  }
  return total;
}

/** A container's `skiff.dev/memory-swap` limit in bytes (-1 unlimited), or undefined without one. */
export function containerMemorySwap(c: Pick<Container, 'resources'>): number | undefined {
  const q = listOf(isObj(c.resources) ? c.resources.limits : undefined)[MEMORY_SWAP_RESOURCE];
  if (q === undefined) return undefined;
  const v = amountOf(q, false);
  return v < 0 ? -1 : v;
}

const QOS_RESOURCES = ['cpu', 'memory'] as const;

/** Kubernetes' GetPodQOS over cpu and memory, from requests as defaulting leaves them. */
export function qosClass(pod: Pod): QOSClass {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const add = (m: Map<string, Quantity>, k: string, q: Quantity): void => {
    const prev = m.get(k);
    m.set(k, prev ? prev.add(q) : q);
  };
  for (const c of [...containersOf(pod.spec?.containers), ...containersOf(pod.spec?.initContainers)]) {
    const req = effectiveRequests(c);
    for (const name of QOS_RESOURCES) {
      const q = quantityOf(req[name]);
      if (q && q.sign() > 0) add(requests, name, q);
    }
    const declared = listOf(isObj(c.resources) ? c.resources.limits : undefined);
    let found = 0;
    for (const name of QOS_RESOURCES) {
      const q = quantityOf(declared[name]);
      if (q && q.sign() > 0) {
        found++;
        add(limits, name, q);
      }
    }
    if (found !== QOS_RESOURCES.length) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || lim.cmp(req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
