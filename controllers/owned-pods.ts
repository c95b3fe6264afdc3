// What every controller of pods does alike (the ReplicaSet, DaemonSet and Job controllers): the pod
// made from the owner's template;
// informer's events turned into owner keys, as replica_set.go's and daemon_controller.go's
// addPod/updatePod/deletePod (a pod with a controllerRef wakes that owner and counts toward its
// expectations; an orphan wakes every owner whose selector matches it, which may adopt it; a
// pod going away counts as deleted at its deletionTimestamp already); the deletes of one sync
// with their events and expectations; and the status write retried once on a conflict.
import { isApiError } from '../api/errors.js';
import type { LabelSelectorMatcher } from '../api/selectors/labels.js';
import type { PodTemplateSpec } from '../api/types/apps.js';
import type { ObjectReference, Pod } from '../api/types/core.js';
import type { KubeObject } from '../api/types/meta.js';
import type { EventRecorder } from '../client/event-recorder.js';
import { objectKey, type Informer } from '../client/informer.js';
import type { ResourceClient } from '../client/rest.js';
import { controllerRefOf, newControllerRef, type OwnerKind } from './controller-ref.js';
import type { ControllerExpectations } from './expectations.js';
import { labelsChanged, ownersMatching, resolveControllerRef } from './owners.js';

export interface OwnedPodsOptions<O extends KubeObject> {
  kind: OwnerKind;
  owners: Informer<O>;
  selectorOf(owner: O): LabelSelectorMatcher | undefined;
  expectations: ControllerExpectations;
  enqueue(owner: O): void;
}

/** The pod an owner's `template` describes, named `<generateName><5 chars>`, controlled by the owner (GetPodFromTemplate). */
export function podFromTemplate(owner: KubeObject, kind: OwnerKind, template: PodTemplateSpec | undefined, generateName = `${owner.metadata.name ?? ''}-`): Pod {
  const t = template ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace: owner.metadata.namespace,
      labels: { ...t.metadata?.labels },
      ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ...(t.metadata?.finalizers ? { finalizers: [...t.metadata.finalizers] } : {}),
      ownerReferences: [newControllerRef(owner, kind)],
    },
    spec: structuredClone(t.spec ?? { containers: [] }),
  };
}

/** Adds the pod handlers to `pods`. */
export function watchOwnedPods<O extends KubeObject>(pods: Informer<Pod>, o: OwnedPodsOptions<O>): void {
  const resolve = (pod: Pod) => resolveControllerRef(pod, o.kind, o.owners);
  const matching = (pod: Pod) => ownersMatching(pod, o.owners, o.selectorOf);
  const deleted = (pod: Pod) => {
    const owner = resolve(pod);
    if (!owner) return;
    o.expectations.deletionObserved(objectKey(owner), objectKey(pod));
    o.enqueue(owner);
  };
  pods.on('add', (pod) => {
    // A restarted controller may first see a pod already on its way out.
    if (pod.metadata.deletionTimestamp) return deleted(pod);
    if (controllerRefOf(pod)) {
      const owner = resolve(pod);
      if (!owner) return;
      o.expectations.creationObserved(objectKey(owner));
      return o.enqueue(owner);
    }
    for (const owner of matching(pod)) o.enqueue(owner);
  });
  pods.on('update', (pod, old) => {
    if (pod.metadata.resourceVersion === old.metadata.resourceVersion) return;
    const relabelled = labelsChanged(pod, old);
    if (pod.metadata.deletionTimestamp) {
      // Graceful deletion: for the owner the pod is gone now, and a replacement may start.
      deleted(pod);
      if (relabelled) deleted(old);
      return;
    }
    const ref = controllerRefOf(pod);
    const oldRef = controllerRefOf(old);
    const refChanged = ref?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const was = resolve(old);
      if (was) o.enqueue(was);
    }
    if (ref) {
      const owner = resolve(pod);
      if (owner) o.enqueue(owner);
      return;
    }
    if (relabelled || refChanged) for (const owner of matching(pod)) o.enqueue(owner);
  });
  pods.on('delete', deleted);
}

export interface DeletePodsOptions {
  pods: ResourceClient<Pod>;
  key: string;
  expectations: ControllerExpectations;
  events: EventRecorder;
  /** The owner, as its events name it. */
  ref: ObjectReference;
}

/**
 * Deletes `victims` (their deletions already expected under `key`) at once, with a
 * SuccessfulDelete or FailedDelete event each; a delete that fails will never show on the
 * watch, so it is counted as seen. Answers the first error (a pod already gone is none).
 */
export async function deleteOwnedPods(victims: readonly Pod[], o: DeletePodsOptions): Promise<unknown> {
  const results = await Promise.allSettled(
    victims.map(async (pod) => {
      const podName = pod.metadata.name ?? '';
      try {
        await o.pods.delete(podName, { namespace: pod.metadata.namespace });
        o.events.event(o.ref, 'Normal', 'SuccessfulDelete', `Deleted pod: ${podName}`);
      } catch (err) {
        o.expectations.deletionObserved(o.key, objectKey(pod));
        if (isApiError(err, 'NotFound')) return;
        o.events.event(o.ref, 'Warning', 'FailedDelete', `Error deleting: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
    }),
  );
  return results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
}

/**
 * PUT /status with `status`; on a conflict once more on a fresh read of the same object (by
 * uid), as updateReplicaSetStatus and storeDaemonSetStatus do. `keep` carries over what the
 * fresh object holds that the controller does not compute.
 */
export async function writeStatusOnce<T extends KubeObject & { status?: S }, S>(
  resource: ResourceClient<T>,
  obj: T,
  status: S,
  keep: (fresh: T, status: S) => S = (_fresh, s) => s,
): Promise<void> {
  try {
    await resource.updateStatus({ ...obj, status });
  } catch (err) {
    if (isApiError(err, 'NotFound')) return;
    if (!isApiError(err, 'Conflict')) throw err;
    const fresh = await resource.get(obj.metadata.name ?? '', { namespace: obj.metadata.namespace });
    if (fresh.metadata.uid !== obj.metadata.uid) return;
    await resource.updateStatus({ ...fresh, status: keep(fresh, status) });
  }
}
