// Server-side apply (PATCH with Content-Type application/apply-patch+yaml, as `kubectl apply
// --server-side` sends it): the body is the manager's whole intent for the object. A missing
// object is created from it; an existing one gets the applied fields merged in (lists by
// their merge keys), loses the fields this manager applied before and now omits (when no
// other manager owns them), and records in metadata.managedFields what each manager owns.
// Changing a field another manager owns to a different value is a 409 Conflict, unless
// force=true, which takes the field over.
import type { ServerResponse as Response } from 'node:http';
import { ApiError, errors, isApiError } from '../../api/errors.js';
import { strategicMergePatch } from '../../api/strategic-merge-patch.js';
import type { KubeObject, ManagedFieldsEntry, StatusCause } from '../../api/types/meta.js';
import { admit, defaultForCreate } from '../admission.js';
import { requireNamespace } from '../namespace-lifecycle.js';
import { admitCreate, afterCreate } from '../service-accounts.js';
import type { ApiContext, RequestContext } from '../context.js';
import { prepareForCreate, timestamp } from '../strategy.js';
import { admitNodeWrite, checkBound, checkObjectBody, dropNulls, fieldValidation, isDryRun, keyOf, refOf, send } from './common.js';
import { FieldSet, fieldSetOf, formatPath, fromFieldsV1, removeAt, toFieldsV1, valueAt, type FieldPath } from './managed-fields.js';
import { queryBool } from '../../api/query.js';
import { admitOwnerReferences } from '../owner-references.js';
import { allocatorFor, createAllocating } from '../service-allocator.js';
import type { Service } from '../../api/types/service.js';

type Obj = Record<string, unknown>;

/** How update.ts writes a read-modify-write (its writeUpdate), so an apply to an existing object goes the same way as any PATCH. */
export type WriteUpdate = (ctx: ApiContext, rc: RequestContext, res: Response, mutate: (current: KubeObject) => KubeObject) => Promise<void>;

export interface ApplyOptions {
  manager: string;
  force: boolean;
  now?: Date;
}

const IGNORED_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink'];

/** The applied configuration as it merges: no status (written through /status), no server-set metadata. */
function appliedPart(config: KubeObject): Obj {
  const out = structuredClone(config) as unknown as Obj;
  delete out.status;
  const meta = out.metadata as Obj;
  for (const k of IGNORED_METADATA) delete meta[k];
  return out;
}

function isApplyEntry(e: ManagedFieldsEntry, manager: string): boolean {
  return e.manager === manager && e.operation === 'Apply' && !e.subresource;
}

/** kube's printManager: an Update manager is named with its API version and time. */
function managerName(e: ManagedFieldsEntry): string {
  const name = JSON.stringify(e.manager ?? '');
  if (e.operation !== 'Update') return name;
  return `${name} using ${e.apiVersion ?? ''}${e.time ? ` at ${e.time}` : ''}`;
}

