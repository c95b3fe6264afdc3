// PUT and PATCH of an object or its /status: both become one read-modify-write through the
// store (409 when a resourceVersion precondition no longer holds), with the strategy
// deciding what may change, admission validating the result, and the node-bound check on
// the stored and the new object. An update that drops the last finalizer of an object
// whose deletion was asked for removes it.
import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import { errors } from '../../api/errors.js';
import type { KubeObject } from '../../api/types/meta.js';
import { admit, applyDefaults } from '../admission.js';
import type { ApiContext, RequestContext } from '../context.js';
import { DELETE, type UpdateResult } from '../storage/etcd-store.js';
import { prepareForUpdate, readyToDelete } from '../strategy.js';
import { admitNodeWrite, cachedObject, checkBound, checkObjectBody, fieldValidation, isDryRun, keyOf, readDecoded, refOf, send } from './common.js';
import { applyPatchBody } from './patch-apply.js';
import { serverSideApply } from './server-side-apply.js';
import { admitOwnerReferences } from '../owner-references.js';
import { allocatorFor } from '../service-allocator.js';
import type { Service } from '../../api/types/service.js';

function checkSubresource(rc: RequestContext): void {
  const sub = rc.info.subresource;
  if (sub !== undefined && !((sub === 'status' || sub === 'finalize') && rc.resource.subresources.includes(sub))) {
    throw errors.notFound(`${rc.resource.plural}/${sub}`, rc.info.name ?? '');
  }
}

/**
 * The read-modify-write of an update: `mutate` makes the wanted object from the stored one,
 * `view` what the answer shows of the result (a /scale write answers a Scale).
 */
export async function writeUpdate(
  ctx: ApiContext,
  rc: RequestContext,
  res: Response,
  mutate: (current: KubeObject) => KubeObject,
  expectedRV?: string,
  view?: (stored: KubeObject) => unknown,
): Promise<void> {
  const r = rc.resource;
  const fv = fieldValidation(rc);
  // Warnings of the decoder stay; admission's are those of the last attempt only.
  const decoded = rc.warnings.slice();
  const compute = (current: KubeObject): KubeObject => {
    checkBound(rc, current);
    const wanted = checkObjectBody(rc, mutate(current));
    const uid = wanted.metadata.uid;
    if (uid && uid !== current.metadata.uid) {
      throw errors.conflict(r.plural, rc.info.name ?? '', `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid ?? ''}`, r.group || undefined);
    }
    const next = prepareForUpdate(r, rc.info.subresource, wanted, current);
    if (rc.info.subresource !== 'status') applyDefaults(next, ctx.defaultTolerationSeconds);
    rc.warnings = [...decoded, ...admit(r, next, { operation: 'update', old: current, subresource: rc.info.subresource === 'status' ? 'status' : undefined }, fv)];
    checkBound(rc, next);
    admitNodeWrite(rc, next, current);
    admitOwnerReferences(ctx, rc, next, current);
    return next;
  };
  // A Service's allocations: what a write through the main resource needs and lacks is picked (status keeps the spec).
  const allocator = rc.info.subresource === undefined ? allocatorFor(ctx, r) : undefined;
  let attempted: KubeObject | undefined;
  if (isDryRun(rc)) {
    const current = await ctx.store.get(keyOf(ctx, rc));
    if (!current) throw errors.notFound(r.plural, rc.info.name ?? '', r.group || undefined);
    if (expectedRV !== undefined && expectedRV !== current.metadata.resourceVersion) {
      throw errors.conflict(r.plural, rc.info.name ?? '', 'the object has been modified; please apply your changes to the latest version and try again', r.group || undefined);
    }
    const next = compute(structuredClone(current));
    await allocator?.assign(next as Service, current as Service);
    // Nothing was written, so the object is still at the version it was read at, as Kubernetes'
    // dry-run storage answers (else `kubectl diff` shows resourceVersion going away).
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    send(res, 200, view ? view(next) : next, rc);
    return;
  }
  const key = keyOf(ctx, rc);
  const write = () =>
    ctx.store.guaranteedUpdate(
      key,
      refOf(rc),
      (current): UpdateResult | Promise<UpdateResult> => {
        const next = compute(current);
        if (readyToDelete(next)) return DELETE;
        if (!allocator) return next;
        attempted = next;
        return allocator.assign(next as Service, current as Service).then(() => next);
      },
      { expectedRV, suggestion: cachedObject(ctx, rc, key) },
    );
  const { object, deleted } = allocator ? await allocator.write(() => attempted as Service | undefined, write) : await write();
  ctx.log.debug({ resource: r.plural, name: rc.info.name, deleted }, 'updated');
  send(res, 200, view ? view(object) : object, rc);
}

export async function updateObject(ctx: ApiContext, rc: RequestContext, req: Request, res: Response): Promise<void> {
  checkSubresource(rc);
  const { body } = await readDecoded(req, rc);
  const obj = checkObjectBody(rc, body);
  if (!obj.metadata.name) obj.metadata.name = rc.info.name;
  const expectedRV = obj.metadata.resourceVersion || undefined;
  await writeUpdate(ctx, rc, res, (current) => ({ ...structuredClone(obj), metadata: { ...structuredClone(obj.metadata), resourceVersion: current.metadata.resourceVersion } }), expectedRV);
}

export async function patchObject(ctx: ApiContext, rc: RequestContext, req: Request, res: Response): Promise<void> {
  checkSubresource(rc);
  const { body, format } = await readDecoded(req, rc);
  // Server-side apply may create the object and keeps managedFields: see server-side-apply.ts.
  if (format === 'apply-patch') return serverSideApply(ctx, rc, body, res, writeUpdate);
  await writeUpdate(ctx, rc, res, (current) => {
    const patched = applyPatchBody(current, body, format, rc.resource.kind) as KubeObject;
    const rv = patched?.metadata?.resourceVersion;
    // A resourceVersion inside the patch is a precondition, as in Kubernetes.
    if (rv !== undefined && rv !== current.metadata.resourceVersion) {
      throw errors.conflict(rc.resource.plural, rc.info.name ?? '', 'the object has been modified; please apply your changes to the latest version and try again', rc.resource.group || undefined);
    }
    return patched;
  });
}
