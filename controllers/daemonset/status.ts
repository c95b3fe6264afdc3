// A DaemonSet's status, as kube-controller-manager's updateDaemonSetStatus: over the nodes that
// should run a daemon pod, how many have one (its oldest pod counted), how many of those are
// ready, available (ready for minReadySeconds) and of the current revision; the nodes that run
// one but should not (misscheduled); observedGeneration.
import type { DaemonSet, DaemonSetStatus } from '../../api/types/apps.js';
import type { Node, Pod } from '../../api/types/core.js';
import { isPodAvailable, isPodReady } from '../active-pods.js';
import { nodeShouldRunDaemonPod } from './plan.js';
import { compareOldestFirst, isPodUpdated, templateGeneration } from './util.js';

export function daemonSetStatus(ds: DaemonSet, nodes: readonly Node[], byNode: ReadonlyMap<string, Pod[]>, hash: string, now: number): DaemonSetStatus {
  let desired = 0;
  let current = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  let misscheduled = 0;
  const generation = templateGeneration(ds);
  for (const node of nodes) {
    const pods = byNode.get(node.metadata.name ?? '') ?? [];
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) {
      if (pods.length > 0) misscheduled++;
      continue;
    }
    desired++;
    const pod = [...pods].sort(compareOldestFirst)[0];
    if (!pod) continue;
    current++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, ds.spec.minReadySeconds ?? 0, now)) available++;
    }
    if (isPodUpdated(pod, hash, generation)) updated++;
  }
  const status: DaemonSetStatus = {
    ...ds.status,
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    numberAvailable: available,
    numberUnavailable: desired - available,
    updatedNumberScheduled: updated,
    observedGeneration: ds.metadata.generation ?? ds.status?.observedGeneration,
  };
  return status;
}

const COUNTED = ['desiredNumberScheduled', 'currentNumberScheduled', 'numberMisscheduled', 'numberReady', 'numberAvailable', 'numberUnavailable', 'updatedNumberScheduled', 'observedGeneration'] as const;

/** storeDaemonSetStatus's test: anything counted differs. */
export function statusChanged(ds: DaemonSet, next: DaemonSetStatus): boolean {
  const cur = ds.status ?? {};
  return COUNTED.some((k) => cur[k] !== next[k]);
}
