// DELETE of one object. A pod bound to a node goes gracefully: deletionTimestamp and
// deletionGracePeriodSeconds are set and the kubelet, once its containers are stopped,
// deletes again with gracePeriodSeconds=0. Unbound or finished pods, and everything else,
// go at once — unless finalizers hold them, in which case they wait, marked, until an
// update removes the last one. Deleting a namespace removes everything in it.
import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import { errors, isApiError } from '../../api/errors.js';
import { kindDefinition } from '../../api/kinds/index.js';
import { apiVersionOf, RESOURCES } from '../../api/resources.js';
import type { DeleteOptions, KubeObject } from '../../api/types/meta.js';
import { validateDeleteOptions } from '../../api/validation/options.js';
import { bodyFormat, decodeBody, readBody } from '../body.js';
import type { ApiContext, RequestContext } from '../context.js';
import { selectionPredicate } from '../selectors.js';
import { DELETE, type UpdateResult } from '../storage/etcd-store.js';
import { secondsAfter, timestamp } from '../strategy.js';
import { checkBound, intParam, keyOf, refOf, send } from './common.js';
import { queryBool } from '../../api/query.js';
import { deletionFinalizers } from '../../api/garbage-collection.js';

const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

/** The DeleteOptions of the query (gracePeriodSeconds, propagationPolicy, orphanDependents, dryRun). */
function queryDeleteOptions(rc: RequestContext): Record<string, unknown> {
  const q = rc.query;
  const out: Record<string, unknown> = {};
  const grace = intParam(rc, 'gracePeriodSeconds');
  if (grace !== undefined) out.gracePeriodSeconds = grace;
  if (q.propagationPolicy) out.propagationPolicy = q.propagationPolicy;
  if (q.orphanDependents !== undefined) out.orphanDependents = queryBool(q.orphanDependents);
  if (q.dryRun) out.dryRun = [q.dryRun];
  return out;
}

/**
 * The DeleteOptions of a DELETE: its body's (kubectl sends them there) over its query's, so
 * `?dryRun=All` holds even beside a body that does not say it. Checked as Kubernetes'
 * ValidateDeleteOptions does (422 Invalid of kind DeleteOptions, with the field).
 */
async function deleteOptions(rc: RequestContext, req: Request): Promise<DeleteOptions> {
  const raw = await readBody(req);
  const opts = queryDeleteOptions(rc);
  if (raw.toString('utf8').trim() !== '') {
    const { body } = decodeBody(raw, bodyFormat(req.headers['content-type']));
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.badRequest('the body of a DELETE must be a DeleteOptions object');
    const { kind, apiVersion, ...fields } = body as Record<string, unknown>;
    if (kind !== undefined && kind !== 'DeleteOptions') throw errors.badRequest(`the body of a DELETE must be a DeleteOptions object, not ${JSON.stringify(kind)}`);
    if (apiVersion !== undefined && !DELETE_OPTIONS_VERSIONS.has(apiVersion)) {
      throw errors.badRequest(`no kind "DeleteOptions" is registered for version ${JSON.stringify(apiVersion)}`);
    }
    for (const [k, v] of Object.entries(fields)) if (v !== null) opts[k] = v;
  }
  const causes = validateDeleteOptions(opts);
  if (causes.length) throw errors.invalid('DeleteOptions', '', causes, 'meta.k8s.io');
  // Kubernetes (1.28+) reads a negative grace period as the shortest one, 1 s.
  if ((opts.gracePeriodSeconds as number) < 0) opts.gracePeriodSeconds = 1;
  return opts as DeleteOptions;
}

const DELETE_OPTIONS_VERSIONS: ReadonlySet<unknown> = new Set(['v1', 'meta.k8s.io/v1']);

const dryRun = (opts: DeleteOptions): boolean => opts.dryRun?.includes('All') ?? false;

/** The grace period this deletion gets: the kind's strategy decides (only bound, running pods wait); others go at once. */
function gracePeriod(rc: RequestContext, obj: KubeObject, opts: DeleteOptions): number {
  return kindDefinition(rc.resource.kind)?.strategy?.gracePeriodSeconds?.(obj, opts.gracePeriodSeconds) ?? 0;
}

function checkPreconditions(rc: RequestContext, obj: KubeObject, opts: DeleteOptions): void {
  const p = opts.preconditions;
  if (!p) return;
  const name = rc.info.name ?? '';
  if (p.uid && p.uid !== obj.metadata.uid) {
    throw errors.conflict(rc.resource.plural, name, `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`, rc.resource.group || undefined);
  }
  if (p.resourceVersion && p.resourceVersion !== obj.metadata.resourceVersion) {
    throw errors.conflict(
      rc.resource.plural,
      name,
      `Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ''}`,
      rc.resource.group || undefined,
    );
  }
}

