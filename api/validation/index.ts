// validateObject: what kube-apiserver checks before it stores an object. First the kind's
// JSON Schema (types, enums, required fields); when the shape is right, Kubernetes' semantic
// rules (names, ports, quantities, limits >= requests, ...); on update, what may not change.
// The rules of each kind come from its declaration (api/kinds/).
// An empty array means valid; otherwise the causes go into a 422 Invalid Status.
import { KINDS, kindDefinition } from '../kinds/index.js';
import type { Binding, Pod } from '../types/core.js';
import type { KubeObject, StatusCause } from '../types/meta.js';
import { FieldPath, isObject, notSupported } from './field.js';
import { validateBinding } from './kinds.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
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

export function validateObject(obj: unknown, opts: ValidateOptions): StatusCause[] {
  if (opts.subresource === 'binding') {
    const causes = opts.shapeChecked ? [] : schemaCauses(obj, 'Binding');
    return causes.length ? causes : validateBinding(obj as Binding, opts.old as Pod | undefined);
  }
  const kind = opts.kind ?? (isObject(obj) && typeof obj.kind === 'string' ? obj.kind : '');
  const rules = kindDefinition(kind);
  if (!rules) return [notSupported(FieldPath.root('kind'), kind, KINDS.map((k) => k.resource.kind))];
  if (!opts.shapeChecked) {
    const shape = schemaCauses(obj, kind);
    if (shape.length) return shape;
  }

  const o = obj as KubeObject;
  const causes = validateObjectMeta(o.metadata, { name: rules.nameRule, namespaced: rules.resource.namespaced });
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
