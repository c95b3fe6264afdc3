// Pieces every REST handler shares: decoding and checking an object body against the path,
// writing answers (with Warning headers), the node-bound check of the authorizer, and the
// fieldValidation parameter.
import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import type { OutgoingHttpHeaders } from 'node:http';
import { errors } from '../../api/errors.js';
import { apiVersionOf, resourceForKind, RESOURCES } from '../../api/resources.js';
import type { Pod } from '../../api/types/core.js';
import type { KubeObject } from '../../api/types/meta.js';
import type { FieldValidation } from '../admission.js';
import { schemaCauses } from '../../api/validation/schema.js';
import { validateListOptions } from '../../api/validation/options.js';
import type { RequestInfo } from '../request-info.js';
import { admitOwnNode } from '../auth/node-restriction.js';
import { noRelationship, podsReference } from '../auth/node-references.js';
import { nodeNameOf } from '../auth/user.js';
import { bodyFormat, decodeBody, readBody, type BodyFormat } from '../body.js';
import type { ApiContext, RequestContext } from '../context.js';
import type { ObjectRef, StoredVersion } from '../storage/etcd-store.js';
import { jsonOf } from '../storage/serialized.js';

/** Answers an object (its remembered JSON when the store made one) or a prepared JSON string. */
export function send(res: Response, code: number, body: unknown, rc?: RequestContext, json = jsonOf(body)): void {
  const headers: OutgoingHttpHeaders = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) };
  // Header values must be printable ASCII; a field name from a body could be anything.
  if (rc && rc.warnings.length) headers.Warning = rc.warnings.map((w) => `299 - ${JSON.stringify(w).replace(/[^\x20-\x7e]/g, '?')}`);
  res.writeHead(code, headers);
  res.end(json);
}

export function refOf(rc: RequestContext, name?: string): ObjectRef {
  return { resource: rc.resource, name: name ?? rc.info.name ?? '' };
}

export function keyOf(ctx: ApiContext, rc: RequestContext, name = rc.info.name ?? ''): string {
  return ctx.keys.objectKey(rc.resource, rc.info.namespace, name);
}

/** The object under `key` as the watch cache last saw it (stored form): a read-modify-write's first guess. */
export function cachedObject(ctx: ApiContext, rc: RequestContext, key: string): StoredVersion | undefined {
  return ctx.caches.get(rc.resource.plural)?.getStored(key);
}

/**
 * Reads and decodes the body of a POST or PUT (an object) or a PATCH (a patch); the caller
 * checks the shape. Duplicate keys are refused under fieldValidation=Strict and a warning
 * otherwise, as Kubernetes' strict decoder does.
 */
export async function readDecoded(req: Request, rc: RequestContext): Promise<{ body: unknown; format: BodyFormat }> {
  const format = bodyFormat(req.headers['content-type'], rc.info.verb === 'patch' ? 'patch' : 'object');
  const fv = fieldValidation(rc);
  const { body, duplicates } = decodeBody(await readBody(req), format);
  if (duplicates.length > 0) {
    const fields = duplicates.map((f) => `duplicate field "${f}"`);
    if (fv === 'Strict') throw errors.badRequest(`${rc.resource.kind} in version "${apiVersionOf(rc.resource)}" cannot be handled as a ${rc.resource.kind}: strict decoding error: ${fields.join(', ')}`);
    if (fv === 'Warn') rc.warnings.push(...fields);
  }
  return { body, format };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Drops null fields, as Go's decoder turns a JSON null into the zero value: kubectl sends
 * `creationTimestamp: null` and expects it to mean "unset", not "invalid".
 */
export function dropNulls(v: unknown): void {
  if (Array.isArray(v)) {
    for (const x of v) dropNulls(x);
  } else if (isPlainObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) delete v[k];
      else if (typeof v[k] === 'object') dropNulls(v[k]);
    }
  }
}

/**
 * Checks that a decoded body is an object of the path's resource: kind and apiVersion known
 * and matching (missing ones are taken from the path), namespace and name agreeing.
 */
