// The Deployment's new ReplicaSet and the revision bookkeeping (Kubernetes' getNewReplicaSet):
// the existing one gets the Deployment's annotations and the next revision, and the Deployment
// the revision of its new ReplicaSet; a missing one is made, named `<deployment>-<hash>`, with
// the pod-template-hash in its selector and template labels, at the size the rollout allows.
import type { OwnerReference } from '../../api/types/meta.js';
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import { newReplicaSetAnnotations } from './annotations.js';
import { getCondition, newCondition, PROGRESSING, REASON, setCondition } from './conditions.js';
import { isRollingUpdate, maxSurge, replicasOf } from './fenceposts.js';
import { podTemplateHash } from './hash.js';
import { findNewReplicaSet, maxRevision, POD_TEMPLATE_HASH_LABEL, replicaCount, REVISION_ANNOTATION, specReplicas } from './replica-sets.js';
import type { WorkingSet } from './working-set.js';

/** progressDeadlineSeconds is set and is not "never" (MaxInt32). */
export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec.progressDeadlineSeconds;
  return s !== undefined && s !== 2147483647;
}

/** The size a new ReplicaSet may grow to now (NewRSNewReplicas). */
export function newReplicaSetReplicas(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const current = replicaCount(allRSs);
  const maxTotal = replicasOf(d) + maxSurge(d);
  if (current >= maxTotal) return specReplicas(newRS);
  return specReplicas(newRS) + Math.min(maxTotal - current, replicasOf(d) - specReplicas(newRS));
}

export function controllerRef(d: Deployment): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name ?? '', uid: d.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** SetDeploymentRevision, in place. */
function setDeploymentRevision(d: Deployment, revision: string | undefined): void {
  if (revision === undefined || d.metadata.annotations?.[REVISION_ANNOTATION] === revision) return;
  d.metadata.annotations = { ...(d.metadata.annotations ?? {}), [REVISION_ANNOTATION]: revision };
}

/** The ReplicaSet a Deployment would make for its template now (before sizing and annotations). */
export function replicaSetFor(d: Deployment): ReplicaSet {
  const hash = podTemplateHash(d.spec.template, d.status?.collisionCount);
  const labels = { ...(d.spec.template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  const template = { ...d.spec.template, metadata: { ...(d.spec.template.metadata ?? {}), labels } };
  const selector = { ...d.spec.selector, matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: `${d.metadata.name ?? ''}-${hash}`, namespace: d.metadata.namespace, ownerReferences: [controllerRef(d)], labels },
    spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
  };
}

/**
 * Finds (and brings up to date) or, with `create`, plans the new ReplicaSet. The working
 * Deployment's revision annotation and Progressing condition change in place.
 */
export function syncNewReplicaSet(ws: WorkingSet, oldRSs: readonly ReplicaSet[], create: boolean, now: string): ReplicaSet | undefined {
  const d = ws.deployment;
  d.status ??= {};
  const newRevision = maxRevision(oldRSs) + 1;
  const existing = findNewReplicaSet(d, ws.all());
  if (existing) {
    const annotations = newReplicaSetAnnotations(d, existing, newRevision, true);
    const minReady = d.spec.minReadySeconds ?? 0;
    let rs = existing;
    if (annotations || (existing.spec.minReadySeconds ?? 0) !== minReady) {
      rs = ws.change({ ...existing, metadata: { ...existing.metadata, annotations: annotations ?? existing.metadata.annotations }, spec: { ...existing.spec, minReadySeconds: minReady } });
    }
    setDeploymentRevision(d, rs.metadata.annotations?.[REVISION_ANNOTATION]);
    if (hasProgressDeadline(d) && !getCondition(d.status, PROGRESSING)) {
      setCondition(d.status, newCondition(PROGRESSING, 'True', REASON.foundNewReplicaSet, `Found new replica set "${rs.metadata.name ?? ''}"`, now));
    }
    return rs;
  }
  if (!create) return undefined;
  const fresh = replicaSetFor(d);
  fresh.spec.replicas = newReplicaSetReplicas(d, [...oldRSs, fresh], fresh);
  fresh.metadata.annotations = newReplicaSetAnnotations(d, fresh, newRevision, false) ?? {};
  const created = ws.create(fresh);
  const size = specReplicas(created);
  if (size > 0) ws.events.push({ type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${created.metadata.name ?? ''} to ${size}` });
  setDeploymentRevision(d, String(newRevision));
  if (hasProgressDeadline(d)) {
    setCondition(d.status, newCondition(PROGRESSING, 'True', REASON.newReplicaSetCreated, `Created new replica set "${created.metadata.name ?? ''}"`, now));
  }
  return created;
}
