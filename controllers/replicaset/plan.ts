// What one sync of a ReplicaSet does to its pods, as manageReplicas in kube-controller-manager's
// replica_set.go, from plain records: the difference between its active pods and its replicas,
// at most BURST_REPLICAS per sync; when there are too many, which ones go (active-pods.ts's
// order). Pods being deleted or finished are not counted, so they are replaced at once.
import type { Pod } from '../../api/types/core.js';
import { filterActivePods, podsToDelete } from '../active-pods.js';

/** kube-controller-manager's BurstReplicas: creates or deletes of one sync, at most. */
export const BURST_REPLICAS = 500;

export interface ReplicaPlan {
  /** Pods to create from the template. */
  create: number;
  /** Pods to delete, the first to go first. */
  delete: Pod[];
}

/**
 * `pods` are the ReplicaSet's own (claimed) pods, `related` the active pods its node ranking
 * looks at (its own by default; a Deployment's ReplicaSets look at each other's).
 */
export function planReplicas(replicas: number, pods: readonly Pod[], related?: readonly Pod[], burst = BURST_REPLICAS): ReplicaPlan {
  const active = filterActivePods(pods);
  const diff = active.length - Math.max(0, replicas);
  if (diff < 0) return { create: Math.min(-diff, burst), delete: [] };
  if (diff > 0) return { create: 0, delete: podsToDelete(active, Math.min(diff, burst), related ?? active) };
  return { create: 0, delete: [] };
}
