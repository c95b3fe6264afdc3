// The NamespaceLifecycle admission plugin (plugin/pkg/admission/namespace/lifecycle): nothing
// new is made in a namespace that does not exist (404) or is being terminated (403, with the
// cause NamespaceTerminating), and the namespaces the cluster needs may not be deleted.
import { ApiError, errors } from '../api/errors.js';
import { isTerminating } from '../api/kinds/namespace.js';
import { findResource } from '../api/resources.js';
import type { Namespace } from '../api/types/core.js';
import { cacheFor, type ApiContext, type RequestContext } from './context.js';

/** Kubernetes' immortal namespaces. */
const IMMORTAL_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public']);

/** What a create is about, for the message: kube names the object (or its generateName). */
export interface CreateTarget {
  resource: string;
  group?: string;
  name?: string;
}

/**
 * A create in `namespace`: it must exist and not be ending. The watch cache answers nearly
 * always; a namespace made or marked a moment ago is read from etcd when the cache lacks it.
 */
export async function requireNamespace(ctx: ApiContext, namespace: string, target: CreateTarget): Promise<void> {
  const nsResource = findResource('namespaces', '');
  if (!nsResource) return;
  const key = ctx.keys.objectKey(nsResource, undefined, namespace);
  const ns = (cacheFor(ctx, nsResource).get(key) ?? (await ctx.store.get(key))) as Namespace | undefined;
  if (!ns) throw errors.notFound('namespaces', namespace);
  if (!isTerminating(ns)) return;
  const qualified = target.group ? `${target.resource}.${target.group}` : target.resource;
  const name = target.name || 'Unknown';
  throw new ApiError(403, 'Forbidden', `${qualified} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
    name,
    group: target.group,
    kind: target.resource,
    causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
  });
}

/** A DELETE of one of the namespaces the cluster needs is refused before anything is read. */
export function admitNamespaceDelete(rc: RequestContext): void {
  if (rc.resource.plural !== 'namespaces' || rc.resource.group !== '') return;
  const name = rc.info.name ?? '';
  if (IMMORTAL_NAMESPACES.has(name)) {
    throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
  }
}
