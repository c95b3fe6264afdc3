// Stored objects travel as JSON strings with apiVersion, kind and metadata first, so the
// server can put a resourceVersion into them (and answer or fan them out) without parsing
// and re-serialising. The JSON already made for an object is remembered beside it.
import type { KubeObject } from '../../api/types/meta.js';

const made = new WeakMap<object, string>();
/** The stored form an object was decoded from (or written as): a read-modify-write compares with it. */
const storedForm = new WeakMap<object, string>();

/** The stored form: no resourceVersion (it is etcd's mod_revision), metadata near the front. */
export function encode(obj: KubeObject): string {
  const { apiVersion, kind, metadata, ...rest } = obj;
  // Destructuring rather than `delete`, which would turn the copy into a slow dictionary.
  const { resourceVersion: _rv, ...meta } = metadata ?? {};
  return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
}

/** The stored JSON `obj` was decoded from or written as, when known. */
export function storedFormOf(obj: object): string | undefined {
  return storedForm.get(obj);
}

export function rememberStored<T extends object>(obj: T, stored: string): T {
  storedForm.set(obj, stored);
  return obj;
}

const META = '"metadata":{';

/**
 * The stored JSON with metadata.resourceVersion set. Only apiVersion and kind (strings, whose
 * quotes are escaped) can come before the top-level metadata in `encode`'s output, so the
 * first `"metadata":{` is the top-level one.
 */
export function withResourceVersion(stored: string, rev: number | string): string {
  const i = stored.indexOf(META);
  if (i < 0) {
    const obj = JSON.parse(stored) as KubeObject;
    obj.metadata = { ...obj.metadata, resourceVersion: String(rev) };
    return JSON.stringify(obj);
  }
  const at = i + META.length;
  const sep = stored[at] === '}' ? '' : ',';
  return `${stored.slice(0, at)}"resourceVersion":"${rev}"${sep}${stored.slice(at)}`;
}

export function decode(stored: string, rev: number | string): KubeObject {
  const obj = JSON.parse(stored) as KubeObject;
  obj.metadata = { ...obj.metadata, resourceVersion: String(rev) };
  return rememberStored(obj, stored);
}

export function remember<T extends KubeObject>(obj: T, json: string): T {
  made.set(obj, json);
  return obj;
}

/** The JSON of an object: the remembered string if it has one, else a fresh stringify. */
export function jsonOf(obj: unknown): string {
  return (typeof obj === 'object' && obj !== null ? made.get(obj) : undefined) ?? JSON.stringify(obj);
}
