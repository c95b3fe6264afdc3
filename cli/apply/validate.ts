// Client-side validation of a manifest against the served schema (api/schemas), as kubectl
// validates against the server's OpenAPI before sending: unknown fields (a typo such as
// `imagee`), wrong types and malformed quantities are found before anything is applied,
// each as a field path the manifest loader can turn into a line and column.
import { quantityError } from '../../api/quantity.js';
import { schemaFor } from '../../api/kinds/index.js';
import type { JsonSchema } from '../../api/schemas/index.js';
import type { KubeObject } from '../../api/types/meta.js';

export interface FieldProblem {
  /** "spec.containers[0].imagee" */
  field: string;
  message: string;
}

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(v: unknown, schema: JsonSchema): boolean {
  if (!schema.type) return true;
  const allowed = Array.isArray(schema.type) ? schema.type : [schema.type];
  const t = typeOf(v);
  return allowed.includes(t as never) || (t === 'integer' && allowed.includes('number'));
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function walk(v: unknown, schema: JsonSchema, path: string, out: FieldProblem[]): void {
  if (!typeMatches(v, schema)) {
    const want = Array.isArray(schema.type) ? schema.type.join(' or ') : schema.type;
    out.push({ field: path, message: `expected ${want}, got ${typeOf(v)}` });
    return;
  }
  if (schema['x-skiff-definition'] === QUANTITY) {
    const err = quantityError(v);
    if (err) out.push({ field: path, message: err });
    return;
  }
  if (schema.enum && !schema.enum.includes(v as string)) {
    out.push({ field: path, message: `unsupported value ${JSON.stringify(v)}: supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}` });
    return;
  }
  if (Array.isArray(v) && schema.items) {
    v.forEach((el, i) => walk(el, schema.items as JsonSchema, `${path}[${i}]`, out));
    return;
  }
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    for (const [k, child] of Object.entries(v)) {
      const p = join(path, k);
      const sub = schema.properties?.[k] ?? schema.additionalProperties;
      if (sub) walk(child, sub, p, out);
      else if (schema.properties) out.push({ field: p, message: `unknown field "${p}"` });
    }
  }
}

/** Problems of one object; an empty list for a kind without a schema (the server decides). */
export function validateObject(obj: KubeObject): FieldProblem[] {
  const schema = obj.kind ? schemaFor(obj.kind) : undefined;
  if (!schema) return [];
  const out: FieldProblem[] = [];
  walk(obj, schema, '', out);
  return out;
}
