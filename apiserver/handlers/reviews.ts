// POST of the reviews (api/authorization/types.ts), answered as kube-apiserver's registry
// answers them and never stored: SelfSubjectAccessReview and SubjectAccessReview ask the
// authorizer (authorize.ts) about the caller or about the identity in the spec, deciding what
// depends on the object (a pod bound to a node, a Secret its pods name) on the stored pods as a
// request would be; SelfSubjectRulesReview lists the caller's rules (auth/rules.ts);
// SelfSubjectReview answers who the caller is. Bad input is 422 with its field path.
import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import { AUTHENTICATION_GROUP, type AccessReviewSpec, type NonResourceAttributes, type ResourceAttributes, type SubjectAccessReviewStatus } from '../../api/authorization/types.js';
import { errors } from '../../api/errors.js';
import { resourceForKind } from '../../api/resources.js';
import type { Pod } from '../../api/types/core.js';
import type { StatusCause } from '../../api/types/meta.js';
import { FieldPath, invalid, typeInvalid } from '../../api/validation/field.js';
import { authorize, type Decision, type RequestAttributes } from '../auth/authorize.js';
import { rulesFor } from '../auth/rules.js';
import type { UserInfo } from '../auth/user.js';
import type { ApiContext, RequestContext } from '../context.js';
import { checkObjectBody, notBoundReason, notReferencedReason, readDecoded, send } from './common.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads typed fields as Go's decoder would, each wrong type a cause at its path. */
class Fields {
  readonly causes: StatusCause[] = [];

  object(parent: Obj | undefined, key: string, path: FieldPath): Obj | undefined {
    const v = parent?.[key];
    if (v === undefined || isObj(v)) return v;
    this.causes.push(typeInvalid(path.child(key), v, 'must be of type object'));
    return undefined;
  }

  string(parent: Obj | undefined, key: string, path: FieldPath): string | undefined {
    const v = parent?.[key];
    if (v === undefined || typeof v === 'string') return v;
    this.causes.push(typeInvalid(path.child(key), v, 'must be of type string'));
    return undefined;
  }

  strings(parent: Obj | undefined, key: string, path: FieldPath): string[] | undefined {
    const v = parent?.[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) {
      this.causes.push(typeInvalid(path.child(key), v, 'must be of type array'));
      return undefined;
    }
    v.forEach((s, i) => typeof s !== 'string' && this.causes.push(typeInvalid(path.child(key).index(i), s, 'must be of type string')));
    return v.filter((s): s is string => typeof s === 'string');
  }

  /** user.Info's extra: a map of string lists. */
  extra(parent: Obj | undefined, key: string, path: FieldPath): Record<string, string[]> | undefined {
    const m = this.object(parent, key, path);
    if (!m) return undefined;
    return Object.fromEntries(Object.keys(m).map((k) => [k, this.strings(m, k, path.child(key)) ?? []]));
  }
}

const SPEC = FieldPath.root('spec');
const RESOURCE_FIELDS = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'] as const;

