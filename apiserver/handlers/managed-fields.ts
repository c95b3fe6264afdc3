// Field sets for server-side apply: which fields of an object a manager owns, in Kubernetes'
// FieldsV1 notation. A path is a list of elements: `f:name` (a field), `k:{"name":"app"}`
// (the element of a list merged by key, from the one patch-strategy table), `v:"x"` (a
// member of a list kept as a set, such as finalizers). Lists without a key are atomic:
// owned whole, as a leaf. In FieldsV1 a path's elements nest as objects; `.` marks a node
// that is owned itself and also has owned children (a list element and its fields).
import { fieldSchema, listStrategy, patchSchemaFor, type JsonSchema } from '../../api/patch-strategy.js';

export type FieldPath = string[];

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** metadata the server sets or derives: never owned by a manager. */
const SYSTEM_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink', 'generateName']);

/** A set of paths, each stored as its JSON (paths are short; sets hold dozens). */
export class FieldSet {
  readonly #paths = new Map<string, FieldPath>();

  constructor(paths: Iterable<FieldPath> = []) {
    for (const p of paths) this.add(p);
  }

  add(p: FieldPath): void {
    this.#paths.set(JSON.stringify(p), p);
  }

  delete(p: FieldPath): void {
    this.#paths.delete(JSON.stringify(p));
  }

  has(p: FieldPath): boolean {
    return this.#paths.has(JSON.stringify(p));
  }

