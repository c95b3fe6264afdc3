// What a request is about, read from its path and method the way kube-apiserver's
// RequestInfoResolver does: the verb (get/list/watch/create/update/patch/delete/...), the
// API group and version, namespace, resource, name and subresource. Authorization and
// dispatch both work from this one record.
import { errors } from '../api/errors.js';
import { SERVED_RESOURCES, type ResourceInfo } from '../api/resources.js';
import { queryBool } from '../api/query.js';

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  verb: string;
  apiGroup: string;
  apiVersion: string;
  namespace?: string;
  resourceName?: string;
  /** the path segment as written, even when skiff does not serve it */
  resource?: string;
  resourceInfo?: ResourceInfo;
  name?: string;
  subresource?: string;
  /** path segments after the subresource (pods/x/proxy/a/b) */
  rest?: string[];
}


/** group/version/plural -> resource, so every request finds its resource without a scan. */
const BY_PATH = new Map(SERVED_RESOURCES.map((r) => [`${r.group}/${r.version}/${r.plural}`, r]));

function decodeSegment(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    // Go's url.PathUnescape refuses the same: "%ZZ", a lone "%", a truncated UTF-8 sequence.
    throw errors.badRequest(`invalid URL escape in path segment ${JSON.stringify(p.slice(0, 100))}`);
  }
}

function segments(path: string): string[] {
  const parts: string[] = [];
  for (const p of path.split('/')) {
    if (p === '') continue;
    parts.push(p.includes('%') ? decodeSegment(p) : p);
  }
  return parts;
}

export function parseRequestInfo(method: string, path: string, query: Record<string, unknown>): RequestInfo {
  const parts = segments(path);
  const info: RequestInfo = { isResourceRequest: false, path, verb: method.toLowerCase(), apiGroup: '', apiVersion: '' };
  let i: number;
  if (parts[0] === 'api') {
    if (parts.length < 2) return info;
    info.apiVersion = parts[1];
    i = 2;
  } else if (parts[0] === 'apis') {
    if (parts.length < 3) return info;
    info.apiGroup = parts[1];
    info.apiVersion = parts[2];
    i = 3;
  } else {
    return info;
  }
  const rest = parts.slice(i);
  if (rest.length === 0) return info;
  info.isResourceRequest = true;
  // /namespaces/{ns}/{resource}... is namespaced, except /namespaces/{name}[/status] itself.
  if (rest[0] === 'namespaces' && rest.length >= 2) {
    info.namespace = rest[1];
    if (rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') rest.splice(0, 2);
  }
  info.resource = rest[0];
  info.name = rest[1];
  info.subresource = rest[2];
  if (rest.length > 3) info.rest = rest.slice(3);
  info.resourceInfo = BY_PATH.get(`${info.apiGroup}/${info.apiVersion}/${info.resource}`);
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') {
    if (info.name === undefined) info.verb = queryBool(query.watch) ? 'watch' : 'list';
    else info.verb = 'get';
  } else if (m === 'POST') info.verb = 'create';
  else if (m === 'PUT') info.verb = 'update';
  else if (m === 'PATCH') info.verb = 'patch';
  else if (m === 'DELETE') info.verb = info.name === undefined ? 'deletecollection' : 'delete';
  return info;
}
