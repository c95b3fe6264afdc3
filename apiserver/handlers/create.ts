// POST to a collection: decode, check against the path, authorize with the body's name
// (a node may create only its own Node and Lease), default, validate, set the server's
// fields, and write with a create-only txn. The namespace must exist and not be ending.
import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import { ApiError, errors, isApiError } from '../../api/errors.js';
import { generateName } from '../../api/names.js';
import { findResource } from '../../api/resources.js';
import type { KubeObject } from '../../api/types/meta.js';
import { admit, defaultForCreate } from '../admission.js';
import { cacheFor, type ApiContext, type RequestContext } from '../context.js';
import { admitCreate, afterCreate } from '../service-accounts.js';
import { prepareForCreate } from '../strategy.js';
import { admitNodeWrite, checkBound, checkObjectBody, fieldValidation, isDryRun, readDecoded, refOf, send } from './common.js';
import { admitOwnerReferences } from '../owner-references.js';

const GENERATE_NAME_ATTEMPTS = 5;

export async function requireNamespace(ctx: ApiContext, namespace: string): Promise<void> {
  const nsResource = findResource('namespaces', '');
  if (!nsResource) return;
  const key = ctx.keys.objectKey(nsResource, undefined, namespace);
  // The cache answers nearly always; a namespace created a moment ago may not be in it yet.
  const ns = cacheFor(ctx, nsResource).get(key) ?? (await ctx.store.get(key));
  if (!ns) throw errors.notFound('namespaces', namespace);
  if (ns.metadata.deletionTimestamp || (ns as { status?: { phase?: string } }).status?.phase === 'Terminating') {
    throw new ApiError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`, {
      name: namespace,
      kind: 'namespaces',
    });
  }
}

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
    await requireNamespace(ctx, rc.info.namespace);
  }
  defaultForCreate(obj);
  await admitCreate(ctx, obj, rc.info.namespace);
  rc.warnings.push(...admit(r, obj, { operation: 'create' }, fieldValidation(rc)));
  const prepared = prepareForCreate(r, obj);
  if (isDryRun(rc)) {
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
      created = await ctx.store.create(ctx.keys.objectKey(r, rc.info.namespace, name), prepared, refOf(rc, name));
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
