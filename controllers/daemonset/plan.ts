// What one sync of a DaemonSet does, from plain records, as kube-controller-manager's
// daemon_controller.go (NodeShouldRunDaemonPod, podsShouldBeOnNode, manage) and update.go
// (rollingUpdate): which nodes should run a daemon pod, which nodes need one created and
// which pods go, and for a RollingUpdate which old pods are replaced this step.
import type { DaemonSet } from '../../api/types/apps.js';
import type { Node, Pod, Taint } from '../../api/types/core.js';
import { scaledValue } from '../../api/int-or-percent.js';
import { podMatchesNode } from '../../api/node-affinity.js';
import { tolerates } from '../../api/tolerations.js';
import { isPodAvailable, isPodReady } from '../active-pods.js';
import { compareOldestFirst, isPodUpdated, targetNodeName, templateGeneration, withDaemonTolerations } from './util.js';

export interface NodeVerdict {
  /** A daemon pod should be created here when there is none. */
  shouldRun: boolean;
  /** A daemon pod already here may stay (it tolerates the node's NoExecute taints). */
  shouldContinueRunning: boolean;
}

function untolerated(taints: readonly Taint[], pod: Pod, effects: readonly string[]): boolean {
  const tolerations = pod.spec.tolerations ?? [];
  return taints.some((taint) => effects.includes(taint.effect) && !tolerations.some((t) => tolerates(t, taint)));
}

/**
 * NodeShouldRunDaemonPod: the template (with the daemon tolerations) must name no other node,
 * match the node's labels (nodeSelector and required node affinity), and tolerate its
 * NoSchedule and NoExecute taints; a pod that tolerates only the NoExecute ones may stay.
 */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): NodeVerdict {
  const template = ds.spec.template.spec ?? { containers: [] };
  const pod: Pod = { metadata: { labels: ds.spec.template.metadata?.labels }, spec: { ...template, tolerations: withDaemonTolerations(template) } };
  const nodeName = node.metadata.name ?? '';
  if ((template.nodeName && template.nodeName !== nodeName) || !podMatchesNode(pod, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints ?? [];
  if (untolerated(taints, pod, ['NoSchedule', 'NoExecute'])) return { shouldRun: false, shouldContinueRunning: !untolerated(taints, pod, ['NoExecute']) };
  return { shouldRun: true, shouldContinueRunning: true };
}

/** getNodesToDaemonPods: the claimed pods by the node they are for; finished pods being deleted are left out. */
export function podsByNode(pods: readonly Pod[]): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const pod of pods) {
    const phase = pod.status?.phase;
    if (pod.metadata.deletionTimestamp && (phase === 'Succeeded' || phase === 'Failed')) continue;
    const node = targetNodeName(pod);
    if (node === undefined) continue;
    const list = out.get(node);
    if (list) list.push(pod);
    else out.set(node, [pod]);
  }
  return out;
}

export interface NodesPlan {
  /** Nodes that get a new daemon pod. */
  create: string[];
  /** Pods to delete. */
  delete: Pod[];
  /** Of those, the failed pods (each one a FailedDaemonPod event and a longer backoff for its node). */
  failed?: Pod[];
  /** A failed pod was left for its node's backoff: look again then. */
  retryAfterMs?: number;
}

/** ms a node's failed daemon pods must still wait before the next is deleted (failedPodsBackoff); 0 when none. */
export type FailedBackoff = (nodeName: string) => number;

export function allowsSurge(ds: DaemonSet): boolean {
  const ru = ds.spec.updateStrategy;
  return (ru?.type ?? 'RollingUpdate') === 'RollingUpdate' && scaledValue(ru?.rollingUpdate?.maxSurge, 1, true) > 0;
}

/** podsShouldBeOnNode for one node, with `hash` the current revision's. */
function planNode(node: Node, ds: DaemonSet, pods: readonly Pod[] | undefined, hash: string, now: number, plan: NodesPlan, backoff: FailedBackoff): void {
  const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
  const nodeName = node.metadata.name ?? '';
  if (shouldRun && !pods) {
    plan.create.push(nodeName);
    return;
  }
  if (!pods) return;
  if (!shouldContinueRunning) {
    for (const p of pods) if (!p.metadata.deletionTimestamp) plan.delete.push(p);
    return;
  }
  const running: Pod[] = [];
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    // A failed (or finished) daemon pod is deleted; its replacement comes once it is gone. A
    // kubelet that keeps refusing the pod would make that a hot loop: the node's failed pods
    // wait out a backoff (1 s doubling to 15 min) between deletions.
    if (p.status?.phase === 'Failed') {
      const wait = backoff(nodeName);
      if (wait > 0) plan.retryAfterMs = Math.min(plan.retryAfterMs ?? wait, wait);
      else {
        plan.delete.push(p);
        (plan.failed ??= []).push(p);
      }
    } else if (p.status?.phase === 'Succeeded') plan.delete.push(p);
    else running.push(p);
  }
  running.sort(compareOldestFirst);
  if (!allowsSurge(ds)) {
    // More than one on a node: all but the oldest go.
    plan.delete.push(...running.slice(1));
    return;
  }
  if (running.length <= 1) {
    if (running.length === 0 && shouldRun) plan.create.push(nodeName);
    return;
  }
  // Surging: the oldest new and the oldest old pod may both stay while the new one is not yet
  // available and the old one is ready; every other pod goes.
  let oldestNew: Pod | undefined;
  let oldestOld: Pod | undefined;
  const generation = templateGeneration(ds);
  for (const p of running) {
    if (isPodUpdated(p, hash, generation)) {
      if (!oldestNew) {
        oldestNew = p;
        continue;
      }
    } else if (!oldestOld) {
      oldestOld = p;
      continue;
    }
    plan.delete.push(p);
  }
  if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec.minReadySeconds ?? 0, now))) plan.delete.push(oldestOld);
}

