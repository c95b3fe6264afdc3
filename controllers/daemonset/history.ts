// A DaemonSet's revisions, as kube-controller-manager's daemon/update.go (constructHistory,
// snapshot, cleanupHistory): each template it has had is a ControllerRevision named
// `<daemonset>-<hash>` whose data is the patch that puts that template back
// ({"spec":{"template":{..., "$patch":"replace"}}}, what `kubectl rollout undo` sends), labelled
// with the controller-revision-hash its pods carry. The revision matching the current template
// is the current one and gets the highest number; the others are old, and the oldest of those
// no live pod uses are deleted beyond revisionHistoryLimit.
import type { ControllerRevision, DaemonSet } from '../../api/types/apps.js';
import type { Pod } from '../../api/types/core.js';
import { canonicalJson, podTemplateHash } from '../deployment/hash.js';
import { withoutZeroValues } from '../deployment/replica-sets.js';
import { newControllerRef } from '../controller-ref.js';
import { CONTROLLER_REVISION_HASH, DAEMON_SET_KIND } from './util.js';

/** getPatch: the revision's data for the DaemonSet's current template. */
export function revisionData(ds: DaemonSet): { spec: { template: Record<string, unknown> } } {
  return { spec: { template: { ...structuredClone(ds.spec.template), $patch: 'replace' } } };
}

function semantic(v: unknown): string {
  return canonicalJson(withoutZeroValues(v) ?? {});
}

/** Match: the revision holds the DaemonSet's template (compared as Go's semantic equality would). */
export function matchesRevision(ds: DaemonSet, rev: ControllerRevision): boolean {
  return semantic(rev.data) === semantic(revisionData(ds));
}

/** ControllerRevisionName: the prefix cut so the name stays within 253 characters. */
export function revisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

/** The ControllerRevision snapshot() creates for the current template. */
export function newRevision(ds: DaemonSet, revision: number): ControllerRevision {
  const hash = podTemplateHash(ds.spec.template, ds.status?.collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: revisionName(ds.metadata.name ?? '', hash),
      namespace: ds.metadata.namespace,
      labels: { ...ds.spec.template.metadata?.labels, [CONTROLLER_REVISION_HASH]: hash },
      // As Kubernetes: the DaemonSet's annotations (kubernetes.io/change-cause for rollout history).
      ...(ds.metadata.annotations ? { annotations: { ...ds.metadata.annotations } } : {}),
      ownerReferences: [newControllerRef(ds, DAEMON_SET_KIND)],
    },
    data: revisionData(ds),
    revision,
  };
}

export interface HistoryPlan {
  /** The revision of the current template, when one exists; otherwise `create` is to be made. */
  current?: ControllerRevision;
  /** The number the current revision must have (one above every old one). */
  revision: number;
  /** Revisions that also hold the current template (a lost race): deleted, the highest kept. */
  duplicates: ControllerRevision[];
  old: ControllerRevision[];
}

/** constructHistory's split of the DaemonSet's own revisions. */
export function planHistory(ds: DaemonSet, revisions: readonly ControllerRevision[]): HistoryPlan {
  const current: ControllerRevision[] = [];
  const old: ControllerRevision[] = [];
  for (const r of revisions) (matchesRevision(ds, r) ? current : old).push(r);
  const revision = Math.max(0, ...old.map((r) => r.revision)) + 1;
  current.sort((a, b) => b.revision - a.revision);
  return { current: current[0], revision, duplicates: current.slice(1), old };
}

/** cleanupHistory: the oldest old revisions beyond revisionHistoryLimit that no live pod uses. */
export function revisionsToDelete(ds: DaemonSet, old: readonly ControllerRevision[], pods: readonly Pod[]): ControllerRevision[] {
  let toKill = old.length - (ds.spec.revisionHistoryLimit ?? 10);
  if (toKill <= 0) return [];
  const live = new Set(pods.map((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH]).filter((h) => h));
  const out: ControllerRevision[] = [];
  for (const r of [...old].sort((a, b) => a.revision - b.revision)) {
    if (toKill <= 0) break;
    if (live.has(r.metadata.labels?.[CONTROLLER_REVISION_HASH])) continue;
    out.push(r);
    toKill--;
  }
  return out;
}
