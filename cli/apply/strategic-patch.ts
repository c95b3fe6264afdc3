// Applies a strategic merge patch to an object, as the API server does for the core types:
// null deletes a field, maps merge, lists with a merge key merge by key ($patch: delete
// removes an element, $setElementOrder orders them), other lists are replaced. `apply`
// uses it when a server cannot take strategic merge patches (it then PUTs the result),
// and the tests use it to check that a computed patch turns the live object into the
// intended one.
import { mergeKeyFor, type FieldPath } from './merge-keys.js';
import { deepEqual, isMap, type Json, type JsonMap } from './three-way.js';

const SET_ORDER = '$setElementOrder/';

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.filter((e) => !(isMap(e) && e.$patch === 'delete')).map(stripDirectives);
  if (!isMap(v)) return v;
  const out: JsonMap = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === '$patch' || k.startsWith(SET_ORDER)) continue;
    if (x !== null) out[k] = stripDirectives(x);
  }
  return out;
}

function mergeList(current: Json[], patch: Json[], key: string, order: Json[] | undefined, path: FieldPath): Json[] {
  const out = [...current];
  for (const el of patch) {
    const k = isMap(el) ? el[key] : undefined;
    const i = k === undefined ? -1 : out.findIndex((c) => isMap(c) && deepEqual(c[key], k));
    if (isMap(el) && el.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0 && isMap(out[i]) && isMap(el)) {
      out[i] = applyStrategicPatch(out[i] as JsonMap, el, [...path, '[]']);
    } else {
      out.push(stripDirectives(el));
    }
  }
  if (!order) return out;
  const rank = (c: Json) => order.findIndex((o) => isMap(o) && isMap(c) && deepEqual(o[key], c[key]));
  const ordered = out.filter((c) => rank(c) >= 0).sort((a, b) => rank(a) - rank(b));
  return [...ordered, ...out.filter((c) => rank(c) < 0)];
}

export function applyStrategicPatch(current: JsonMap, patch: JsonMap, path: FieldPath = []): JsonMap {
  const out: JsonMap = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith(SET_ORDER) || k === '$patch') continue;
    const p = [...path, k];
    const cur = out[k];
    if (v === null) delete out[k];
    else if (isMap(v) && isMap(cur)) out[k] = applyStrategicPatch(cur, v, p);
    else if (Array.isArray(v) && Array.isArray(cur) && mergeKeyFor(p)) {
      const order = patch[`${SET_ORDER}${k}`];
      out[k] = mergeList(cur, v, mergeKeyFor(p) as string, Array.isArray(order) ? order : undefined, p);
    } else out[k] = stripDirectives(v);
  }
  return out;
}
