// The resource half of the API: every /api/v1/... and /apis/<group>/<version>/... request
// is resolved into a RequestInfo, authorized, and handed to the handler for its verb.
import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import { ApiError, errors } from '../api/errors.js';
import type { Decision } from './auth/authorize.js';
import type { UserInfo } from './auth/user.js';
import type { ApiContext, RequestContext } from './context.js';
import { createBinding } from './handlers/binding.js';
import { checkBound, checkListOptions, checkReferenced, send } from './handlers/common.js';
import { createObject } from './handlers/create.js';
import { deleteCollection, deleteObject } from './handlers/delete.js';
import { createEviction } from './handlers/eviction.js';
import { serveMetrics } from './handlers/metrics.js';
import { serveReview } from './handlers/reviews.js';
import { apiGroupDoc, apiGroupList, apiResourceList, apiVersions, VERSION_INFO } from './handlers/discovery.js';
import { openApiDocument, openApiIndex, openApiV2 } from './handlers/openapi.js';
import { getObject, listObjects } from './handlers/read.js';
import { serveScale } from './handlers/scale.js';
import { patchObject, updateObject } from './handlers/update.js';
import { watchHttp } from './handlers/watch.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import { METRICS_GROUP } from '../api/metrics/types.js';
import { REVIEW_RESOURCES } from '../api/authorization/types.js';

/** The query string (with or without its "?") as a record, the first value of a repeated parameter winning. */
export function queryOf(search: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (search === '') return out;
  for (const [k, v] of new URLSearchParams(search)) out[k] ??= v;
  return out;
}

/** A request as the API handlers see it: the raw path (still percent-encoded), its query, and who asks. */
export interface ApiRequest {
  req: Request;
  res: Response;
  path: string;
  query: Record<string, string | undefined>;
  user: UserInfo;
}