export function checkObjectBody(rc: RequestContext, body: unknown, opts: { kind?: string; apiVersion?: string } = {}): KubeObject {
  const r = rc.resource;
  if (!isPlainObject(body)) throw errors.badRequest(`the request body must be a JSON or YAML object, got ${Array.isArray(body) ? 'an array' : typeof body}`);
  dropNulls(body);
  const wantKind = opts.kind ?? r.kind;
  const wantVersion = opts.apiVersion ?? apiVersionOf(r);
  const kind = body.kind;
  const apiVersion = body.apiVersion;
  if (kind !== undefined && typeof kind !== 'string') throw errors.badRequest('kind must be a string');
  if (apiVersion !== undefined && typeof apiVersion !== 'string') throw errors.badRequest('apiVersion must be a string');
  if (typeof apiVersion === 'string' && typeof kind === 'string' && kind !== wantKind) {
    if (!resourceForKind(apiVersion, kind) && !(kind === 'Binding' && apiVersion === 'v1')) {
      const known = RESOURCES.some((x) => apiVersionOf(x) === apiVersion);
      throw errors.badRequest(known ? `no kind "${kind}" is registered for version "${apiVersion}"` : `no kind "${kind}" is registered for version "${apiVersion}": unknown apiVersion`);
    }
    throw errors.badRequest(`the kind in the body (${kind}) does not match the kind of the path (${wantKind})`);
  }
  if (typeof kind === 'string' && kind !== wantKind) throw errors.badRequest(`the kind in the body (${kind}) does not match the kind of the path (${wantKind})`);
  if (typeof apiVersion === 'string' && apiVersion !== wantVersion) {
    const known = RESOURCES.some((x) => apiVersionOf(x) === apiVersion);
    throw errors.badRequest(
      known
        ? `the API version in the body (${apiVersion}) does not match the API version of the path (${wantVersion})`
        : `no kind "${String(kind ?? wantKind)}" is registered for version "${apiVersion}"`,
    );
  }
  body.kind = wantKind;
  body.apiVersion = wantVersion;
  if (body.metadata === undefined || body.metadata === null) body.metadata = {};
  if (!isPlainObject(body.metadata)) throw errors.badRequest('metadata must be an object');
  // Kubernetes decodes into typed structs before anything reads a field: a value of the wrong
  // type (an `image` that is a number, an int64 of 1e300) is a 422 with its path here, before
  // defaults, strategies or admission look at it.
  const shape = schemaCauses(body, wantKind);
  if (shape.length) throw errors.invalid(wantKind, typeof body.metadata.name === 'string' ? body.metadata.name : '', shape, wantKind === r.kind ? r.group || undefined : undefined);
  const meta = body.metadata as Record<string, unknown>;
  if (rc.resource.namespaced && rc.info.namespace !== undefined && opts.kind === undefined) {
    if (meta.namespace === undefined || meta.namespace === '') meta.namespace = rc.info.namespace;
    else if (meta.namespace !== rc.info.namespace) {
      throw errors.badRequest(`the namespace of the provided object (${String(meta.namespace)}) does not match the namespace sent on the request (${rc.info.namespace})`);
    }
  }
  if (rc.info.name !== undefined && opts.kind === undefined && meta.name !== undefined && meta.name !== rc.info.name) {
    throw errors.badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${rc.info.name})`);
  }
  return body as unknown as KubeObject;
}

/** A node's write or read of a pod must concern a pod bound to that node. */
export function checkBound(rc: RequestContext, obj: KubeObject | undefined | null): void {
  const node = rc.decision.boundToNode;
  if (node === undefined || !obj) return;
  const why = notBoundReason(node, (obj as { spec?: { nodeName?: string } }).spec?.nodeName);
  if (why) throw errors.forbidden(rc.user.name, rc.info.verb, rc.resource.plural, obj.metadata?.name, rc.resource.group || undefined, why);
}

/** Why node may not touch a pod bound to `boundTo` (undefined: unbound or gone), or undefined when it is its own. */
export function notBoundReason(node: string, boundTo: string | undefined): string | undefined {
  return boundTo === node ? undefined : `node "${node}" can only access pods bound to it`;
}

/**
 * A node's get of a ConfigMap or Secret, or its list or watch pinned to one by
 * metadata.name: some pod bound to it, in that namespace, must name
 * the object (decided before the object is read, so an unrelated name is 403 whether it
 * exists or not, as in Kubernetes).
 */
export async function checkReferenced(ctx: ApiContext, rc: RequestContext): Promise<void> {
  const node = rc.decision.referencedByNode;
  if (node === undefined) return;
  const name = rc.decision.referencedName ?? rc.info.name ?? '';
  const why = await notReferencedReason(ctx, node, rc.resource.plural, rc.info.namespace, name);
  if (why) throw errors.forbidden(rc.user.name, rc.info.verb, rc.resource.plural, name, rc.resource.group || undefined, why);
}

/** Why node may not read the ConfigMap or Secret `name` of `namespace` (no pod bound to it there names it), or undefined. */
export async function notReferencedReason(ctx: ApiContext, node: string, plural: string, namespace: string | undefined, name: string): Promise<string | undefined> {
  const pods = resourceForKind('v1', 'Pod');
  if (pods && (plural === 'configmaps' || plural === 'secrets')) {
    const { items } = await ctx.store.list(ctx.keys.collectionPrefix(pods, namespace));
    if (podsReference(items as Pod[], node, plural, name)) return undefined;
  }
  return noRelationship(node);
}

/** NodeRestriction: a kubelet writing its own Node may not touch restricted labels or taints. */
export function admitNodeWrite(rc: RequestContext, next: KubeObject, old?: KubeObject): void {
  if (rc.resource.plural !== 'nodes' || rc.resource.group !== '') return;
  const node = nodeNameOf(rc.user);
  if (node !== undefined) admitOwnNode(rc.user.name, node, next, old);
}

export function fieldValidation(rc: RequestContext): FieldValidation {
  const v = rc.query.fieldValidation;
  if (v === undefined || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw errors.badRequest(`fieldValidation must be one of Strict, Warn, Ignore (got "${v}")`);
}

/** `dryRun=All`: everything a write does (defaults, validation, admission) but the write. */
export function isDryRun(rc: RequestContext): boolean {
  const v = rc.query.dryRun;
  if (v === undefined || v === '') return false;
  if (v === 'All') return true;
  throw errors.badRequest(`Invalid dry run value: "${v}" (supported: All)`);
}

/** An int64 query parameter (limit, gracePeriodSeconds, timeoutSeconds): anything else is 400, as Go's strconv.ParseInt says. */
export function intParam(rc: RequestContext, name: string): number | undefined {
  const v = rc.query[name];
  if (v === undefined || v === '') return undefined;
  return parseInt64Param(name, v);
}

const INT64_RANGE = [-(2n ** 63n), 2n ** 63n - 1n] as const;

export function parseInt64Param(name: string, v: string): number {
  const n = /^[-+]?\d{1,19}$/.test(v) ? BigInt(v) : undefined;
  if (n === undefined || n < INT64_RANGE[0] || n > INT64_RANGE[1]) throw errors.badRequest(`${name} must be a 64-bit integer (got "${v.slice(0, 40)}")`);
  return Number(n);
}

/** The list/watch/deletecollection parameters with rules of their own: 422 Invalid of kind ListOptions, as Kubernetes answers. */
export function checkListOptions(info: RequestInfo, query: Record<string, string | undefined>): void {
  const causes = validateListOptions({
    resourceVersion: query.resourceVersion,
    resourceVersionMatch: query.resourceVersionMatch,
    continue: query.continue,
    watch: info.verb === 'watch',
  });
  if (causes.length) throw errors.invalid('ListOptions', '', causes, 'meta.k8s.io');
}