export function planDeletion(rc: RequestContext, current: KubeObject, opts: DeleteOptions, now = new Date()): UpdateResult {
  checkBound(rc, current);
  checkPreconditions(rc, current, opts);
  const grace = gracePeriod(rc, current, opts);
  const meta = current.metadata;
  // A second graceful delete may shorten the wait, never lengthen it, nor change the propagation.
  if (grace > 0 && meta.deletionTimestamp && (meta.deletionGracePeriodSeconds ?? 0) <= grace) return current;
  // propagationPolicy: the finalizers through which the garbage collector orphans or deletes dependents first.
  const finalizers = deletionFinalizers(meta.finalizers, opts);
  if (finalizers?.length) meta.finalizers = finalizers;
  else if (finalizers) delete meta.finalizers;
  if (grace > 0) {
    meta.deletionTimestamp = timestamp(secondsAfter(now, grace));
    meta.deletionGracePeriodSeconds = grace;
    return current;
  }
  if (meta.finalizers && meta.finalizers.length > 0) {
    meta.deletionTimestamp ??= timestamp(now);
    meta.deletionGracePeriodSeconds = 0;
    return current;
  }
  return DELETE;
}

export async function deleteObject(ctx: ApiContext, rc: RequestContext, req: Request, res: Response): Promise<void> {
  if (rc.info.subresource !== undefined) throw errors.methodNotAllowed(`DELETE is not supported on ${rc.resource.plural}/${rc.info.subresource}`);
  const opts = await deleteOptions(rc, req);
  if (rc.resource.plural === 'namespaces') return deleteNamespace(ctx, rc, res, opts);
  if (dryRun(opts)) {
    send(res, 200, await wouldDelete(ctx, rc, keyOf(ctx, rc), opts), rc);
    return;
  }
  const { object, deleted } = await ctx.store.guaranteedUpdate(keyOf(ctx, rc), refOf(rc), (cur) => planDeletion(rc, cur, opts));
  // Kubernetes answers 202 to the old orphanDependents=false when the object has to wait.
  send(res, !deleted && opts.orphanDependents === false ? 202 : 200, object, rc);
}

/** A dry run: every check a deletion makes, on the stored object, and the object as the deletion would leave it; nothing written. */
async function wouldDelete(ctx: ApiContext, rc: RequestContext, key: string, opts: DeleteOptions, plan = planDeletion): Promise<KubeObject> {
  const current = await ctx.store.get(key);
  if (!current) throw errors.notFound(rc.resource.plural, rc.info.name ?? '', rc.resource.group || undefined);
  const next = plan(rc, structuredClone(current), opts);
  return next === DELETE ? current : next;
}

/**
 * Kubernetes marks the namespace Terminating and a controller empties it; skiff does both in
 * the request: mark, remove every namespaced object in it, then remove the namespace.
 */
async function deleteNamespace(ctx: ApiContext, rc: RequestContext, res: Response, opts: DeleteOptions): Promise<void> {
  const name = rc.info.name ?? '';
  if (PROTECTED_NAMESPACES.has(name)) {
    throw errors.forbidden(rc.user.name, 'delete', 'namespaces', name, undefined, `this namespace may not be deleted`);
  }
  const key = keyOf(ctx, rc);
  const markTerminating = (r: RequestContext, cur: KubeObject, o: DeleteOptions): KubeObject => {
    checkPreconditions(r, cur, o);
    cur.metadata.deletionTimestamp ??= timestamp();
    cur.metadata.deletionGracePeriodSeconds = 0;
    (cur as { status?: { phase?: string } }).status = { phase: 'Terminating' };
    return cur;
  };
  if (dryRun(opts)) {
    send(res, 200, await wouldDelete(ctx, rc, key, opts, markTerminating), rc);
    return;
  }
  const { object } = await ctx.store.guaranteedUpdate(key, refOf(rc), (cur) => markTerminating(rc, cur, opts));
  for (const r of RESOURCES) {
    if (r.namespaced) await ctx.store.deletePrefix(ctx.keys.collectionPrefix(r, name));
  }
  const gone = await ctx.store.guaranteedUpdate(key, refOf(rc), (cur) => (cur.metadata.finalizers?.length ? cur : DELETE), { current: object });
  send(res, 200, gone.object, rc);
}

/** DELETE of a collection (with selectors): each matching object as a single DELETE would. */
export async function deleteCollection(ctx: ApiContext, rc: RequestContext, req: Request, res: Response): Promise<void> {
  const r = rc.resource;
  const opts = await deleteOptions(rc, req);
  const filter = selectionPredicate(r.kind, { labelSelector: rc.query.labelSelector, fieldSelector: rc.query.fieldSelector });
  const page = await ctx.store.list(ctx.keys.collectionPrefix(r, rc.info.namespace), { filter });
  const items: KubeObject[] = [];
  for (const obj of page.items) {
    const name = obj.metadata.name ?? '';
    const one: RequestContext = { ...rc, info: { ...rc.info, name } };
    if (dryRun(opts)) {
      const next = planDeletion(one, structuredClone(obj), opts);
      items.push(next === DELETE ? obj : next);
      continue;
    }
    try {
      const { object } = await ctx.store.guaranteedUpdate(ctx.keys.objectKey(r, obj.metadata.namespace, name), refOf(one, name), (cur) => planDeletion(one, cur, opts), { current: obj });
      items.push(object);
    } catch (e) {
      // Gone meanwhile is what was asked for.
      if (!isApiError(e, 'NotFound')) throw e;
    }
  }
  send(res, 200, { kind: r.listKind, apiVersion: apiVersionOf(r), metadata: { resourceVersion: page.resourceVersion }, items }, rc);
}
