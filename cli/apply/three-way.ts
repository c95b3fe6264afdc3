// kubectl's client-side apply patch (strategicpatch.CreateThreeWayMergePatch): from the
// last-applied configuration (original), the new manifest (modified) and the live object
// (current) it builds a strategic merge patch that
//  - sets what the manifest says wherever the live object differs (changes and additions
//    from current -> modified, never deleting what others or the server added), and
//  - deletes what the previous apply set and the manifest no longer has (deletions from
//    original -> modified).
// Lists with a merge key change element by element ({"$patch": "delete", key} removes one,
// "$setElementOrder/<field>" keeps the manifest's order); other lists are sent whole.
import { mergeKeyFor, type FieldPath } from './merge-keys.js';

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

const SET_ORDER = '$setElementOrder/';

function keyOf(el: Json, key: string): Json | undefined {
  return isMap(el) ? el[key] : undefined;
}

function diffList(from: Json[], to: Json[], key: string, mode: Mode, path: FieldPath): Json[] {
  const out: Json[] = [];
  const elPath = [...path, '[]'];
  if (mode === 'changes') {
    for (const el of to) {
      const k = keyOf(el, key);
      const before = k === undefined ? undefined : from.find((f) => deepEqual(keyOf(f, key), k));
      if (before === undefined) out.push(el);
      else if (isMap(before) && isMap(el)) {
        const d = diffMaps(before, el, mode, elPath);
        if (Object.keys(d).length > 0) out.push({ [key]: k as Json, ...d });
      }
    }
  } else {
    for (const el of from) {
      const k = keyOf(el, key);
      if (k === undefined) continue;
      const after = to.find((t) => deepEqual(keyOf(t, key), k));
      if (after === undefined) out.push({ $patch: 'delete', [key]: k });
      else if (isMap(el) && isMap(after)) {
        const d = diffMaps(el, after, mode, elPath);
        if (Object.keys(d).length > 0) out.push({ [key]: k, ...d });
      }
    }
  }
  return out;
}

function diffMaps(from: JsonMap, to: JsonMap, mode: Mode, path: FieldPath): JsonMap {
  const patch: JsonMap = {};
  for (const [k, after] of Object.entries(to)) {
    const before = from[k];
    const p = [...path, k];
    if (before === undefined) {
      if (mode === 'changes') patch[k] = after;
    } else if (isMap(before) && isMap(after)) {
      const d = diffMaps(before, after, mode, p);
      if (Object.keys(d).length > 0) patch[k] = d;
    } else if (Array.isArray(before) && Array.isArray(after)) {
      const key = mergeKeyFor(p);
      if (key && [...before, ...after].every(isMap)) {
        const d = diffList(before, after, key, mode, p);
        if (d.length > 0) {
          patch[k] = d;
          patch[`${SET_ORDER}${k}`] = after.map((el) => ({ [key]: keyOf(el, key) ?? null }));
        }
      } else if (mode === 'changes' && !deepEqual(before, after)) patch[k] = after;
    } else if (mode === 'changes' && !deepEqual(before, after)) {
      patch[k] = after;
    }
  }
  if (mode === 'deletions') for (const k of Object.keys(from)) if (!(k in to)) patch[k] = null;
  return patch;
}

/** Merges two patches of the same object (deletions first, then changes), lists by merge key. */
function mergePatches(a: JsonMap, b: JsonMap, path: FieldPath): JsonMap {
  const out: JsonMap = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    if (isMap(prev) && isMap(v)) out[k] = mergePatches(prev, v, [...path, k]);
    else if (Array.isArray(prev) && Array.isArray(v) && !k.startsWith(SET_ORDER)) {
      const key = mergeKeyFor([...path, k]);
      if (!key) {
        out[k] = v;
        continue;
      }
      const merged = [...prev];
      for (const el of v) {
        const i = merged.findIndex((m) => deepEqual(keyOf(m, key), keyOf(el, key)));
        const cur = merged[i];
        if (i >= 0 && isMap(cur) && isMap(el)) merged[i] = mergePatches(cur, el, [...path, k, '[]']);
        else merged.push(el);
      }
      out[k] = merged;
    } else out[k] = v;
  }
  return out;
}

/** The patch `kubectl apply` would send; `{}` means the live object already matches. */
export function threeWayMergePatch(original: JsonMap | undefined, modified: JsonMap, current: JsonMap): JsonMap {
  const changes = diffMaps(current, modified, 'changes', []);
  const deletions = original ? diffMaps(original, modified, 'deletions', []) : {};
  return mergePatches(deletions, changes, []);
}
