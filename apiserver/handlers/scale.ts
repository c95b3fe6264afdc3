// The /scale subresource (GET, PUT, PATCH) of any kind that declares a ScaleMapping
// (api/kinds/kind.ts): it reads and writes an autoscaling/v1 Scale that is a view of the
// object, its spec.replicas the object's own. A write is the object's update (strategy,
// defaults, validation of the whole object, generation moved); a resourceVersion in the
// Scale is a precondition on the object, as in Kubernetes' scaleUpdatedObjectInfo.
import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import { errors } from '../../api/errors.js';
import { kindDefinition } from '../../api/kinds/index.js';
import type { ScaleMapping } from '../../api/kinds/kind.js';
import type { Scale } from '../../api/types/apps.js';
import type { KubeObject } from '../../api/types/meta.js';
import { FieldPath } from '../../api/validation/field.js';
import { validateObjectMeta } from '../../api/validation/meta.js';
import { nonNegative } from '../../api/validation/workload.js';
import type { ApiContext, RequestContext } from '../context.js';
import { checkBound, checkObjectBody, keyOf, readDecoded, send } from './common.js';
import { applyPatchBody } from './patch-apply.js';
import { writeUpdate } from './update.js';

const SCALE = { kind: 'Scale', apiVersion: 'autoscaling/v1' };

/** The Scale an object shows (scaleFromDeployment and its siblings). */
export function scaleOf(obj: KubeObject, mapping: ScaleMapping<KubeObject>): Scale {
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: mapping.specReplicas(obj) },
    status: { replicas: mapping.statusReplicas(obj), selector: mapping.selector(obj) },
  };
}

/** A decoded Scale body checked as Kubernetes' ValidateScale does: its metadata and replicas >= 0. */
function checkScale(rc: RequestContext, body: unknown): Scale {
  const scale = checkObjectBody(rc, body, SCALE) as Scale;
  const name = rc.info.name ?? '';
  if (scale.metadata.name !== undefined && scale.metadata.name !== name) {
    throw errors.badRequest(`the name of the object (${scale.metadata.name}) does not match the name on the URL (${name})`);
  }
  scale.metadata.name = name;
  if (rc.info.namespace !== undefined) scale.metadata.namespace ??= rc.info.namespace;
  const causes = [
    ...validateObjectMeta(scale.metadata, { name: 'subdomain', namespaced: rc.resource.namespaced }),
    ...nonNegative(scale.spec?.replicas, FieldPath.root('spec').child('replicas')),
  ];
  if (causes.length) throw errors.invalid('Scale', name, causes, 'autoscaling');
  return scale;
}

const conflict = (rc: RequestContext) =>
  errors.conflict(rc.resource.plural, rc.info.name ?? '', 'the object has been modified; please apply your changes to the latest version and try again', rc.resource.group || undefined);

export async function serveScale(ctx: ApiContext, rc: RequestContext, req: Request, res: Response): Promise<void> {
  const mapping = kindDefinition(rc.resource.kind)?.scale;
  if (!mapping) throw errors.notFound(`${rc.resource.plural}/scale`, rc.info.name ?? '');
  const view = (o: KubeObject) => scaleOf(o, mapping);
  // The object with the Scale's replicas; a Scale's resourceVersion must be the object's.
  const withScale = (current: KubeObject, scale: Scale): KubeObject => {
    const rv = scale.metadata.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) throw conflict(rc);
    const next = structuredClone(current);
    mapping.setSpecReplicas(next, scale.spec?.replicas ?? 0);
    return next;
  };
  switch (rc.info.verb) {
    case 'get': {
      const obj = await ctx.store.get(keyOf(ctx, rc));
      if (!obj) throw errors.notFound(rc.resource.plural, rc.info.name ?? '', rc.resource.group || undefined);
      checkBound(rc, obj);
      return send(res, 200, view(obj), rc);
    }
    case 'update': {
      const scale = checkScale(rc, (await readDecoded(req, rc)).body);
      return writeUpdate(ctx, rc, res, (current) => withScale(current, scale), undefined, view);
    }
    case 'patch': {
      const { body, format } = await readDecoded(req, rc);
      if (format === 'apply-patch') throw errors.unsupportedMediaType(`server-side apply is not supported on ${rc.resource.plural}/scale`);
      return writeUpdate(ctx, rc, res, (current) => withScale(current, checkScale(rc, applyPatchBody(view(current), body, format, 'Scale'))), undefined, view);
    }
    default:
      throw errors.methodNotAllowed(`${req.method ?? ''} is not supported on ${rc.resource.plural}/scale`);
  }
}
