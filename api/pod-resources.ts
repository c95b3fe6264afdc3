// What a pod asks for, as Kubernetes computes it: QoS class (pkg/apis/core/v1/helper/qos) and
// the effective request (component-helpers resource.PodRequests) that the scheduler fits and
// the kubelet sizes cgroups by. Both read requests as defaulting would leave them: a resource
// with a limit and no request requests its limit.
import { Quantity } from './quantity.js';
import type { Container, Pod, QOSClass, ResourceList } from './types/core.js';

const QOS_RESOURCES = ['cpu', 'memory'] as const;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The containers of a list, tolerating a malformed pod (these run before and after validation). */
const containersOf = (v: unknown): Container[] => (Array.isArray(v) ? (v.filter(isObj) as unknown as Container[]) : []);

/** Parses a quantity that validation has (or should have) accepted; a bad one counts as zero. */
function quantityOf(v: unknown): Quantity | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  try {
    return Quantity.parse(v);
  } catch {
    return undefined;
  }
}

/** requests with each missing entry taken from limits, as SetDefaults_Pod does. */
export function effectiveRequests(c: Pick<Container, 'resources'>): ResourceList {
  const res = isObj(c.resources) ? c.resources : {};
  return { ...(isObj(res.limits) ? res.limits : {}), ...(isObj(res.requests) ? res.requests : {}) } as ResourceList;
}

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
    const found = new Set<string>();
    for (const name of QOS_RESOURCES) {
      const declared: Record<string, unknown> = isObj(c.resources) && isObj(c.resources.limits) ? c.resources.limits : {};
      const q = quantityOf(declared[name]);
      if (q && q.sign() > 0) {
        found.add(name);
        add(limits, name, q);
      }
    }
    if (found.size !== QOS_RESOURCES.length) guaranteed = false;
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

export interface PodRequests {
  milliCpu: number;
  memoryBytes: number;
}

function containerRequests(c: Container): PodRequests {
  const req = effectiveRequests(c);
  return { milliCpu: quantityOf(req.cpu)?.milliValue() ?? 0, memoryBytes: quantityOf(req.memory)?.value() ?? 0 };
}

/**
 * The pod's effective request: the sum over app containers, raised per resource to the largest
 * init container's request (init containers run one at a time, before the app containers).
 */
export function podRequests(pod: Pod): PodRequests {
  const total: PodRequests = { milliCpu: 0, memoryBytes: 0 };
  for (const c of containersOf(pod.spec?.containers)) {
    const r = containerRequests(c);
    total.milliCpu += r.milliCpu;
    total.memoryBytes += r.memoryBytes;
  }
  for (const c of containersOf(pod.spec?.initContainers)) {
    const r = containerRequests(c);
    total.milliCpu = Math.max(total.milliCpu, r.milliCpu);
    total.memoryBytes = Math.max(total.memoryBytes, r.memoryBytes);
  }
  return total;
}

/** The same rule for limits; 0 means some container has no limit for that resource, so the pod has none. */
export function podLimits(pod: Pod): PodRequests {
  const total: PodRequests = { milliCpu: 0, memoryBytes: 0 };
  const apps = containersOf(pod.spec?.containers);
  const unlimited = { cpu: false, memory: false };
  for (const c of apps) {
    const cpu = quantityOf(c.resources?.limits?.cpu);
    const mem = quantityOf(c.resources?.limits?.memory);
    if (cpu) total.milliCpu += cpu.milliValue();
    else unlimited.cpu = true;
    if (mem) total.memoryBytes += mem.value();
    else unlimited.memory = true;
  }
  for (const c of containersOf(pod.spec?.initContainers)) {
    const cpu = quantityOf(c.resources?.limits?.cpu);
    const mem = quantityOf(c.resources?.limits?.memory);
    if (cpu) total.milliCpu = Math.max(total.milliCpu, cpu.milliValue());
    else unlimited.cpu = true;
    if (mem) total.memoryBytes = Math.max(total.memoryBytes, mem.value());
    else unlimited.memory = true;
  }
  return { milliCpu: unlimited.cpu ? 0 : total.milliCpu, memoryBytes: unlimited.memory ? 0 : total.memoryBytes };
}
