// What the scheduler knows about one node: the Node, the pods on it (bound or assumed), and
// the sums plugins check against (requested resources, host ports in use, images present).
// The cache mutates its own NodeInfos; plugins only ever see clones in a snapshot.
import type { Node, Pod, Taint } from '../../api/types/core.js';
import { podNonZeroRequests, podRequests, resourceListToResources, type Resources } from '../../api/pod-resources.js';
import { nodeReadyCondition } from '../../api/node-conditions.js';

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

/** A pod with the numbers plugins need, computed once. */
export class PodInfo {
  readonly pod: Pod;
  readonly requests: Resources;
  readonly nonZero: { milliCPU: number; memory: number };
  readonly hostPorts: HostPort[];
  /** Extended resources the pod requests (non-zero), listed once for the per-node checks. */
  readonly scalarRequests: [string, number][];

  /**
   * `sameContainers`: the PodInfo of another version of this pod whose containers are the
   * same (the assumed copy with spec.nodeName set): its numbers are reused, not recomputed.
   */
  constructor(pod: Pod, sameContainers?: PodInfo) {
    this.pod = pod;
    if (sameContainers) {
      this.requests = sameContainers.requests;
      this.scalarRequests = sameContainers.scalarRequests;
      this.nonZero = sameContainers.nonZero;
      this.hostPorts = sameContainers.hostPorts;
      return;
    }
    this.requests = podRequests(pod);
    this.scalarRequests = Object.entries(this.requests.scalar).filter(([, v]) => v > 0);
    this.nonZero = podNonZeroRequests(pod);
    this.hostPorts = [];
    for (const c of pod.spec?.containers ?? []) {
      for (const p of c.ports ?? []) {
        if (p.hostPort && p.hostPort > 0) {
          this.hostPorts.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol ?? 'TCP', port: p.hostPort });
        }
      }
    }
  }

  get key(): string {
    return podKey(this.pod);
  }
}

/** Pods are keyed by uid when they have one (a recreated pod is a different pod), else ns/name. */
export function podKey(pod: Pod): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/** Host ports in use on a node: ip -> set of "protocol/port". */
export class HostPortInfo {
  readonly #byIP = new Map<string, Map<string, number>>();

  add(p: HostPort, sign = 1): void {
    const key = `${p.protocol}/${p.port}`;
    let m = this.#byIP.get(p.ip);
    if (!m) this.#byIP.set(p.ip, (m = new Map()));
    const n = (m.get(key) ?? 0) + sign;
    if (n > 0) m.set(key, n);
    else m.delete(key);
  }