  /** Whether p or a path under it is in the set. */
  hasAtOrUnder(p: FieldPath): boolean {
    for (const q of this.#paths.values()) if (q.length >= p.length && p.every((e, i) => q[i] === e)) return true;
    return false;
  }

  get size(): number {
    return this.#paths.size;
  }

  paths(): FieldPath[] {
    return [...this.#paths.values()];
  }

  minus(other: FieldSet): FieldSet {
    return new FieldSet(this.paths().filter((p) => !other.has(p)));
  }

  equals(other: FieldSet): boolean {
    return this.size === other.size && this.paths().every((p) => other.has(p));
  }
}

/** `k:{...}` of a list element: the merge key and its value, as Kubernetes writes it. */
function keyElement(key: string, value: unknown): string {
  return `k:${JSON.stringify({ [key]: value })}`;
}

function walk(value: unknown, path: FieldPath, schema: JsonSchema | undefined, out: FieldSet): void {
  if (isObj(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== null && v !== undefined);
    if (entries.length === 0) out.add(path);
    for (const [k, v] of entries) walk(v, [...path, `f:${k}`], fieldSchema(schema, k), out);
    return;
  }
  if (Array.isArray(value)) {
    const strategy = listStrategy(schema);
    if (strategy.type === 'keyed') {
      const key = strategy.mergeKey;
      if (value.length > 0 && value.every((el) => isObj(el) && el[key] !== undefined)) {
        for (const el of value as Obj[]) {
          const itemPath = [...path, keyElement(key, el[key])];
          out.add(itemPath);
          walk(el, itemPath, schema?.items, out);
        }
        return;
      }
    }
    if (strategy.type === 'set' && value.every((el) => !isObj(el) && !Array.isArray(el))) {
      for (const el of value) out.add([...path, `v:${JSON.stringify(el)}`]);
      return;
    }
  }
  out.add(path);
}

/** The fields an applied configuration sets (status and system metadata are not applied). */
export function fieldSetOf(config: Obj): FieldSet {
  const out = new FieldSet();
  const schema = patchSchemaFor(config.kind);
  for (const [k, v] of Object.entries(config)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status' || v === null || v === undefined) continue;
    const sub = fieldSchema(schema, k);
    if (k === 'metadata' && isObj(v)) {
      for (const [mk, mv] of Object.entries(v)) if (!SYSTEM_METADATA.has(mk) && mv !== null && mv !== undefined) walk(mv, ['f:metadata', `f:${mk}`], fieldSchema(sub, mk), out);
      continue;
    }
    walk(v, [`f:${k}`], sub, out);
  }
  return out;
}

/** A set as FieldsV1 JSON. */
export function toFieldsV1(set: FieldSet): Obj {
  const root: Obj = {};
  const sorted = set.paths().sort((a, b) => a.length - b.length);
  for (const p of sorted) {
    let node = root;
    for (const el of p) {
      if (!isObj(node[el])) node[el] = {};
      node = node[el] as Obj;
    }
    node['.'] = {};
  }
  // A leaf is written `{}`; `.` stays only where the node also has children.
  const tidy = (n: Obj): Obj => {
    const keys = Object.keys(n).filter((k) => k !== '.');
    if (keys.length === 0) return {};
    const out: Obj = n['.'] ? { '.': {} } : {};
    for (const k of keys.sort()) out[k] = tidy(n[k] as Obj);
    return out;
  };
  return tidy(root);
}

/** FieldsV1 JSON back to a set; anything malformed is ignored, as it owns nothing. */
export function fromFieldsV1(fields: unknown): FieldSet {
  const out = new FieldSet();
  const visit = (n: unknown, path: FieldPath) => {
    if (!isObj(n)) return;
    const keys = Object.keys(n);
    if (keys.length === 0 && path.length > 0) out.add(path);
    for (const k of keys) {
      if (k === '.') out.add(path);
      else visit(n[k], [...path, k]);
    }
  };
  visit(fields, []);
  return out;
}

/** The index of the list element a `k:` or `v:` path element names, or -1. */
function findElement(list: unknown[], el: string): number {
  const spec = JSON.parse(el.slice(2)) as unknown;
  if (el.startsWith('v:')) return list.findIndex((x) => JSON.stringify(x) === JSON.stringify(spec));
  if (!isObj(spec)) return -1;
  return list.findIndex((x) => isObj(x) && Object.entries(spec).every(([k, v]) => JSON.stringify(x[k]) === JSON.stringify(v)));
}

/** The value at a path, or undefined when the object has none there. */
export function valueAt(obj: unknown, path: FieldPath): unknown {
  let node: unknown = obj;
  for (const el of path) {
    if (el.startsWith('f:')) {
      if (!isObj(node)) return undefined;
      node = node[el.slice(2)];
    } else if (Array.isArray(node)) {
      const i = findElement(node, el);
      if (i < 0) return undefined;
      node = node[i];
    } else return undefined;
  }
  return node;
}

/** Removes what a path names from an object (in place); a map left empty goes too. */
export function removeAt(obj: Obj, path: FieldPath): void {
  const parents: { node: Obj | unknown[]; el: string }[] = [];
  let node: unknown = obj;
  for (const el of path) {
    if (el.startsWith('f:') && isObj(node)) {
      parents.push({ node, el });
      node = node[el.slice(2)];
    } else if (Array.isArray(node) && !el.startsWith('f:')) {
      parents.push({ node, el });
      const i = findElement(node, el);
      if (i < 0) return;
      node = node[i];
    } else return;
    if (node === undefined) return;
  }
  for (let i = parents.length - 1; i >= 0; i--) {
    const { node: parent, el } = parents[i] as { node: Obj | unknown[]; el: string };
    if (Array.isArray(parent)) {
      const at = findElement(parent, el);
      if (at >= 0) parent.splice(at, 1);
      return;
    }
    delete parent[el.slice(2)];
    // Going up: drop a parent map only when this removal emptied it (never the object's top).
    if (i === 0 || Object.keys(parent).length > 0) return;
  }
}

/** `.metadata.labels.app`, `.spec.containers[name="app"].image`: how Kubernetes prints a path in a conflict. */
export function formatPath(path: FieldPath): string {
  return path
    .map((el) => {
      if (el.startsWith('f:')) return `.${el.slice(2)}`;
      const spec = JSON.parse(el.slice(2)) as unknown;
      if (el.startsWith('v:')) return `[${JSON.stringify(spec)}]`;
      return `[${Object.entries(spec as Obj)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    })
    .join('');
}
