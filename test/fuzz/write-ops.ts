// The six ways a client writes a changed object — create, update (PUT), and the four patch
// types — each turned into the request that puts `value` at a field path of a fresh object.
import type { ResourceInfo } from '../../api/resources.js';
import { fieldSchema, listStrategy } from '../../api/patch-strategy.js';
import { adminReq, collectionPath, freshObject, objectPath, type FuzzEnv } from './scenario.js';
import type { FuzzRequest } from './runner.js';
import type { JsonSchema } from '../../api/schemas/index.js';
import { baseObject, schemaOf, setAt, type Segment } from './schema-gen.js';

export const WRITE_OPS = ['create', 'update', 'merge-patch', 'json-patch', 'strategic', 'apply'] as const;
export type WriteOp = (typeof WRITE_OPS)[number];

export const PATCH_TYPES: Record<Exclude<WriteOp, 'create' | 'update'>, string> = {
  'merge-patch': 'application/merge-patch+json',
  'json-patch': 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

function has(o: unknown, seg: Segment): boolean {
  return typeof o === 'object' && o !== null && Object.prototype.hasOwnProperty.call(o, seg);
}

function getAt(o: unknown, segments: Segment[]): unknown {
  let cur = o;
  for (const s of segments) cur = typeof cur === 'object' && cur !== null ? (cur as Record<Segment, unknown>)[s] : undefined;
  return cur;
}

const pointer = (segments: Segment[]) => segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/** A JSON patch that puts the changed subtree in place: replace what exists, add under the deepest parent that does. */
export function jsonPatchFor(current: Record<string, unknown>, changed: Record<string, unknown>, segments: Segment[]): unknown[] {
  let depth = 0;
  let cur: unknown = current;
  while (depth < segments.length && has(cur, segments[depth])) cur = (cur as Record<Segment, unknown>)[segments[depth++]];
  if (depth === segments.length) return [{ op: 'replace', path: pointer(segments), value: getAt(changed, segments) }];
  const at = segments.slice(0, depth + 1);
  return [{ op: 'add', path: pointer(at), value: getAt(changed, at) }];
}

/** The merge key of the list at `segments`, from the one patch-strategy table the server merges with. */
function mergeKeyAt(r: ResourceInfo, segments: Segment[]): string | undefined {
  let s: JsonSchema | undefined = schemaOf(r);
  for (const seg of segments) s = typeof seg === 'number' ? s?.items : fieldSchema(s, seg);
  const strategy = listStrategy(s);
  return strategy.type === 'keyed' ? strategy.mergeKey : undefined;
}

/**
 * The smallest merge patch that puts the change in place: objects down the path, and at the
 * first list one element holding its merge key and the change only. A strategic merge patch
 * merges it into the stored element by that key; a JSON merge patch replaces the list with
 * it, as a client sending a short list does (so defaults are worked out again).
 */
export function mergePatchFor(r: ResourceInfo, current: Record<string, unknown>, segments: Segment[], value: unknown): Record<string, unknown> {
  const i = segments.findIndex((seg) => typeof seg === 'number');
  if (i < 0) return setAt({}, segments, value);
  const key = mergeKeyAt(r, segments.slice(0, i));
  const stored = getAt(current, segments.slice(0, i + 1));
  const rest = segments.slice(i + 1);
  const element = rest.length === 0 ? value : setAt(key && has(stored, key) ? { [key]: (stored as Record<string, unknown>)[key] } : {}, rest, value);
  return setAt({}, segments.slice(0, i), [element]);
}

/**
 * The request of `op` that writes `value` at `segments`: on a new object for create, on a
 * fresh stored one (made here) for the others. `query` goes on the URL as is.
 */
export async function writeRequest(env: FuzzEnv, r: ResourceInfo, op: WriteOp, segments: Segment[], value: unknown, query = ''): Promise<FuzzRequest> {
  const q = (extra: string) => [query, extra].filter(Boolean).join('&');
  const withQuery = (p: string, extra = '') => (q(extra) ? `${p}?${q(extra)}` : p);
  if (op === 'create') {
    const obj = setAt(baseObject(r, env.fresh(r.singular.slice(0, 3)), env.ns), segments, value);
    return adminReq(env, 'POST', withQuery(collectionPath(env, r)), obj);
  }
  const current = await freshObject(env, r);
  const name = (current.metadata as { name: string }).name;
  const path = objectPath(env, r, name);
  const changed = setAt(current, segments, value);
  switch (op) {
    case 'update':
      return adminReq(env, 'PUT', withQuery(path), changed);
    case 'json-patch':
      return adminReq(env, 'PATCH', withQuery(path), jsonPatchFor(current, changed, segments), PATCH_TYPES[op]);
    case 'apply': {
      const meta = changed.metadata as Record<string, unknown>;
      if (segments[0] !== 'metadata' || segments.length < 2 || !['managedFields', 'uid', 'resourceVersion', 'creationTimestamp'].includes(String(segments[1]))) {
        for (const k of ['managedFields', 'uid', 'resourceVersion', 'creationTimestamp']) delete meta[k];
      }
      return adminReq(env, 'PATCH', withQuery(path, 'fieldManager=fuzz&force=true'), changed, PATCH_TYPES[op]);
    }
    default:
      return adminReq(env, 'PATCH', withQuery(path), mergePatchFor(r, current, segments, value), PATCH_TYPES[op]);
  }
}
