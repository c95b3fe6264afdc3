// The kubectl.kubernetes.io/last-applied-configuration annotation: the manifest as last
// applied, kept on the object so the next apply knows which fields it owns (and may
// delete). Written the way kubectl writes it, so skiff and kubectl can take turns.
import type { KubeObject } from '../../api/types/meta.js';
import { isMap, type Json, type JsonMap } from './three-way.js';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** JSON with map keys in order, as Go's encoding/json writes maps. */
function sorted(v: Json): Json {
  if (Array.isArray(v)) return v.map(sorted);
  if (!isMap(v)) return v;
  const out: JsonMap = {};
  for (const k of Object.keys(v).sort()) out[k] = sorted(v[k] as Json);
  return out;
}

/**
 * The object to apply: the manifest with the annotation set to the manifest itself (without
 * that annotation, and with an empty annotations map when it had none, as kubectl leaves it).
 */
export function withLastApplied<T extends KubeObject>(obj: T): T {
  const annotations = { ...(obj.metadata.annotations ?? {}) };
  delete annotations[LAST_APPLIED];
  const bare = { ...obj, metadata: { ...obj.metadata, annotations } };
  const text = `${JSON.stringify(sorted(bare as unknown as Json))}\n`;
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...annotations, [LAST_APPLIED]: text } } };
}

/** The configuration of the previous apply, or undefined when the object was never applied. */
export function lastAppliedOf(live: KubeObject): JsonMap | undefined {
  const text = live.metadata.annotations?.[LAST_APPLIED];
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isMap(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
