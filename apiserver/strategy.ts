// What the server itself decides about an object (kube's RESTCreateStrategy /
// RESTUpdateStrategy), the same for every kind: the fields it sets on create (uid,
// creationTimestamp, generation), what a write through the main resource or through /status
// may change, and when generation moves (on spec changes only). What is particular to a kind
// (its fresh status, its grace period) is in its declaration (api/kinds/).
import { randomUUID } from 'node:crypto';
import { kindDefinition } from '../api/kinds/index.js';
import type { ResourceInfo } from '../api/resources.js';
import type { KubeObject, ObjectMeta } from '../api/types/meta.js';
import { metaTime } from '../api/time.js';

type AnyObject = KubeObject & { spec?: unknown; status?: unknown };

let lastSecond = -1;
let lastStamp = '';

/** RFC 3339 to the second, as Kubernetes writes metav1.Time. */
export function timestamp(d?: Date): string {
  if (d) return metaTime(d);
  // "Now" is asked on every create and binding: format each second once.
  const ms = Date.now();
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastStamp = metaTime(second * 1000);
    lastSecond = second;
  }
  return lastStamp;
}

/** The last second RFC 3339 (and Go's metav1.Time) can write: 9999-12-31T23:59:59Z. */
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

/** `seconds` after `from`, no later than LATEST_MS: an int64 grace period must not make an invalid date. */
export function secondsAfter(from: Date, seconds: number): Date {
  return new Date(Math.min(from.getTime() + seconds * 1000, LATEST_MS));
}

/** The system metadata of a new object; its kind's own create preparation ran with the defaults (admission.ts). */
export function prepareForCreate(r: ResourceInfo, obj: KubeObject, now?: Date): KubeObject {
  const o = obj as AnyObject;
  // Destructuring rather than `delete`, which would turn the copy into a slow dictionary.
  const { resourceVersion: _rv, deletionTimestamp: _dt, deletionGracePeriodSeconds: _dg, ...meta } = o.metadata as ObjectMeta;
  // A kind that set the uid in its own create preparation (a Job) keeps it; any other uid a client sent is replaced.
  if (!(kindDefinition(r.kind)?.strategy?.assignsUid && meta.uid)) meta.uid = randomUUID();
  meta.creationTimestamp = timestamp(now);
  meta.generation = 1;
  if (!r.namespaced) delete meta.namespace;
  o.metadata = meta;
  o.apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
  o.kind = r.kind;
  return o;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * The object to store for an update of `old` with `next`. Through the main resource the
 * status is kept as stored; through /status only the status (plus labels and annotations,
 * as Kubernetes allows) changes. System metadata never changes through an update.
 */
export function prepareForUpdate(r: ResourceInfo, subresource: string | undefined, next: KubeObject, old: KubeObject): KubeObject {
  const n = next as AnyObject;
  const o = old as AnyObject;
  const meta: ObjectMeta = { ...n.metadata };
  meta.name = o.metadata.name;
  if (r.namespaced) meta.namespace = o.metadata.namespace;
  else delete meta.namespace;
  meta.uid = o.metadata.uid;
  meta.creationTimestamp = o.metadata.creationTimestamp;
  meta.generation = o.metadata.generation ?? 1;
  setOrDelete(meta, 'deletionTimestamp', o.metadata.deletionTimestamp);
  setOrDelete(meta, 'deletionGracePeriodSeconds', o.metadata.deletionGracePeriodSeconds);
  delete meta.resourceVersion;
  n.apiVersion = o.apiVersion;
  n.kind = o.kind;
  if (subresource === 'status') {
    const out: AnyObject = { ...o, metadata: { ...o.metadata, labels: meta.labels, annotations: meta.annotations }, status: n.status };
    if (meta.labels === undefined) delete out.metadata.labels;
    if (meta.annotations === undefined) delete out.metadata.annotations;
    delete out.metadata.resourceVersion;
    if (out.status === undefined) delete out.status;
    return out;
  }
  // A resource with a status subresource takes its status only through /status.
  if (r.subresources.includes('status')) {
    if (o.status === undefined) delete n.status;
    else n.status = o.status;
  }
  // The kind's hook sees the metadata as it will be stored (and may set its annotations).
  n.metadata = meta;
  kindDefinition(r.kind)?.strategy?.prepareForUpdate?.(n, o, subresource);
  const moved = kindDefinition(r.kind)?.strategy?.generationChanged?.(n, o) ?? false;
  if (('spec' in n || 'spec' in o) && !sameJson(n.spec, o.spec)) meta.generation = (o.metadata.generation ?? 1) + 1;
  else if (moved) meta.generation = (o.metadata.generation ?? 1) + 1;
  return n;
}

function setOrDelete<K extends keyof ObjectMeta>(meta: ObjectMeta, k: K, v: ObjectMeta[K]): void {
  if (v === undefined) delete meta[k];
  else meta[k] = v;
}

/**
 * An object whose deletion was asked for and that nothing holds any more goes for good
 * (ShouldDeleteDuringUpdate: no grace period left, no finalizer, none of its kind's own).
 */
export function readyToDelete(obj: KubeObject): boolean {
  const m = obj.metadata;
  return (
    m.deletionTimestamp !== undefined &&
    (m.deletionGracePeriodSeconds ?? 0) === 0 &&
    !(m.finalizers && m.finalizers.length > 0) &&
    !kindDefinition(obj.kind)?.strategy?.holdsDeletion?.(obj)
  );
}