  /** 0.0.0.0 conflicts with every address; a specific address with itself and 0.0.0.0. */
  conflicts(p: HostPort): boolean {
    const key = `${p.protocol}/${p.port}`;
    if (p.ip === '0.0.0.0') {
      for (const m of this.#byIP.values()) if (m.has(key)) return true;
      return false;
    }
    return (this.#byIP.get(p.ip)?.has(key) ?? false) || (this.#byIP.get('0.0.0.0')?.has(key) ?? false);
  }

  clone(): HostPortInfo {
    const c = new HostPortInfo();
    for (const [ip, m] of this.#byIP) c.#byIP.set(ip, new Map(m));
    return c;
  }
}

export class NodeInfo {
  node: Node | undefined;
  /** The Node's metadata.name ('' until a Node is set). */
  name = '';
  pods: PodInfo[] = [];
  // The numbers the filter and score loops read for every node of every cycle, flat on this
  // object: one memory fetch per node rather than four objects (requested, allocatable, the
  // non-zero sums, the pod array), which is what those loops were waiting on. `requested`,
  // `allocatable` and `nonZeroRequested` below are views of them.
  podCount = 0;
  allowedPodNumber = 0;
  allocatableMilliCPU = 0;
  allocatableMemory = 0;
  allocatableEphemeralStorage = 0;
  requestedMilliCPU = 0;
  requestedMemory = 0;
  requestedEphemeralStorage = 0;
  /** Requests with the scoring defaults for pods that request nothing (podNonZeroRequests). */
  nonZeroMilliCPU = 0;
  nonZeroMemory = 0;
  /** spec.unschedulable */
  unschedulable = false;
  /** No declared taints and Ready (so no not-ready/unreachable taint is derived either). */
  taintFree = false;
  /** Bumped on every change; the snapshot copies only what changed since it last looked. */
  generation = 0;
  #allocatableScalar: Record<string, number> = {};
  #requestedScalar: Record<string, number> = {};
  usedPorts = new HostPortInfo();
  /** normalized image name -> size in bytes */
  images = new Map<string, number>();
  /** spec.taints */
  taints: readonly Taint[] = [];
  /** The status of the Ready condition, if the node reports one. */
  ready: string | undefined = undefined;

  constructor(node?: Node) {
    if (node) this.setNode(node);
  }

  /** What the node's pods request (a copy; scalar holds extended resources). */
  get requested(): Resources {
    return { milliCPU: this.requestedMilliCPU, memory: this.requestedMemory, ephemeralStorage: this.requestedEphemeralStorage, scalar: { ...this.#requestedScalar } };
  }

  /** status.allocatable (or capacity) of the Node (a copy). */
  get allocatable(): Resources {
    return { milliCPU: this.allocatableMilliCPU, memory: this.allocatableMemory, ephemeralStorage: this.allocatableEphemeralStorage, scalar: { ...this.#allocatableScalar } };
  }

  get nonZeroRequested(): { milliCPU: number; memory: number } {
    return { milliCPU: this.nonZeroMilliCPU, memory: this.nonZeroMemory };
  }

  /** Requested amount of an extended resource (0 when none). */
  requestedScalar(name: string): number {
    return this.#requestedScalar[name] ?? 0;
  }

  /** Allocatable amount of an extended resource (0 when the node has none). */
  allocatableScalar(name: string): number {
    return this.#allocatableScalar[name] ?? 0;
  }

  setNode(node: Node): void {
    this.node = node;
    this.name = node.metadata.name ?? '';
    this.unschedulable = node.spec?.unschedulable === true;
    this.taints = node.spec?.taints ?? [];
    this.ready = nodeReadyCondition(node)?.status;
    this.taintFree = this.taints.length === 0 && this.ready === 'True';
    const alloc = node.status?.allocatable ?? node.status?.capacity ?? {};
    const r = resourceListToResources(alloc);
    this.allocatableMilliCPU = r.milliCPU;
    this.allocatableMemory = r.memory;
    this.allocatableEphemeralStorage = r.ephemeralStorage;
    this.#allocatableScalar = r.scalar;
    const pods = alloc.pods;
    this.allowedPodNumber = pods === undefined ? 110 : Number.parseInt(String(pods), 10) || 0;
    this.images = new Map();
    for (const img of node.status?.images ?? []) {
      for (const n of img.names ?? []) this.images.set(normalizeImageName(n), img.sizeBytes ?? 0);
    }
  }

  addPod(pi: PodInfo): void {
    this.pods.push(pi);
    this.#account(pi, 1);
  }

  /** Removes the pod with this key; false when it was not here. */
  removePod(key: string): boolean {
    const i = this.pods.findIndex((p) => p.key === key);
    if (i < 0) return false;
    const [pi] = this.pods.splice(i, 1);
    if (pi) this.#account(pi, -1);
    return true;
  }

  #account(pi: PodInfo, sign: 1 | -1): void {
    const r = pi.requests;
    this.podCount = this.pods.length;
    this.requestedMilliCPU += sign * r.milliCPU;
    this.requestedMemory += sign * r.memory;
    this.requestedEphemeralStorage += sign * r.ephemeralStorage;
    for (const [name, v] of pi.scalarRequests) this.#requestedScalar[name] = (this.#requestedScalar[name] ?? 0) + sign * v;
    this.nonZeroMilliCPU += sign * pi.nonZero.milliCPU;
    this.nonZeroMemory += sign * pi.nonZero.memory;
    for (const hp of pi.hostPorts) this.usedPorts.add(hp, sign);
  }

  clone(): NodeInfo {
    const c = new NodeInfo();
    c.node = this.node;
    c.name = this.name;
    c.pods = [...this.pods];
    c.podCount = this.podCount;
    c.allowedPodNumber = this.allowedPodNumber;
    c.allocatableMilliCPU = this.allocatableMilliCPU;
    c.allocatableMemory = this.allocatableMemory;
    c.allocatableEphemeralStorage = this.allocatableEphemeralStorage;
    c.requestedMilliCPU = this.requestedMilliCPU;
    c.requestedMemory = this.requestedMemory;
    c.requestedEphemeralStorage = this.requestedEphemeralStorage;
    c.nonZeroMilliCPU = this.nonZeroMilliCPU;
    c.nonZeroMemory = this.nonZeroMemory;
    c.unschedulable = this.unschedulable;
    c.taintFree = this.taintFree;
    c.generation = this.generation;
    c.#allocatableScalar = this.#allocatableScalar;
    c.#requestedScalar = { ...this.#requestedScalar };
    c.usedPorts = this.usedPorts.clone();
    c.images = this.images;
    c.taints = this.taints;
    c.ready = this.ready;
    return c;
  }
}

// Every cycle normalizes its pod's image names (ImageLocality); pods of one workload name the
// same few images, so each name is worked out once.
const normalizedNames = new Map<string, string>();
const MAX_REMEMBERED_NAMES = 4096;

/** "nginx" -> "docker.io/library/nginx:latest", so pod images match the names nodes report. */
export function normalizeImageName(name: string): string {
  let n = normalizedNames.get(name);
  if (n === undefined) {
    n = normalize(name);
    if (normalizedNames.size >= MAX_REMEMBERED_NAMES) normalizedNames.clear();
    normalizedNames.set(name, n);
  }
  return n;
}

function normalize(name: string): string {
  let n = name;
  if (n.includes('@')) return n;
  const lastSlash = n.lastIndexOf('/');
  if (!n.slice(lastSlash + 1).includes(':')) n += ':latest';
  const first = n.split('/')[0] ?? '';
  const hasRegistry = n.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) n = n.includes('/') ? `docker.io/${n}` : `docker.io/library/${n}`;
  return n;
}
