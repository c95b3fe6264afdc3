// Kubernetes' OwnerReferencesPermissionEnforcement admission: ownerReferences steer the garbage
// collector, so changing them on an existing object takes the right to delete that object, and
// setting blockOwnerDeletion (which holds an owner in foreground deletion) takes the right to
// update the owner's finalizers (`<owner resource>/finalizers`). A create may set references
// freely (its writer could have not made the object at all), but not blocking ones.
import { ApiError } from '../api/errors.js';
import { resourceForKind } from '../api/resources.js';
import type { KubeObject, OwnerReference } from '../api/types/meta.js';
import type { ApiContext, RequestContext } from './context.js';

function forbidden(rc: RequestContext, name: string | undefined, message: string): ApiError {
  const r = rc.resource;
  const qualified = r.group ? `${r.plural}.${r.group}` : r.plural;
  return new ApiError(403, 'Forbidden', `${qualified}${name ? ` "${name}"` : ''} is forbidden: ${message}`, { name, group: r.group || undefined, kind: r.plural });
}

/** Blocking references that are new, or that did not block before. */
function newBlockingReferences(refs: readonly OwnerReference[], old: readonly OwnerReference[] | undefined): OwnerReference[] {
  const before = new Map((old ?? []).map((r) => [r.uid, r]));
  return refs.filter((r) => r.blockOwnerDeletion === true && before.get(r.uid)?.blockOwnerDeletion !== true);
}

/** Throws 403 when this user may not write these ownerReferences; `old` is the stored object of an update. */
export function admitOwnerReferences(ctx: ApiContext, rc: RequestContext, obj: KubeObject, old?: KubeObject): void {
  // Kubernetes' one exception: the kubelet's pods/status writes.
  if (rc.resource.plural === 'pods' && rc.resource.group === '' && rc.info.subresource === 'status') return;
  const refs = obj.metadata?.ownerReferences ?? [];
  const oldRefs = old?.metadata.ownerReferences;
  if (JSON.stringify(refs) === JSON.stringify(oldRefs ?? [])) return;
  const name = obj.metadata?.name;
  if (old) {
    const d = ctx.authorize(rc.user, { ...rc.info, verb: 'delete' }, undefined, name);
    if (!d.allowed) throw forbidden(rc, name, `cannot set an ownerRef on a resource you can't delete: ${d.reason ?? ''}, <nil>`);
  }
  for (const ref of newBlockingReferences(refs, oldRefs)) {
    const owner = resourceForKind(ref.apiVersion, ref.kind);
    if (!owner) {
      throw forbidden(rc, name, `cannot set blockOwnerDeletion in this case because cannot find RESTMapping for APIVersion ${ref.apiVersion} Kind ${ref.kind}: no matches for kind "${ref.kind}" in version "${ref.apiVersion}"`);
    }
    const d = ctx.authorize(
      rc.user,
      {
        isResourceRequest: true,
        path: '',
        verb: 'update',
        apiGroup: owner.group,
        apiVersion: owner.version,
        namespace: owner.namespaced ? rc.info.namespace : undefined,
        resource: owner.plural,
        resourceInfo: owner,
        name: ref.name,
        subresource: 'finalizers',
      },
      undefined,
      ref.name,
    );
    if (!d.allowed) throw forbidden(rc, name, `cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on: ${d.reason ?? ''}, <nil>`);
  }
}
