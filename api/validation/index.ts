// validateObject: what kube-apiserver checks before it stores an object. First the kind's
// JSON Schema (types, enums, required fields); when the shape is right, Kubernetes' semantic
// rules (names, ports, quantities, limits >= requests, ...); on update, what may not change.
// An empty array means valid; otherwise the causes go into a 422 Invalid Status.
import type { Lease } from '../types/coordination.js';
import type { Binding, Event, Namespace, Node, Pod } from '../types/core.js';
import type { KubeObject, StatusCause } from '../types/meta.js';
import { FieldPath, isObject, notSupported } from './field.js';
import { validateBinding, validateEvent, validateLease, validateNamespace, validateNode, validateNodeUpdate } from './kinds.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import type { MetaRules } from './meta.js';
import { validatePod, validatePodStatus } from './pod.js';
import { validatePodSpecUpdate } from './pod-update.js';
import { schemaCauses } from './schema.js';

export { dropUnknownFields, precompileValidators, unknownFields } from './schema.js';
export { POD_UPDATE_FORBIDDEN_MESSAGE } from './pod-update.js';

export interface ValidateOptions {
  operation: 'create' | 'update';
  /** the stored object, for update (and the pod being bound, for binding) */
  old?: KubeObject;
  /** 'status' and 'binding' have their own rules; any other subresource is validated as the object itself */
  subresource?: 'status' | 'binding' | (string & {});
  /** the kind, when the body may lack one (the API server knows it from the path) */
  kind?: string;
  /** the JSON Schema was checked already (the API server does it as it decodes a body) */
  shapeChecked?: boolean;
}

const META_RULES: Record<string, MetaRules> = {
  Pod: { name: 'subdomain', namespaced: true },
  Node: { name: 'subdomain', namespaced: false },
  Namespace: { name: 'label', namespaced: false },
  Event: { name: 'subdomain', namespaced: true },
  Lease: { name: 'subdomain', namespaced: true },
};

type KindRules = {
  validate(obj: KubeObject): StatusCause[];
  validateStatus?(obj: KubeObject): StatusCause[];
  validateUpdate?(obj: KubeObject, old: KubeObject): StatusCause[];
};

const KINDS: Record<string, KindRules> = {
  Pod: {
    validate: (o) => validatePod(o as Pod),
    validateStatus: (o) => validatePodStatus((o as Pod).status),
    validateUpdate: (o, old) => validatePodSpecUpdate(o as Pod, old as Pod),
  },
  Node: {
    validate: (o) => validateNode(o as Node),
    validateStatus: (o) => validateNode(o as Node),
    validateUpdate: (o, old) => validateNodeUpdate(o as Node, old as Node),
  },
  Namespace: { validate: (o) => validateNamespace(o as Namespace), validateStatus: () => [] },
  Event: { validate: (o) => validateEvent(o as Event) },
  Lease: { validate: (o) => validateLease(o as Lease) },
};

export function validateObject(obj: unknown, opts: ValidateOptions): StatusCause[] {
  if (opts.subresource === 'binding') {
    const causes = opts.shapeChecked ? [] : schemaCauses(obj, 'Binding');
    return causes.length ? causes : validateBinding(obj as Binding, opts.old as Pod | undefined);
  }
  const kind = opts.kind ?? (isObject(obj) && typeof obj.kind === 'string' ? obj.kind : '');
  const rules = KINDS[kind];
  if (!rules) return [notSupported(FieldPath.root('kind'), kind, Object.keys(KINDS))];
  if (!opts.shapeChecked) {
    const shape = schemaCauses(obj, kind);
    if (shape.length) return shape;
  }

  const o = obj as KubeObject;
  const causes = validateObjectMeta(o.metadata, META_RULES[kind]);
  const old = opts.operation === 'update' ? opts.old : undefined;
  if (old) causes.push(...validateObjectMetaUpdate(o.metadata, old.metadata));
  if (opts.subresource === 'status') {
    // A status write keeps the stored spec (the server copies it), so only status rules apply.
    causes.push(...(rules.validateStatus ?? rules.validate)(o));
    return causes;
  }
  causes.push(...rules.validate(o));
  if (old && rules.validateUpdate) causes.push(...rules.validateUpdate(o, old));
  return causes;
}
