// The NamespaceLifecycle admission plugin (plugin/pkg/admission/namespace/lifecycle): nothing
// new is made in a namespace that does not exist (404) or is being terminated (403, with the
// cause NamespaceTerminating), and the namespaces the cluster needs may not be deleted. The
// watch cache answers the lookups, except for a namespace deleted a moment ago.
import { ApiError, errors } from '../api/errors.js';
import { isTerminating } from '../api/kinds/namespace.js';
import { findResource } from '../api/resources.js';
import type { Namespace } from '../api/types/core.js';
import { cacheFor, type ApiContext, type RequestContext } from './context.js';

/** Kubernetes' immortal namespaces. */
const IMMORTAL_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public']);

/**
 * For this long after a DELETE of a namespace, creates in it read the namespace from etcd, not
 * the watch cache, which may not have seen it turn Terminating yet (kube's forceLiveLookupTTL).
 */
const FORCE_LIVE_LOOKUP_MS = 30_000;
/** Per API server: namespace name -> until when its lookups go to etcd. */
const liveLookups = new WeakMap<ApiContext, Map<string, number>>();

function mustLookUpLive(ctx: ApiContext, namespace: string): boolean {
  const until = liveLookups.get(ctx)?.get(namespace);
  if (until === undefined) return false;
  if (until > Date.now()) return true;
  liveLookups.get(ctx)?.delete(namespace);
  return false;
}

/** What a create is about, for the message: kube names the object (or its generateName). */
export interface CreateTarget {
  resource: string;
  group?: string;
  name?: string;
}

/**
 * A create in `namespace`: it must exist and not be ending. The watch cache answers nearly
 * always; a namespace made a moment ago, or deleted a moment ago, is read from etcd.
 */
export async function requireNamespace(ctx: ApiContext, namespace: string, target: CreateTarget): Promise<void> {
  const nsResource = findResource('namespaces', '');
  if (!nsResource) return;
  const key = ctx.keys.objectKey(nsResource, undefined, namespace);
  const cached = mustLookUpLive(ctx, namespace) ? undefined : cacheFor(ctx, nsResource).get(key);
  const ns = (cached ?? (await ctx.store.get(key))) as Namespace | undefined;
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

/**
 * A DELETE of one of the namespaces the cluster needs is refused before anything is read; for
 * any other namespace, creates in it look it up live for a while.
 */
export function admitNamespaceDelete(ctx: ApiContext, rc: RequestContext): void {
  if (rc.resource.plural !== 'namespaces' || rc.resource.group !== '') return;
  const name = rc.info.name ?? '';
  if (IMMORTAL_NAMESPACES.has(name)) {
    throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
  }
  let live = liveLookups.get(ctx);
  if (!live) liveLookups.set(ctx, (live = new Map()));
  live.set(name, Date.now() + FORCE_LIVE_LOOKUP_MS);
}
