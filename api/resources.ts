// The resources skiff serves: kind <-> plural, group/version, scope, short names, verbs.
// Discovery, REST routing, the client and the CLI all read this one table; each row is
// declared with the rest of its kind in api/kinds/.
import { KINDS } from './kinds/index.js';
import { REVIEW_RESOURCES } from './authorization/types.js';
import { METRICS_RESOURCES } from './metrics/types.js';

export interface ResourceInfo {
  /** "" for the core group */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** lower-case plural, the path segment: "pods" */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
  subresources: string[];
  categories?: string[];
}

/** Every kind's resource row, from its declaration in api/kinds/. */
export const RESOURCES: readonly ResourceInfo[] = KINDS.map((k) => k.resource);

/**
 * Everything the API server serves: the kinds above, stored in etcd, and the resources it
 * computes on each request and never stores (metrics.k8s.io from the kubelets, the access and
 * identity reviews of authorization.k8s.io and authentication.k8s.io). Discovery and
 * request routing read this; what iterates stored kinds (watch caches, OpenAPI, the garbage
 * collector, the namespace controller) reads RESOURCES.
 */
export const SERVED_RESOURCES: readonly ResourceInfo[] = [...RESOURCES, ...METRICS_RESOURCES, ...REVIEW_RESOURCES];

/** "v1" or "coordination.k8s.io/v1" */
export function apiVersionOf(r: ResourceInfo): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** Finds a resource by plural, singular, kind (any case) or short name, optionally within an API group. */
export function findResource(name: string, group?: string): ResourceInfo | undefined {
  const n = name.toLowerCase();
  return RESOURCES.find(
    (r) =>
      (group === undefined || r.group === group) &&
      (r.plural === n || r.singular === n || r.kind.toLowerCase() === n || r.shortNames.includes(n)),
  );
}

export function resourceForKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

/** The REST path of a collection or object: /api/v1/namespaces/ns/pods[/name[/sub]]. */
export function resourcePath(r: ResourceInfo, opts: { namespace?: string; name?: string; subresource?: string } = {}): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  let p = base;
  if (r.namespaced && opts.namespace) p += `/namespaces/${encodeURIComponent(opts.namespace)}`;
  p += `/${r.plural}`;
  if (opts.name !== undefined) p += `/${encodeURIComponent(opts.name)}`;
  if (opts.subresource) p += `/${opts.subresource}`;
  return p;
}
