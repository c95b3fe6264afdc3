// POST to a collection: decode, check against the path, authorize with the body's name
// (a node may create only its own Node and Lease), default, validate, set the server's
// fields, and write with a create-only txn. The namespace must exist and not be ending.
import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import { errors, isApiError } from '../../api/errors.js';
import { generateName } from '../../api/names.js';
import type { KubeObject } from '../../api/types/meta.js';
import { admit, defaultForCreate } from '../admission.js';
import type { ApiContext, RequestContext } from '../context.js';
import { requireNamespace } from '../namespace-lifecycle.js';
import { admitCreate, afterCreate } from '../service-accounts.js';
import { prepareForCreate } from '../strategy.js';
import { admitNodeWrite, checkBound, checkObjectBody, fieldValidation, isDryRun, readDecoded, refOf, send } from './common.js';
import { admitOwnerReferences } from '../owner-references.js';
import { allocatorFor, createAllocating } from '../service-allocator.js';
import type { Service } from '../../api/types/service.js';

const GENERATE_NAME_ATTEMPTS = 5;

export async function createObject(ctx: ApiContext, rc: RequestContext, req: Request, res: Response): Promise<void> {
  const r = rc.resource;
  if (rc.info.name !== undefined) throw errors.methodNotAllowed(`POST is not supported on a single ${r.singular}; use PUT or PATCH`);
  const { body } = await readDecoded(req, rc);
  const obj = checkObjectBody(rc, body);
  const meta = obj.metadata;
  const generated = !meta.name && typeof meta.generateName === 'string' && meta.generateName !== '';
  if (generated) meta.name = generateName(meta.generateName as string);
  const decision = ctx.authorize(rc.user, rc.info, undefined, meta.name);
  if (!decision.allowed) throw errors.forbidden(rc.user.name, 'create', r.plural, meta.name, r.group || undefined, decision.reason);
  rc.decision = decision;
  checkBound(rc, obj);
  admitNodeWrite(rc, obj);
  admitOwnerReferences(ctx, rc, obj);
  if (r.namespaced) {
    if (!rc.info.namespace) throw errors.badRequest(`${r.plural} must be created in a namespace`);
    // Named as kube's admission names it: before generateName draws, by the prefix.
    await requireNamespace(ctx, rc.info.namespace, { resource: r.plural, group: r.group || undefined, name: generated ? (meta.generateName as string) : meta.name });
  }
  defaultForCreate(obj, ctx.defaultTolerationSeconds);
  await admitCreate(ctx, obj, rc.info.namespace);
  rc.warnings.push(...admit(r, obj, { operation: 'create' }, fieldValidation(rc)));
  const prepared = prepareForCreate(r, obj);
  if (isDryRun(rc)) {
    await allocatorFor(ctx, r)?.assign(prepared as Service);
    // Answer what would be stored; an existing name is still a conflict, as in Kubernetes.
    const name = prepared.metadata.name as string;
    if (await ctx.store.get(ctx.keys.objectKey(r, rc.info.namespace, name))) throw errors.alreadyExists(r.plural, name, r.group || undefined);
    delete prepared.metadata.resourceVersion;
    send(res, 201, prepared, rc);
    return;
  }
  let created: KubeObject;
  for (let attempt = 1; ; attempt++) {
    const name = prepared.metadata.name as string;
    try {
      created = await createAllocating(ctx, r, prepared, () => ctx.store.create(ctx.keys.objectKey(r, rc.info.namespace, name), prepared, refOf(rc, name)));
      break;
    } catch (e) {
      // A generated name that collides gets another draw, as kube-apiserver does.
      if (!generated || attempt >= GENERATE_NAME_ATTEMPTS || !isApiError(e, 'AlreadyExists')) throw e;
      prepared.metadata.name = generateName(meta.generateName as string);
    }
  }
  await afterCreate(ctx, created);
  send(res, 201, created, rc);
}