/** ValidateSelfSubjectAccessReviewSpec / ValidateSubjectAccessReviewSpec, with the shape of each field. */
function accessSpec(f: Fields, spec: Obj | undefined, subject: boolean): AccessReviewSpec {
  const ra = f.object(spec, 'resourceAttributes', SPEC);
  const na = f.object(spec, 'nonResourceAttributes', SPEC);
  const out: AccessReviewSpec = {};
  if (ra) {
    const p = SPEC.child('resourceAttributes');
    out.resourceAttributes = Object.fromEntries(RESOURCE_FIELDS.map((k) => [k, f.string(ra, k, p)]).filter(([, v]) => v !== undefined)) as ResourceAttributes;
  }
  if (na) {
    const p = SPEC.child('nonResourceAttributes');
    out.nonResourceAttributes = { path: f.string(na, 'path', p), verb: f.string(na, 'verb', p) } as NonResourceAttributes;
  }
  if (ra && na) f.causes.push(invalid(SPEC.child('nonResourceAttributes'), na, 'cannot be specified in combination with resourceAttributes'));
  if (!ra && !na) f.causes.push(invalid(SPEC.child('resourceAttributes'), null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  if (subject) {
    out.user = f.string(spec, 'user', SPEC);
    out.groups = f.strings(spec, 'groups', SPEC);
    out.uid = f.string(spec, 'uid', SPEC);
    out.extra = f.extra(spec, 'extra', SPEC);
    if (!out.user && !out.groups?.length) f.causes.push(invalid(SPEC.child('user'), out.user ?? '', 'at least one of user or group must be specified'));
  }
  return out;
}

function attributesOf(spec: AccessReviewSpec): RequestAttributes {
  const na = spec.nonResourceAttributes;
  if (na) return { verb: na.verb ?? '', apiGroup: '', path: na.path ?? '' };
  const ra = spec.resourceAttributes ?? {};
  return {
    verb: ra.verb ?? '',
    apiGroup: ra.group ?? '',
    resource: ra.resource ?? '',
    subresource: ra.subresource || undefined,
    namespace: ra.namespace || undefined,
    name: ra.name || undefined,
  };
}

/** The authorizer's answer, with what it leaves to the object decided on the stored pods, as the request itself would be. */
async function decide(ctx: ApiContext, user: UserInfo, a: RequestAttributes): Promise<SubjectAccessReviewStatus> {
  const d: Decision = authorize(user, a);
  if (!d.allowed) return { allowed: false, ...(d.reason ? { reason: d.reason } : {}) };
  const pods = resourceForKind('v1', 'Pod');
  if (d.boundToNode !== undefined && pods) {
    // A pod that is not there is bound to no node: refused, as the request would be once read.
    const pod = a.name === undefined ? null : ((await ctx.store.get(ctx.keys.objectKey(pods, a.namespace, a.name))) as Pod | null);
    const why = notBoundReason(d.boundToNode, pod?.spec?.nodeName);
    if (why) return { allowed: false, reason: why };
  }
  if (d.referencedByNode !== undefined) {
    const why = await notReferencedReason(ctx, d.referencedByNode, a.resource ?? '', a.namespace, a.name ?? '');
    if (why) return { allowed: false, reason: why };
  }
  return { allowed: true };
}

export async function serveReview(ctx: ApiContext, rc: RequestContext, req: Request, res: Response): Promise<void> {
  const r = rc.resource;
  const decision = ctx.authorize(rc.user, rc.info);
  if (!decision.allowed) throw errors.forbidden(rc.user.name, rc.info.verb, r.plural, rc.info.name, r.group, decision.reason);
  if (rc.info.name !== undefined) throw errors.methodNotAllowed(`POST is not supported on a single ${r.singular}`);
  const { body } = await readDecoded(req, rc);
  const obj = checkObjectBody(rc, body) as unknown as Obj;
  const f = new Fields();
  const spec = f.object(obj, 'spec', FieldPath.root());
  // The access and rules reviews take no metadata (kube's validation: "must be empty").
  const { managedFields: _ignored, ...meta } = obj.metadata as Obj;
  if (r.group !== AUTHENTICATION_GROUP && Object.keys(meta).length > 0) f.causes.push(invalid(FieldPath.root('metadata'), meta, 'must be empty'));
  let status: unknown;
  let answered: unknown = spec;
  if (r.kind === 'SelfSubjectReview') {
    answered = undefined;
    const u = rc.user;
    status = { userInfo: { username: u.name, ...(u.uid ? { uid: u.uid } : {}), groups: u.groups } };
  } else if (r.kind === 'SelfSubjectRulesReview') {
    status = rulesFor(rc.user, f.string(spec, 'namespace', SPEC) ?? '');
  } else {
    const subject = r.kind === 'SubjectAccessReview';
    const s = accessSpec(f, spec, subject);
    if (f.causes.length === 0) {
      const user: UserInfo = subject ? { name: s.user ?? '', ...(s.uid ? { uid: s.uid } : {}), groups: s.groups ?? [] } : rc.user;
      status = await decide(ctx, user, attributesOf(s));
    }
  }
  if (f.causes.length > 0) throw errors.invalid(r.kind, '', f.causes, r.group);
  send(res, 201, { kind: r.kind, apiVersion: obj.apiVersion, metadata: {}, ...(answered === undefined ? {} : { spec: answered }), status }, rc);
}
