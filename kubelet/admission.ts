// Pod admission on the node (Kubernetes' lifecycle predicate admit handler): a pod bound
// here that does not fit next to the pods already admitted is rejected: phase Failed with
// reason OutOfcpu / OutOfmemory / OutOfpods / NodePorts and Kubernetes' messages.
import type { Pod, PodStatus } from '../api/types/core.js';
import { podRequests } from '../api/pod-resources.js';

export interface NodeAllocatable {
  milliCPU: number;
  /** bytes */
  memory: number;
  pods: number;
}

export type AdmitResult = { admit: true } | { admit: false; reason: string; message: string };

interface HostPortKey {
  protocol: string;
  hostIP: string;
  port: number;
}

function hostPorts(pod: Pod): HostPortKey[] {
  const out: HostPortKey[] = [];
  for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (p.hostPort) out.push({ protocol: p.protocol ?? 'TCP', hostIP: p.hostIP || '0.0.0.0', port: p.hostPort });
    }
  }
  return out;
}

function portsConflict(a: HostPortKey, b: HostPortKey): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false;
  return a.hostIP === b.hostIP || a.hostIP === '0.0.0.0' || b.hostIP === '0.0.0.0';
}

function insufficient(resource: string, requested: number, used: number, capacity: number): AdmitResult {
  return {
    admit: false,
    reason: `OutOf${resource}`,
    message: `Node didn't have enough resource: ${resource}, requested: ${requested}, used: ${used}, capacity: ${capacity}`,
  };
}

/** `active` are the pods already admitted and not finished on this node (not including `pod`). */
export function admitPod(pod: Pod, active: Pod[], allocatable: NodeAllocatable): AdmitResult {
  const others = active.filter((p) => p.metadata.uid !== pod.metadata.uid);
  if (others.length + 1 > allocatable.pods) return insufficient('pods', 1, others.length, allocatable.pods);
  const want = podRequests(pod);
  let usedCpu = 0;
  let usedMem = 0;
  for (const p of others) {
    const r = podRequests(p);
    usedCpu += r.milliCPU;
    usedMem += r.memory;
  }
  if (want.milliCPU > 0 && usedCpu + want.milliCPU > allocatable.milliCPU) return insufficient('cpu', want.milliCPU, usedCpu, allocatable.milliCPU);
  if (want.memory > 0 && usedMem + want.memory > allocatable.memory) return insufficient('memory', want.memory, usedMem, allocatable.memory);
  const taken = others.flatMap(hostPorts);
  const mine = hostPorts(pod);
  const clash = mine.some((m, i) => taken.some((t) => portsConflict(m, t)) || mine.slice(i + 1).some((o) => portsConflict(m, o)));
  if (clash) return { admit: false, reason: 'NodePorts', message: "node(s) didn't have free ports for the requested pod ports" };
  return { admit: true };
}

/** The status a rejected pod gets (the kubelet's rejectPod). */
export function rejectedStatus(pod: Pod, reason: string, message: string): PodStatus {
  return {
    ...(pod.status ?? {}),
    phase: 'Failed',
    reason,
    message: `Pod was rejected: ${message}`,
  };
}
