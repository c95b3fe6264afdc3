// The annotations a Deployment keeps on its ReplicaSets (Kubernetes' deployment_util): the
// Deployment's own annotations copied over (but not the controller's bookkeeping or
// last-applied-configuration), the revision with the history of revisions it had before (a
// ReplicaSet brought back by a rollback gets a new revision and remembers its old ones), and
// the desired and maximum sizes proportional scaling reads.
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import { maxSurge, replicasOf } from './fenceposts.js';
import { DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION } from './replica-sets.js';

/** Kubernetes caps the revision history annotation at this many characters. */
export const MAX_REVISION_HISTORY_CHARS = 2000;

const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

/** Copies the Deployment's annotations onto `annotations` (in place); true when any changed. */
function copyDeploymentAnnotations(d: Deployment, annotations: Record<string, string>): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (NOT_COPIED.has(k) || annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  return changed;
}

/** The desired and max-replicas annotations for the Deployment's current size; true when any changed. */
export function setReplicasAnnotations(annotations: Record<string, string>, desired: number, max: number): boolean {
  let changed = false;
  for (const [k, v] of [
    [DESIRED_REPLICAS_ANNOTATION, String(desired)],
    [MAX_REPLICAS_ANNOTATION, String(max)],
  ] as const) {
    if (annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, d: Deployment): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(replicasOf(d)) || a[MAX_REPLICAS_ANNOTATION] !== String(replicasOf(d) + maxSurge(d));
}

/** The new ReplicaSet's annotations for `newRevision` (SetNewReplicaSetAnnotations); undefined when nothing changes. */
export function newReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean): Record<string, string> | undefined {
  const annotations = { ...(rs.metadata.annotations ?? {}) };
  let changed = copyDeploymentAnnotations(d, annotations);
  const oldRevision = annotations[REVISION_ANNOTATION];
  let oldRevisionInt = 0;
  if (oldRevision !== undefined) {
    // An unreadable revision is left alone, as Kubernetes does.
    if (!/^-?\d+$/.test(oldRevision)) return changed ? annotations : undefined;
    oldRevisionInt = Number(oldRevision);
  }
  if (oldRevisionInt < newRevision) {
    annotations[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    // A ReplicaSet that had a revision and gets a newer one is a rollback to it: keep its old revisions.
    if (oldRevision !== undefined) annotations[REVISION_HISTORY_ANNOTATION] = appendRevisionHistory(annotations[REVISION_HISTORY_ANNOTATION], oldRevision);
  }
  if (!exists && setReplicasAnnotations(annotations, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed ? annotations : undefined;
}

/** `history,revision`, dropping the oldest entries to stay within MAX_REVISION_HISTORY_CHARS. */
export function appendRevisionHistory(history: string | undefined, revision: string): string {
  if (!history) return revision;
  const old = history.split(',');
  let total = history.length + revision.length + 1;
  let start = 0;
  while (total > MAX_REVISION_HISTORY_CHARS && start < old.length) total -= (old[start++] as string).length + 1;
  // Kubernetes keeps the history as it was when even the newest revision alone does not fit.
  if (total > MAX_REVISION_HISTORY_CHARS) return history;
  return [...old.slice(start), revision].join(',');
}
