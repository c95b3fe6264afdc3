// The Node object the kubelet registers and keeps current: capacity (the machine's CPUs
// and memory, or --capacity for lab nodes), allocatable, addresses, nodeInfo, podCIDR,
// the standard labels, conditions and the images present.
import fs from 'node:fs';
import os from 'node:os';
import { parseQuantity } from '../api/quantity.js';
import type { Node, NodeCondition, NodeStatus, ResourceList } from '../api/types/core.js';
import type { Image } from '../runtime/cri.js';

export const KUBELET_VERSION = 'v1.30.0-skiff';

/** "cpu=2,memory=4Gi" -> { cpu: '2', memory: '4Gi' }; every value must be a quantity. */
export function parseResourceList(s: string): ResourceList {
  const out: ResourceList = {};
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`invalid resource "${part}": want name=quantity`);
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    parseQuantity(value);
    out[name] = value;
  }
  return out;
}

/** "k=v,k2=v2" -> labels */
export function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`invalid label "${part}": want key=value`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** MemTotal from /proc/meminfo text, in bytes. */
export function memTotalFromMeminfo(text: string): number | undefined {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

export function machineCapacity(): { cpu: number; memory: number } {
  let memory = os.totalmem();
  try {
    memory = memTotalFromMeminfo(fs.readFileSync('/proc/meminfo', 'utf8')) ?? memory;
  } catch {
    // not Linux or no /proc: os.totalmem() is the same number
  }
  return { cpu: os.availableParallelism?.() ?? os.cpus().length, memory };
}

export function goArch(arch = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[arch] ?? arch;
}

function readTrim(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readTrim('/etc/os-release'));
  return m ? m[1] : os.type();
}

/** The node's first non-internal IPv4 address, for InternalIP when none is given. */
export function defaultHostIP(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export interface NodeConfig {
  nodeName: string;
  podCIDR?: string;
  hostIP: string;
  /** Overrides of the machine's capacity (lab nodes): cpu, memory, pods. */
  capacity?: ResourceList;
  labels?: Record<string, string>;
  maxPods: number;
  kubeletPort?: number;
  runtime: { name: string; version: string };
}

export function nodeCapacity(cfg: NodeConfig): ResourceList {
  const m = machineCapacity();
  return {
    cpu: String(m.cpu),
    memory: `${Math.floor(m.memory / 1024)}Ki`,
    pods: String(cfg.maxPods),
    ...(cfg.capacity ?? {}),
  };
}

/** Allocatable as numbers, for admission. */
export function allocatableNumbers(list: ResourceList): { milliCPU: number; memory: number; pods: number } {
  return {
    milliCPU: parseQuantity(list.cpu ?? 0).milliValue(),
    memory: parseQuantity(list.memory ?? 0).value(),
    pods: parseQuantity(list.pods ?? 110).value(),
  };
}

export function nodeLabels(cfg: NodeConfig): Record<string, string> {
  const arch = goArch();
  return {
    'kubernetes.io/hostname': cfg.nodeName,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': arch,
    ...(cfg.labels ?? {}),
  };
}

export function nodeImages(images: Image[]): NodeStatus['images'] {
  // Kubernetes lists the largest first and caps the list (50) to keep the Node small.
  return [...images]
    .sort((a, b) => b.size - a.size)
    .slice(0, 50)
    .map((i) => ({ names: [...i.repoDigests, ...i.repoTags], sizeBytes: i.size }));
}

function condition(type: string, status: 'True' | 'False', reason: string, message: string, now: string): NodeCondition {
  return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now };
}

export function nodeStatus(cfg: NodeConfig, images: Image[], now: string): NodeStatus {
  const capacity = nodeCapacity(cfg);
  const machineID = readTrim('/etc/machine-id');
  return {
    capacity,
    allocatable: { ...capacity },
    conditions: [
      condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', now),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', now),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', now),
      condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', now),
    ],
    addresses: [
      { type: 'InternalIP', address: cfg.hostIP },
      { type: 'Hostname', address: cfg.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: cfg.kubeletPort ?? 10250 } },
    nodeInfo: {
      machineID,
      systemUUID: readTrim('/sys/class/dmi/id/product_uuid') || machineID,
      bootID: readTrim('/proc/sys/kernel/random/boot_id'),
      kernelVersion: os.release(),
      osImage: osImage(),
      containerRuntimeVersion: `${cfg.runtime.name}://${cfg.runtime.version}`,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: goArch(),
    },
    images: nodeImages(images),
  };
}

export function buildNode(cfg: NodeConfig, images: Image[], now: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: cfg.nodeName, labels: nodeLabels(cfg) },
    spec: cfg.podCIDR ? { podCIDR: cfg.podCIDR, podCIDRs: [cfg.podCIDR] } : {},
    status: nodeStatus(cfg, images, now),
  };
}

/**
 * Merges a freshly computed status over the stored one: heartbeat times always move, but
 * lastTransitionTime stays while a condition's status is unchanged.
 */
export function mergeNodeConditions(old: NodeCondition[] | undefined, next: NodeCondition[]): NodeCondition[] {
  const prev = new Map((old ?? []).map((c) => [c.type, c]));
  return next.map((c) => {
    const was = prev.get(c.type);
    return was && was.status === c.status && was.lastTransitionTime ? { ...c, lastTransitionTime: was.lastTransitionTime } : c;
  });
}

/** Whether two statuses differ in anything but heartbeat times (then the status must be posted). */
export function nodeStatusChanged(a: NodeStatus | undefined, b: NodeStatus): boolean {
  const strip = (s: NodeStatus | undefined) =>
    JSON.stringify({ ...s, conditions: s?.conditions?.map(({ lastHeartbeatTime: _h, ...c }) => c) });
  return strip(a) !== strip(b);
}