function conflictError(live: KubeObject, plural: string, group: string, conflicts: { entry: ManagedFieldsEntry; path: FieldPath }[]): ApiError {
  const causes: StatusCause[] = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${managerName(c.entry)}`, field: formatPath(c.path) }));
  let message: string;
  const first = conflicts[0];
  if (conflicts.length === 1 && first) message = `Apply failed with 1 conflict: conflict with ${managerName(first.entry)}: ${formatPath(first.path)}`;
  else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(managerName(c.entry), [...(byManager.get(managerName(c.entry)) ?? []), formatPath(c.path)]);
    const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...(byManager.get(m) ?? []).map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { name: live.metadata.name, kind: plural, ...(group ? { group } : {}), causes });
}

/**
 * The object after `manager` applies `config` to `live` (a pure function: the handler
 * defaults, validates and stores the result). Throws 409 on conflicts unless forced.
 */
export function applyToLive(live: KubeObject, config: KubeObject, opts: ApplyOptions & { plural: string; group?: string }): KubeObject {
  const applied = appliedPart(config);
  const newSet = fieldSetOf(applied);
  const entries = (live.metadata.managedFields ?? []).map((e) => ({ entry: e, set: fromFieldsV1(e.fieldsV1) }));
  const mine = entries.find((e) => isApplyEntry(e.entry, opts.manager));
  const others = entries.filter((e) => e !== mine);

  const conflicts: { entry: ManagedFieldsEntry; path: FieldPath }[] = [];
  for (const path of newSet.paths()) {
    // A list element or set member is only a key: its value is compared through its fields.
    if (!path[path.length - 1]?.startsWith('f:')) continue;
    const wanted = JSON.stringify(valueAt(applied, path));
    for (const o of others) {
      if (!o.set.has(path) || JSON.stringify(valueAt(live, path)) === wanted) continue;
      if (opts.force) o.set.delete(path);
      else conflicts.push({ entry: o.entry, path });
    }
  }
  if (conflicts.length > 0) throw conflictError(live, opts.plural, opts.group ?? '', conflicts);

  const merged = strategicMergePatch(live, applied, live.kind ?? config.kind);
  // What this manager applied before and leaves out now goes, unless someone else holds it.
  const othersUnion = new FieldSet(others.flatMap((o) => o.set.paths()));
  // Outermost first: a dropped list element goes whole (its fields, dropped with it, would
  // otherwise go first and take the merge key that finds the element).
  const removed = new FieldSet();
  for (const path of (mine?.set ?? new FieldSet()).minus(newSet).paths().sort((a, b) => a.length - b.length)) {
    if (othersUnion.hasAtOrUnder(path) || path.some((_, i) => removed.has(path.slice(0, i)))) continue;
    removeAt(merged, path);
    removed.add(path);
  }

  const strip = (o: Obj) => JSON.stringify({ ...o, metadata: { ...(o.metadata as Obj), managedFields: undefined } });
  const unchanged = mine !== undefined && mine.set.equals(newSet) && strip(merged) === strip(live as unknown as Obj) && others.every((o) => o.set.equals(fromFieldsV1(o.entry.fieldsV1)));
  // A no-op apply keeps every entry, time included, so nothing is written at all.
  if (unchanged) return merged as unknown as KubeObject;
  const entry: ManagedFieldsEntry = {
    manager: opts.manager,
    operation: 'Apply',
    apiVersion: live.apiVersion ?? config.apiVersion,
    time: timestamp(opts.now),
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(newSet),
  };
  const managedFields: ManagedFieldsEntry[] = [];
  for (const e of entries) {
    if (e === mine) managedFields.push(entry);
    else if (e.set.size > 0) managedFields.push(e.set.equals(fromFieldsV1(e.entry.fieldsV1)) ? e.entry : { ...e.entry, fieldsV1: toFieldsV1(e.set) });
  }
  if (!mine) managedFields.push(entry);
  const meta = merged.metadata as Obj;
  meta.managedFields = managedFields;
  return merged as unknown as KubeObject;
}

/** The managedFields of an object created by an apply: the manager owns all it sent. */
export function createdByApply(config: KubeObject, opts: ApplyOptions): KubeObject {
  const applied = appliedPart(config) as unknown as KubeObject;
  const entry: ManagedFieldsEntry = { manager: opts.manager, operation: 'Apply', apiVersion: config.apiVersion, time: timestamp(opts.now), fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(fieldSetOf(applied as unknown as Obj)) };
  return { ...applied, metadata: { ...applied.metadata, managedFields: [entry] } };
}


async function createFromApply(ctx: ApiContext, rc: RequestContext, config: KubeObject, opts: ApplyOptions, res: Response): Promise<void> {
  const r = rc.resource;
  const name = rc.info.name ?? '';
  // Creating through PATCH needs the right to create, as in Kubernetes.
  const decision = ctx.authorize(rc.user, { ...rc.info, verb: 'create', name: undefined }, undefined, name);
  if (!decision.allowed) throw errors.forbidden(rc.user.name, 'create', r.plural, name, r.group || undefined, decision.reason);
  const obj = createdByApply(config, opts);
  rc.decision = decision;
  checkBound(rc, obj);
  admitNodeWrite(rc, obj);
  admitOwnerReferences(ctx, rc, obj);
  if (r.namespaced && rc.info.namespace) await requireNamespace(ctx, rc.info.namespace, { resource: r.plural, group: r.group || undefined, name });
  defaultForCreate(obj, ctx.defaultTolerationSeconds);
  await admitCreate(ctx, obj, rc.info.namespace);
  rc.warnings.push(...admit(r, obj, { operation: 'create' }, fieldValidation(rc)));
  const prepared = prepareForCreate(r, obj);
  if (isDryRun(rc)) {
    await allocatorFor(ctx, r)?.assign(prepared as Service);
    delete prepared.metadata.resourceVersion;
    send(res, 201, prepared, rc);
    return;
  }
  const created = await createAllocating(ctx, r, prepared, () => ctx.store.create(keyOf(ctx, rc), prepared, refOf(rc)));
  await afterCreate(ctx, created);
  send(res, 201, created, rc);
}

export async function serverSideApply(ctx: ApiContext, rc: RequestContext, body: unknown, res: Response, writeUpdate: WriteUpdate): Promise<void> {
  const manager = rc.query.fieldManager;
  if (!manager) throw errors.badRequest('PATCH /apply: fieldManager is required for apply requests');
  if (rc.info.subresource !== undefined) throw errors.methodNotAllowed(`server-side apply of ${rc.resource.plural}/${rc.info.subresource} is not supported; apply the object itself`);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.badRequest('an applied configuration must be a YAML or JSON object');
  dropNulls(body);
  const b = body as Obj;
  if (typeof b.apiVersion !== 'string' || b.apiVersion === '') throw errors.badRequest('apiVersion must be set in the applied configuration');
  if (typeof b.kind !== 'string' || b.kind === '') throw errors.badRequest('kind must be set in the applied configuration');
  const config = checkObjectBody(rc, body);
  if (!config.metadata.name) config.metadata.name = rc.info.name;
  const opts: ApplyOptions = { manager, force: queryBool(rc.query.force) };
  const group = rc.resource.group;
  if (!(await ctx.store.get(keyOf(ctx, rc)))) {
    try {
      await createFromApply(ctx, rc, config, opts, res);
      return;
    } catch (e) {
      // Created by someone else a moment ago: this apply becomes an update of it.
      if (!isApiError(e, 'AlreadyExists')) throw e;
    }
  }
  await writeUpdate(ctx, rc, res, (current) => applyToLive(current, config, { ...opts, plural: rc.resource.plural, group }));
}
