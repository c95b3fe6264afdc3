// Applying a strategic merge patch (application/strategic-merge-patch+json, what `kubectl
// apply` and `kubectl patch` send) the way apimachinery's strategicpatch does: a merge patch,
// except that lists the schema marks "merge" are merged element by element on their merge key
// (containers by name, ports by containerPort, ...), and the directives kubectl emits are
// honoured: $patch (merge|replace|delete), $retainKeys, $setElementOrder/<list>,
// $deleteFromPrimitiveList/<list>. The list metadata comes from the kinds' schemas.
import { errors } from './errors.js';
import { schemaFor } from './schemas/index.js';
import type { JsonSchema } from './schemas/index.js';

type JsonMap = Record<string, unknown>;

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

/** The sub-schema of a field, looking through arrays to their items when asked. */
function fieldSchema(schema: JsonSchema | undefined, key: string): JsonSchema | undefined {
  if (!schema) return undefined;
  return schema.properties?.[key] ?? schema.additionalProperties;
}

/** A patch value with every directive removed, as stored when the original had nothing there. */
function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => !(isMap(x) && typeof x.$patch === 'string' && Object.keys(x).length === 1)).map(stripDirectives);
  if (!isMap(v)) return v;
  const out: JsonMap = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(SET_ORDER) || k.startsWith(DELETE_FROM)) continue;
    if (x === null) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

function mergeList(original: unknown[], patch: unknown[], schema: JsonSchema | undefined, path: string): unknown[] {
  const strategy = schema?.['x-kubernetes-patch-strategy'] ?? '';
  if (!strategy.includes('merge')) return patch.map(stripDirectives);
  const mergeKey = schema?.['x-kubernetes-patch-merge-key'];
  const items = schema?.items;
  if (patch.some((p) => isMap(p) && p.$patch === 'replace')) return patch.filter((p) => !(isMap(p) && p.$patch === 'replace')).map(stripDirectives);
  if (!mergeKey) {
    // A set of primitives: union, keeping the original order and appending what is new.
    const out = [...original];
    for (const p of patch) if (!out.some((o) => o === p)) out.push(p);
    return out;
  }
  const out = original.map((o) => o);
  for (const p of patch) {
    if (!isMap(p)) throw errors.badRequest(`${path}: a list merged by "${mergeKey}" must hold objects`);
    const key = p[mergeKey];
    if (key === undefined) throw errors.badRequest(`${path}: map: ${JSON.stringify(p)} does not contain declared merge key: ${mergeKey}`);
    const at = out.findIndex((o) => isMap(o) && o[mergeKey] === key);
    if (p.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) out[at] = mergeMap(out[at] as JsonMap, p, items, `${path}[${mergeKey}=${String(key)}]`);
    else out.push(stripDirectives(p));
  }
  return out;
}

/** Orders a merged list as $setElementOrder says; elements it does not name keep their relative order after. */
function applyOrder(list: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  const keyOf = (v: unknown): unknown => (mergeKey && isMap(v) ? v[mergeKey] : v);
  const rank = new Map(order.map((o, i) => [keyOf(o), i]));
  return list
    .map((v, i) => ({ v, i, r: rank.get(keyOf(v)) }))
    .sort((a, b) => (a.r ?? Infinity) - (b.r ?? Infinity) || a.i - b.i)
    .map((x) => x.v);
}

function mergeMap(original: JsonMap, patch: JsonMap, schema: JsonSchema | undefined, path: string): JsonMap {
  switch (patch.$patch) {
    case undefined:
    case 'merge':
      break;
    case 'replace':
      return stripDirectives(patch) as JsonMap;
    case 'delete':
      return {};
    default:
      throw errors.badRequest(`${path || 'patch'}: unknown patch type: ${String(patch.$patch)}`);
  }
  const out: JsonMap = { ...original };
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as unknown[]);
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(SET_ORDER)) continue;
    if (k.startsWith(DELETE_FROM)) {
      const field = k.slice(DELETE_FROM.length);
      if (Array.isArray(out[field]) && Array.isArray(v)) out[field] = (out[field] as unknown[]).filter((x) => !v.includes(x));
      continue;
    }
    const sub = fieldSchema(schema, k);
    const p = path ? `${path}.${k}` : k;
    if (v === null) delete out[k];
    else if (isMap(v) && isMap(out[k])) {
      const merged = mergeMap(out[k] as JsonMap, v, sub, p);
      if (v.$patch === 'delete') delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v) && Array.isArray(out[k])) out[k] = mergeList(out[k] as unknown[], v, sub, p);
    else if (isMap(v) && v.$patch === 'delete') delete out[k];
    else out[k] = stripDirectives(v);
  }
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(SET_ORDER) || !Array.isArray(order)) continue;
    const field = k.slice(SET_ORDER.length);
    if (Array.isArray(out[field])) out[field] = applyOrder(out[field] as unknown[], order, fieldSchema(schema, field)?.['x-kubernetes-patch-merge-key']);
  }
  return out;
}

/**
 * Applies a strategic merge patch to `original` (not modified) for an object of `kind`.
 * Kinds without a schema merge like a JSON merge patch. Throws ApiError BadRequest for a
 * patch that is not an object or breaks a merge key.
 */
export function strategicMergePatch(original: unknown, patch: unknown, kind?: string): JsonMap {
  if (!isMap(patch)) throw errors.badRequest('a strategic merge patch must be a JSON object');
  const schema = kind ? schemaFor(kind) : undefined;
  return mergeMap(isMap(original) ? structuredClone(original) : {}, patch, schema, '');
}
