// What one pass of the pod garbage collector deletes (Kubernetes' pkg/controller/podgc), from
// plain records: the pods, the nodes in the cache, the threshold and the nodes confirmed gone.
// Four rules, in Kubernetes' order, each pod taken by the first that applies:
//  1. terminated: Succeeded/Failed pods over --terminated-pod-gc-threshold, evicted ones first,
//     then the oldest (creation time, then name);
//  2. terminating-out-of-service: pods being deleted on a node that is not Ready and carries the
//     node.kubernetes.io/out-of-service taint (the kubelet there will never finish them);
//  3. orphaned: pods bound to a node that no longer exists (after the quarantine, confirmed by
//     a live read: the controller's job), with the DisruptionTarget condition DeletionByPodGC;
//  4. unscheduled-terminating: pods being deleted that were never bound (no kubelet to finish them).
// Each deletion marks a pod that is not yet terminal Failed (a pod without a kubelet would
// stay Running forever) and then deletes it with a grace period of 0.
import type { Node, Pod } from '../../api/types/core.js';
import { compareOldestByName } from '../active-pods.js';
import { isNodeReady } from '../../api/node-conditions.js';

export const TAINT_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';
/** kube-controller-manager's --terminated-pod-gc-threshold default. */
export const DEFAULT_TERMINATED_POD_GC_THRESHOLD = 12500;
/** gcCheckPeriod: how often a pass runs. */
export const GC_CHECK_PERIOD_MS = 20_000;
/** quarantineTime: how long a node must stay missing before its pods count as orphaned. */
export const QUARANTINE_MS = 40_000;

export type PodGcReason = 'terminated' | 'terminating-out-of-service' | 'orphaned' | 'unscheduled-terminating';

/** The condition PodGC sets on an orphaned pod before deleting it. */
export const ORPHANED_CONDITION = { reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' } as const;

export interface PodGcInput {
  pods: readonly Pod[];
  nodes: readonly Node[];
  /** --terminated-pod-gc-threshold; 0 or less turns rule 1 off. */
  terminatedThreshold: number;
  /** Nodes that pods name, missing for the whole quarantine and not found on a live read. */
  deletedNodes: ReadonlySet<string>;
}

export interface PodGcDeletion {
  pod: Pod;
  reason: PodGcReason;
  /** Set the pod's phase to Failed first (it is not Succeeded or Failed yet). */
  markFailed: boolean;
  /** The DisruptionTarget condition to set with the Failed phase (orphaned pods only). */
  disruption?: { reason: string; message: string };
}

export interface PodGcPlan {
  deletions: PodGcDeletion[];
  /** Node names that bound pods name but the cache lacks: to put in quarantine. */
  missingNodes: string[];
}

export function isPodTerminated(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== undefined && phase !== 'Pending' && phase !== 'Running' && phase !== 'Unknown';
}

/** eviction.PodIsEvicted: Failed with reason Evicted (the kubelet's node-pressure eviction). */
function isEvicted(pod: Pod): boolean {
  return pod.status?.phase === 'Failed' && pod.status.reason === 'Evicted';
}

/** byEvictionAndCreationTimestamp: evicted pods first, then the oldest, then by name. */
export function compareForGc(a: Pod, b: Pod): number {
  const ev = Number(isEvicted(b)) - Number(isEvicted(a));
  if (ev !== 0) return ev;
  return compareOldestByName(a, b);
}

function outOfService(node: Node): boolean {
  return !isNodeReady(node) && (node.spec?.taints ?? []).some((t) => t.key === TAINT_OUT_OF_SERVICE);
}

export function planPodGc(input: PodGcInput): PodGcPlan {
  const nodes = new Map(input.nodes.map((n) => [n.metadata.name ?? '', n]));
  const taken = new Set<Pod>();
  const deletions: PodGcDeletion[] = [];
  const take = (pod: Pod, reason: PodGcReason, disruption?: PodGcDeletion['disruption']) => {
    if (taken.has(pod)) return;
    taken.add(pod);
    const markFailed = !isPodTerminated(pod);
    deletions.push({ pod, reason, markFailed, ...(disruption && markFailed ? { disruption } : {}) });
  };

  if (input.terminatedThreshold > 0) {
    const terminated = input.pods.filter(isPodTerminated);
    const over = terminated.length - input.terminatedThreshold;
    if (over > 0) for (const pod of [...terminated].sort(compareForGc).slice(0, over)) take(pod, 'terminated');
  }

  const stuck = input.pods.filter((p) => {
    const node = p.metadata.deletionTimestamp && p.spec.nodeName ? nodes.get(p.spec.nodeName) : undefined;
    return node !== undefined && outOfService(node);
  });
  for (const pod of stuck.sort(compareForGc)) take(pod, 'terminating-out-of-service');

  const missing = new Set<string>();
  for (const pod of input.pods) {
    const name = pod.spec.nodeName;
    if (!name || nodes.has(name)) continue;
    missing.add(name);
    if (input.deletedNodes.has(name)) take(pod, 'orphaned', ORPHANED_CONDITION);
  }

  for (const pod of input.pods) if (pod.metadata.deletionTimestamp && !pod.spec.nodeName) take(pod, 'unscheduled-terminating');

  return { deletions, missingNodes: [...missing] };
}