function notFoundPath(path: string): never {
  throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${path})`, {});
}

/** Discovery and /version: answered for any authenticated user the authorizer lets through. */
function serveNonResource(ctx: ApiContext, info: RequestInfo, req: Request, res: Response, user: UserInfo): void {
  const decision = ctx.authorize(user, info);
  if (!decision.allowed) throw errors.forbidden(user.name, 'get', info.path, undefined, undefined, decision.reason);
  const p = info.path.replace(/\/+$/, '') || '/';
  const parts = p.split('/').filter(Boolean);
  let doc: unknown;
  if (p === '/version') doc = VERSION_INFO;
  else if (p === '/api') doc = apiVersions(`${req.socket.localAddress ?? ''}:${req.socket.localPort ?? ''}`);
  else if (parts[0] === 'api' && parts.length === 2) doc = apiResourceList('', parts[1]);
  else if (p === '/apis') doc = apiGroupList();
  else if (parts[0] === 'apis' && parts.length === 2) doc = apiGroupDoc(parts[1]);
  else if (parts[0] === 'apis' && parts.length === 3) doc = apiResourceList(parts[1], parts[2]);
  else if (p === '/openapi/v2') {
    const v2 = openApiV2(req.headers.accept);
    res.writeHead(200, { 'Content-Type': v2.contentType, 'Content-Length': v2.body.length }).end(v2.body);
    return;
  } else if (p === '/openapi/v3') doc = openApiIndex();
  else if (p.startsWith('/openapi/v3/')) {
    const json = openApiDocument(p.slice('/openapi/v3/'.length));
    if (json === undefined) notFoundPath(p);
    send(res, 200, undefined, undefined, json);
    return;
  }
  if (doc === undefined) notFoundPath(p);
  send(res, 200, doc);
}

/** The verbs of the resource API (kube's RequestInfo verbs); any other method is 405. */
const REST_VERBS = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']);
/** Subresources this handler serves, for the kinds whose registry entry lists them. */
const SERVED_SUBRESOURCES = new Set(['status', 'binding', 'scale', 'finalize', 'eviction']);

export function restHandler(ctx: ApiContext) {
  return async ({ req, res, path, query, user }: ApiRequest): Promise<void> => {
    const method = req.method ?? 'GET';
    const info = parseRequestInfo(method, path, query);
    if (!info.isResourceRequest) {
      if (method !== 'GET' && method !== 'HEAD') throw errors.methodNotAllowed(`${method} is not supported on ${path}`);
      serveNonResource(ctx, info, req, res, user);
      return;
    }
    const resource = info.resourceInfo;
    const sub = info.subresource;
    // Kubernetes authorizes before it routes: whoever may not do a thing learns nothing of what
    // is served (403 before 404 or 405). A create of an object is authorized once its body is
    // read, with the body's name: a node may create only its own Node.
    let decision: Decision = { allowed: true };
    if (!(info.verb === 'create' && sub === undefined && resource)) {
      decision = ctx.authorize(user, info, query.fieldSelector);
      if (!decision.allowed) {
        const plural = resource?.plural ?? info.resource ?? '';
        throw errors.forbidden(user.name, info.verb, sub ? `${plural}/${sub}` : plural, info.name, info.apiGroup || undefined, decision.reason);
      }
    }
    if (!resource) notFoundPath(path);
    // The subresources served here, of the kinds that have them (pods/x/log and nodes/x/proxy/...
    // are the kubelet routes'); nothing below a subresource.
    if (sub !== undefined && !(SERVED_SUBRESOURCES.has(sub) && resource.subresources.includes(sub))) {
      // A node allowed a subresource of its own pods only (pods/eviction) learns nothing of another node's.
      if (decision.boundToNode !== undefined && info.name !== undefined) {
        checkBound({ info, resource, user, decision, query, warnings: [] }, await ctx.store.get(ctx.keys.objectKey(resource, info.namespace, info.name)));
      }
      notFoundPath(path);
    }
    if (info.rest !== undefined) notFoundPath(path);
    // namespaces/<n>/finalize takes a PUT and nothing else (kube's FinalizeREST is an Updater only).
    if (sub === 'finalize' && info.verb !== 'update') throw errors.methodNotAllowed(`${method} is not supported on ${resource.plural}/${sub}`);
    // A path that exists, with a method it does not take.
    if (!REST_VERBS.has(info.verb)) throw errors.methodNotAllowed(`${method} is not supported on ${path}`);
    if (sub === undefined && !resource.verbs.includes(info.verb)) {
      throw errors.methodNotAllowed(`${method} is not supported on ${info.name === undefined ? `the ${resource.plural} collection` : resource.plural}`);
    }
    if (info.name === undefined && (info.verb === 'update' || info.verb === 'patch')) {
      throw errors.methodNotAllowed(`${method} is not supported on the ${resource.plural} collection`);
    }
    if (resource.namespaced && info.namespace === undefined && !['list', 'watch'].includes(info.verb)) notFoundPath(path);
    if (!resource.namespaced && info.namespace !== undefined && resource.plural !== 'namespaces') notFoundPath(path);
    const rc: RequestContext = { info, resource, user, decision, query, warnings: [], accept: req.headers.accept };
    if (info.verb === 'list' || info.verb === 'watch' || info.verb === 'deletecollection') checkListOptions(info, query);
    if (sub === 'binding') {
      if (info.verb !== 'create' || resource.plural !== 'pods') throw errors.methodNotAllowed(`${method} is not supported on pods/binding`);
      return createBinding(ctx, rc, req, res);
    }
    if (sub === 'eviction') {
      if (info.verb !== 'create') throw errors.methodNotAllowed(`${method} is not supported on pods/eviction`);
      return createEviction(ctx, rc, req, res);
    }
    // metrics.k8s.io is computed from the kubelets, never stored (handlers/metrics.ts).
    if (resource.group === METRICS_GROUP) {
      if (!ctx.metrics) throw new ApiError(503, 'ServiceUnavailable', 'the metrics API reaches no kubelet from this server');
      return serveMetrics(ctx, ctx.metrics, rc, res);
    }
    // The access and identity reviews are answered, never stored (handlers/reviews.ts).
    if (REVIEW_RESOURCES.includes(resource)) return serveReview(ctx, rc, req, res);
    await checkReferenced(ctx, rc);
    if (sub === 'scale') return serveScale(ctx, rc, req, res);
    switch (info.verb) {
      case 'get':
        return getObject(ctx, rc, res);
      case 'list':
        return listObjects(ctx, rc, res);
      case 'watch':
        return watchHttp(ctx, rc, res);
      case 'create':
        if (sub !== undefined) throw errors.methodNotAllowed(`POST is not supported on ${resource.plural}/${sub}`);
        return createObject(ctx, rc, req, res);
      case 'update':
        return updateObject(ctx, rc, req, res);
      case 'patch':
        return patchObject(ctx, rc, req, res);
      case 'delete':
        return deleteObject(ctx, rc, req, res);
      case 'deletecollection':
        if (sub !== undefined || !resource.verbs.includes('deletecollection')) throw errors.methodNotAllowed(`DELETE is not supported on the ${resource.plural} collection`);
        return deleteCollection(ctx, rc, req, res);
      default:
        throw errors.methodNotAllowed(`${method} is not supported on ${path}`);
    }
  };
}
