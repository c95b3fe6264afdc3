// kubectl's client-side apply patch (strategicpatch.CreateThreeWayMergePatch): from the
// last-applied configuration (original), the new manifest (modified) and the live object
// (current) it builds a strategic merge patch that
//  - sets what the manifest says wherever the live object differs (changes and additions
//    from current -> modified, never deleting what others or the server added), and
//  - deletes what the previous apply set and the manifest no longer has (deletions from
//    original -> modified).
// Lists with a merge key change element by element ({"$patch": "delete", key} removes one,
// "$setElementOrder/<field>" keeps the manifest's order), sets of primitives (finalizers) by
// member ("$deleteFromPrimitiveList/<field>" removes some); other lists are sent whole. Which
// list is which comes from the one table (api/patch-strategy.ts) the API server merges with.
import { fieldSchema, listStrategy, patchSchemaFor, type JsonSchema, type ListStrategy } from '../../api/patch-strategy.js';
import { DELETE_FROM_PRIMITIVE_LIST, RETAIN_KEYS, SET_ELEMENT_ORDER } from '../../api/strategic-merge-patch.js';

type KeyedStrategy = Extract<ListStrategy, { type: 'keyed' }>;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonMap = { [k: string]: Json };

export const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

type Mode = 'changes' | 'deletions';

function keyOf(el: Json, key: string): Json | undefined {
  return isMap(el) ? el[key] : undefined;
}

/**
 * The element patches of a keyed list. Under a retainKeys strategy (volumes) a changed
 * element also says which keys it keeps, as kubectl sends it, so a switched volume source
 * clears the old one.
 */
function diffList(from: Json[], to: Json[], strategy: KeyedStrategy, mode: Mode, items: JsonSchema | undefined): Json[] {
  const key = strategy.mergeKey;
  const out: Json[] = [];
  const changed = (k: Json, before: JsonMap, after: JsonMap): void => {
    const d = diffMaps(before, after, mode, items);
    if (Object.keys(d).length === 0) return;
    const retain: JsonMap = strategy.retainKeys ? { [RETAIN_KEYS]: Object.keys(after).filter((x) => after[x] !== null).sort() } : {};
    out.push({ [key]: k, ...retain, ...d });
  };
  if (mode === 'changes') {
    for (const el of to) {
      const k = keyOf(el, key);
      const before = k === undefined ? undefined : from.find((f) => deepEqual(keyOf(f, key), k));
      if (before === undefined) out.push(el);
      else if (isMap(before) && isMap(el)) changed(k as Json, before, el);
    }
  } else {
    for (const el of from) {
      const k = keyOf(el, key);
      if (k === undefined) continue;
      const after = to.find((t) => deepEqual(keyOf(t, key), k));
      if (after === undefined) out.push({ $patch: 'delete', [key]: k });
      else if (isMap(el) && isMap(after)) changed(k, el, after);
    }
  }
  return out;
}

function diffMaps(from: JsonMap, to: JsonMap, mode: Mode, schema: JsonSchema | undefined): JsonMap {
  const patch: JsonMap = {};
  for (const [k, after] of Object.entries(to)) {
    const before = from[k];
    const sub = fieldSchema(schema, k);
    if (before === undefined) {
      if (mode === 'changes') patch[k] = after;
    } else if (isMap(before) && isMap(after)) {
      const d = diffMaps(before, after, mode, sub);
      if (Object.keys(d).length > 0) patch[k] = d;
    } else if (Array.isArray(before) && Array.isArray(after)) {
      Object.assign(patch, diffLists(k, before, after, mode, sub));
    } else if (mode === 'changes' && !deepEqual(before, after)) {
      patch[k] = after;
    }
  }
  if (mode === 'deletions') for (const k of Object.keys(from)) if (!(k in to)) patch[k] = null;
  return patch;
}

/** The patch entries for the list `field` going from `before` to `after`, by the list's strategy. */
function diffLists(field: string, before: Json[], after: Json[], mode: Mode, schema: JsonSchema | undefined): JsonMap {
  const strategy = listStrategy(schema);
  if (strategy.type === 'keyed' && [...before, ...after].every(isMap)) {
    const key = strategy.mergeKey;
    const d = diffList(before, after, strategy, mode, schema?.items);
    if (d.length === 0) return {};
    return { [field]: d, [`${SET_ELEMENT_ORDER}${field}`]: after.map((el) => ({ [key]: keyOf(el, key) ?? null })) };
  }
  if (strategy.type === 'set' && ![...before, ...after].some((x) => isMap(x) || Array.isArray(x))) {
    if (mode === 'deletions') {
      const removed = before.filter((x) => !after.includes(x));
      return removed.length > 0 ? { [`${DELETE_FROM_PRIMITIVE_LIST}${field}`]: removed } : {};
    }
    const added = after.filter((x) => !before.includes(x));
    return added.length > 0 ? { [field]: added, [`${SET_ELEMENT_ORDER}${field}`]: after } : {};
  }
  return mode === 'changes' && !deepEqual(before, after) ? { [field]: after } : {};
}

/** Merges two patches of the same object (deletions first, then changes), lists by merge key. */
function mergePatches(a: JsonMap, b: JsonMap, schema: JsonSchema | undefined): JsonMap {
  const out: JsonMap = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    const sub = fieldSchema(schema, k);
    const strategy = listStrategy(sub);
    if (isMap(prev) && isMap(v)) out[k] = mergePatches(prev, v, sub);
    else if (Array.isArray(prev) && Array.isArray(v) && !k.startsWith(SET_ELEMENT_ORDER) && strategy.type === 'keyed') {
      const key = strategy.mergeKey;
      const merged = [...prev];
      for (const el of v) {
        const i = merged.findIndex((m) => deepEqual(keyOf(m, key), keyOf(el, key)));
        const cur = merged[i];
        if (i >= 0 && isMap(cur) && isMap(el)) merged[i] = mergePatches(cur, el, sub?.items);
        else merged.push(el);
      }
      out[k] = merged;
    } else out[k] = v;
  }
  return out;
}

/** The patch `kubectl apply` would send; `{}` means the live object already matches. */
export function threeWayMergePatch(original: JsonMap | undefined, modified: JsonMap, current: JsonMap): JsonMap {
  const schema = patchSchemaFor(modified.kind ?? current.kind);
  const changes = diffMaps(current, modified, 'changes', schema);
  const deletions = original ? diffMaps(original, modified, 'deletions', schema) : {};
  return mergePatches(deletions, changes, schema);
}
