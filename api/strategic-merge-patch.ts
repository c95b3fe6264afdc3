// Applying a strategic merge patch (application/strategic-merge-patch+json, what `kubectl
// apply` and `kubectl patch` send) the way apimachinery's strategicpatch does: a merge patch,
// except that lists the schema marks "merge" are merged element by element on their merge key
// (containers by name, ports by containerPort, ...) or as sets (finalizers), and the directives
// kubectl emits are honoured: $patch (merge|replace|delete), $retainKeys,
// $setElementOrder/<list>, $deleteFromPrimitiveList/<list>. The list metadata is the one table
// in patch-strategy.ts. The API server's PATCH, server-side apply and `skiff apply` all call it.
import { errors } from './errors.js';
import { fieldSchema, listStrategy, patchSchemaFor } from './patch-strategy.js';
import type { JsonSchema } from './patch-strategy.js';

type JsonMap = Record<string, unknown>;

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

export const PATCH_DIRECTIVE = '$patch';
export const RETAIN_KEYS = '$retainKeys';
export const SET_ELEMENT_ORDER = '$setElementOrder/';
export const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

const isDirectiveKey = (k: string): boolean => k === PATCH_DIRECTIVE || k === RETAIN_KEYS || k.startsWith(SET_ELEMENT_ORDER) || k.startsWith(DELETE_FROM_PRIMITIVE_LIST);

/** The `$patch` of a map; any other value than merge, replace or delete is the client's error (400), as in apimachinery. */
function directiveOf(m: JsonMap, path: string): 'merge' | 'replace' | 'delete' {
  const d = m[PATCH_DIRECTIVE];
  if (d === undefined || d === 'merge' || d === 'replace' || d === 'delete') return d ?? 'merge';
  throw errors.badRequest(`${path || 'patch'}: unknown patch type: ${String(d)} in map: ${JSON.stringify(m).slice(0, 200)}`);
}

/** A patch value where the original has nothing: merged into nothing, so no directive is stored. */
function fresh(v: unknown, schema: JsonSchema | undefined, path: string): unknown {
  if (isMap(v)) return mergeMap({}, v, schema, path);
  if (Array.isArray(v)) return mergeList([], v, schema, path);
  return v;
}

function mergeList(original: unknown[], patch: unknown[], schema: JsonSchema | undefined, path: string): unknown[] {
  const strategy = listStrategy(schema);
  const items = schema?.items;
  const isLoneDirective = (p: unknown): boolean => isMap(p) && Object.keys(p).length === 1 && typeof p[PATCH_DIRECTIVE] === 'string';
  const replaceWhole = strategy.type === 'replace' || patch.some((p) => isMap(p) && p[PATCH_DIRECTIVE] === 'replace');
  if (replaceWhole) {
    const out: unknown[] = [];
    for (const p of patch) {
      if (isLoneDirective(p)) continue;
      const v = fresh(p, items, `${path}[]`);
      if (v !== undefined) out.push(v);
    }
    return out;
  }
  if (strategy.type === 'set') {
    const out = [...original];
    for (const p of patch) if (!out.includes(p)) out.push(p);
    return out;
  }
  const { mergeKey } = strategy;
  const out = [...original];
  for (const p of patch) {
    if (!isMap(p)) throw errors.badRequest(`${path}: a list merged by "${mergeKey}" must hold objects`);
    const key = p[mergeKey];
    const at = `${path}[${mergeKey}=${String(key)}]`;
    const directive = directiveOf(p, at);
    if (key === undefined) throw errors.badRequest(`${path}: map: ${JSON.stringify(p).slice(0, 200)} does not contain declared merge key: ${mergeKey}`);
    const i = out.findIndex((o) => isMap(o) && o[mergeKey] === key);
    if (directive === 'delete') {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    const merged = mergeMap(i >= 0 && isMap(out[i]) ? out[i] : {}, p, items, at);
    if (i >= 0) out[i] = merged;
    else out.push(merged);
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

/** `original` with `patch` merged in; undefined when the patch deletes the map. */
function mergeMap(original: JsonMap, patch: JsonMap, schema: JsonSchema | undefined, path: string): JsonMap | undefined {
  const directive = directiveOf(patch, path);
  if (directive === 'delete') return undefined;
  if (directive === 'replace') {
    const { [PATCH_DIRECTIVE]: _replace, ...rest } = patch;
    return mergeMap({}, rest, schema, path);
  }
  const out: JsonMap = { ...original };
  const retain = patch[RETAIN_KEYS];
  if (Array.isArray(retain)) for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    const field = k.slice(DELETE_FROM_PRIMITIVE_LIST.length);
    const current = out[field];
    if (Array.isArray(current) && Array.isArray(v)) out[field] = current.filter((x) => !v.includes(x));
  }
  for (const [k, v] of Object.entries(patch)) {
    if (isDirectiveKey(k)) continue;
    const sub = fieldSchema(schema, k);
    const p = path ? `${path}.${k}` : k;
    const current = out[k];
    let next: unknown;
    if (v === null) next = undefined;
    else if (isMap(v)) next = mergeMap(isMap(current) ? current : {}, v, sub, p);
    else if (Array.isArray(v)) next = mergeList(Array.isArray(current) ? current : [], v, sub, p);
    else next = v;
    if (next === undefined) delete out[k];
    else out[k] = next;
  }
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(SET_ELEMENT_ORDER) || !Array.isArray(order)) continue;
    const field = k.slice(SET_ELEMENT_ORDER.length);
    const list = out[field];
    if (!Array.isArray(list)) continue;
    const strategy = listStrategy(fieldSchema(schema, field));
    out[field] = applyOrder(list, order, strategy.type === 'keyed' ? strategy.mergeKey : undefined);
  }
  return out;
}

/**
 * Applies a strategic merge patch to `original` (not modified) for an object of `kind` (by
 * default the original's own kind). Kinds without a schema merge like a JSON merge patch.
 * Throws ApiError BadRequest for a patch that is not an object, an unknown `$patch` or an
 * element without its list's merge key.
 */
export function strategicMergePatch(original: unknown, patch: unknown, kind?: string): JsonMap {
  if (!isMap(patch)) throw errors.badRequest('a strategic merge patch must be a JSON object');
  const base = isMap(original) ? original : {};
  const schema = patchSchemaFor(kind ?? base.kind);
  return mergeMap(structuredClone(base), patch, schema, '') ?? {};
}
