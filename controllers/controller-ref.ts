// Who controls an object, and claiming the objects of an owner, as kube-controller-manager's
// ControllerRefManager: an owner claims what its controllerRef points at while its selector
// still matches; it adopts orphans its selector matches (a patch adding the ownerReference
// with controller and blockOwnerDeletion, guarded by the object's uid, and only after a fresh
// read of the owner shows the same uid and no deletionTimestamp, so a stale or deleted owner
// never adopts); it releases what it owns but no longer matches (a patch removing the
// reference); it never touches what another controller owns. Generic over the claimed kind:
// a ReplicaSet claims Pods, a Deployment claims ReplicaSets.
import { isApiError } from '../api/errors.js';
import type { LabelSelectorMatcher } from '../api/selectors/labels.js';
import type { KubeObject, OwnerReference } from '../api/types/meta.js';
import type { ResourceClient } from '../client/rest.js';

/** The controlling ownerReference of an object, if any. */
export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

export interface OwnerKind {
  apiVersion: string;
  kind: string;
}

/** The ownerReference a controller puts on what it creates or adopts. */
export function newControllerRef(owner: KubeObject, kind: OwnerKind): OwnerReference {
  return { apiVersion: kind.apiVersion, kind: kind.kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/**
 * RecheckDeletionTimestamp: the check before the first adoption, on a fresh read of the owner
 * (not the cache): the object of that name must still be the same one, and not going away.
 */
export async function recheckOwner(owner: KubeObject, kind: OwnerKind, readFresh: () => Promise<KubeObject>): Promise<void> {
  const fresh = await readFresh();
  const name = `${kind.kind} ${owner.metadata.namespace ?? ''}/${owner.metadata.name ?? ''}`;
  if (fresh.metadata.uid !== owner.metadata.uid) {
    throw new Error(`original ${name} is gone: got uid ${fresh.metadata.uid ?? ''}, wanted ${owner.metadata.uid ?? ''}`);
  }
  if (fresh.metadata.deletionTimestamp) throw new Error(`${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
}

export interface ClaimOptions<T extends KubeObject> {
  owner: KubeObject;
  ownerKind: OwnerKind;
  selector: LabelSelectorMatcher;
  /** Where the adoption and release patches go. */
  resource: ResourceClient<T>;
  /** Called once, before the first adoption; throws when the owner may not adopt. */
  canAdopt(): Promise<void>;
}

export interface ClaimResult<T> {
  claimed: T[];
  /** Adoptions or releases that failed; the caller retries the sync. */
  errors: unknown[];
}

/** Claims `objects` (the candidates of the owner's namespace) for the owner. */
export async function claimObjects<T extends KubeObject>(objects: readonly T[], o: ClaimOptions<T>): Promise<ClaimResult<T>> {
  const ownerUid = o.owner.metadata.uid;
  const ownerDeleting = o.owner.metadata.deletionTimestamp !== undefined;
  let adoptable: Promise<void> | undefined;
  const errors: unknown[] = [];
  // Most objects need no request (claimOne answers at once); only orphans and strays are patched.
  const settled = await Promise.all(
    objects.map(async (obj) => {
      try {
        return await claimOne(obj);
      } catch (err) {
        errors.push(err);
        return false;
      }
    }),
  );
  // Answered in the candidates' order, whatever order the patches ended in.
  return { claimed: objects.filter((_, i) => settled[i]), errors };

  function claimOne(obj: T): boolean | Promise<boolean> {
    const ref = controllerRefOf(obj);
    const matches = o.selector.matches(obj.metadata.labels ?? {});
    if (ref) {
      if (ref.uid !== ownerUid) return false; // another controller's
      if (matches) return true;
      // Ours but no longer selected: let it go, unless we are going away ourselves (the
      // garbage collector then deals with it as our dependent).
      if (ownerDeleting) return false;
      return release(obj).then(() => false);
    }
    // An orphan: adopt it when it matches, we are not going away and neither is it.
    if (!matches || ownerDeleting || obj.metadata.deletionTimestamp) return false;
    if (obj.metadata.namespace !== o.owner.metadata.namespace) return false;
    return adopt(obj);
  }

  async function adopt(obj: T): Promise<boolean> {
    adoptable ??= o.canAdopt();
    await adoptable;
    try {
      await o.resource.patch(
        obj.metadata.name ?? '',
        { metadata: { ownerReferences: [newControllerRef(o.owner, o.ownerKind)], uid: obj.metadata.uid } },
        { type: 'strategic', namespace: obj.metadata.namespace },
      );
    } catch (err) {
      // Gone, or replaced by another object of that name: nothing to adopt.
      if (isApiError(err, 'NotFound') || isApiError(err, 'Conflict')) return false;
      throw err;
    }
    return true;
  }

  async function release(obj: T): Promise<void> {
    try {
      await o.resource.patch(
        obj.metadata.name ?? '',
        { metadata: { ownerReferences: [{ $patch: 'delete', uid: ownerUid }], uid: obj.metadata.uid } },
        { type: 'strategic', namespace: obj.metadata.namespace },
      );
    } catch (err) {
      // Gone or replaced meanwhile: it is not ours any more either way.
      if (isApiError(err, 'NotFound') || isApiError(err, 'Conflict') || isApiError(err, 'Invalid')) return;
      throw err;
    }
  }
}