/**
 * manage's plan: for every node, podsShouldBeOnNode; and the unbound pods meant for nodes that
 * no longer exist. skiff has no pod garbage collector (podgc) yet, so the daemon pods bound to
 * a node that is gone are deleted here too, or they would stay for ever.
 */
export function planNodes(ds: DaemonSet, nodes: readonly Node[], byNode: ReadonlyMap<string, Pod[]>, hash: string, now: number, backoff: FailedBackoff = () => 0): NodesPlan {
  const plan: NodesPlan = { create: [], delete: [] };
  const known = new Set<string>();
  for (const node of nodes) {
    known.add(node.metadata.name ?? '');
    planNode(node, ds, byNode.get(node.metadata.name ?? ''), hash, now, plan, backoff);
  }
  for (const [name, pods] of byNode) {
    if (known.has(name)) continue;
    for (const p of pods) if (!p.metadata.deletionTimestamp) plan.delete.push(p);
  }
  return plan;
}

export interface UpdateCounts {
  maxSurge: number;
  maxUnavailable: number;
  desiredNumberScheduled: number;
}

/** updatedDesiredNodeCounts: both rounded up from the nodes that should run a pod; never both 0. */
export function updateCounts(ds: DaemonSet, nodes: readonly Node[]): UpdateCounts {
  const desired = nodes.filter((n) => nodeShouldRunDaemonPod(n, ds).shouldRun).length;
  const strategy = ds.spec.updateStrategy;
  const rolling = (strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  let maxUnavailable = rolling ? scaledValue(strategy?.rollingUpdate?.maxUnavailable ?? 1, desired, true) : 0;
  const maxSurge = rolling ? scaledValue(strategy?.rollingUpdate?.maxSurge ?? 0, desired, true) : 0;
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable, desiredNumberScheduled: desired };
}

/** findUpdatedPodsOnNode: at most one new and one old pod not being deleted, or not ok. */
function updatedPodsOnNode(pods: readonly Pod[], hash: string, generation: number | undefined): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    if (isPodUpdated(p, hash, generation)) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { newPod, oldPod, ok: true };
}

/**
 * rollingUpdate: one step. Without surge, old pods are deleted while fewer than maxUnavailable
 * nodes are unavailable (an old pod already unavailable always may go); the manage step then
 * creates the new pod on the emptied node. With surge, new pods are created next to old ones
 * (at most maxSurge at a time, at once where the old one is unavailable), and an old pod goes
 * once the new one beside it is available.
 */
export function planRollingUpdate(ds: DaemonSet, nodes: readonly Node[], byNode: ReadonlyMap<string, Pod[]>, hash: string, now: number): NodesPlan {
  const { maxSurge, maxUnavailable } = updateCounts(ds, nodes);
  const all = new Map<string, readonly Pod[]>(byNode);
  for (const n of nodes) if (nodeShouldRunDaemonPod(n, ds).shouldRun && !all.has(n.metadata.name ?? '')) all.set(n.metadata.name ?? '', []);
  const minReady = ds.spec.minReadySeconds ?? 0;
  const generation = templateGeneration(ds);
  const available = (p: Pod) => isPodAvailable(p, minReady, now);
  // Nodes in name order: the same state always gives the same step.
  const entries = [...all].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  if (maxSurge === 0) {
    let unavailable = 0;
    const replace: Pod[] = [];
    const candidates: Pod[] = [];
    for (const [, pods] of entries) {
      const { newPod, oldPod, ok } = updatedPodsOnNode(pods, hash, generation);
      if (!ok || (!oldPod && !newPod) || (oldPod && newPod)) unavailable++;
      else if (newPod) {
        if (!available(newPod)) unavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) replace.push(oldPod);
        else if (unavailable < maxUnavailable) candidates.push(oldPod);
      }
    }
    const room = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
    return { create: [], delete: [...replace, ...candidates.slice(0, room)] };
  }

  let surging = 0;
  const deleteOld: Pod[] = [];
  const allowed: string[] = [];
  const candidates: string[] = [];
  for (const [nodeName, pods] of entries) {
    const { newPod, oldPod, ok } = updatedPodsOnNode(pods, hash, generation);
    if (!ok) {
      surging++;
      continue;
    }
    if (!oldPod) continue; // the manage step handles it
    if (!newPod) {
      if (!available(oldPod)) allowed.push(nodeName);
      else if (surging < maxSurge) candidates.push(nodeName);
      continue;
    }
    if (!available(newPod)) surging++;
    else deleteOld.push(oldPod);
  }
  const room = Math.min(Math.max(0, maxSurge - surging), candidates.length);
  return { create: [...allowed, ...candidates.slice(0, room)], delete: deleteOld };
}
