// What a configMap, secret, downwardAPI or projected volume holds: relative path → bytes and
// mode, as Kubernetes' MakePayload / CollectData make it (items map keys to paths, item
// `mode` over `defaultMode` over 0644; `optional` lets a missing object be an empty volume
// and a missing item key be no file). The AtomicWriter puts a payload on disk.
import type { ConfigMap, DownwardAPIVolumeFile, KeyToPath, Pod, Secret, Volume } from '../api/types/core.js';
import { notFoundMessage, secretBytes, type ConfigLookup, type Fetched } from './config-lookup.js';
import { fieldValue, resourceValue, type EnvContext } from './env.js';

export interface FileProjection {
  data: Buffer;
  mode: number;
}

/** Relative path → file. */
export type Payload = Map<string, FileProjection>;

/** Kubernetes' default file mode for these volumes (the API's defaultMode: 420). */
export const DEFAULT_FILE_MODE = 0o644;

export class PayloadError extends Error {}

/** The object, undefined when missing and optional; a PayloadError otherwise. */
function must<T>(r: Fetched<T>, kind: 'ConfigMap' | 'Secret', name: string, optional: boolean | undefined): T | undefined {
  if ('found' in r) return r.found;
  if ('error' in r) throw new PayloadError(r.error);
  if (optional) return undefined;
  throw new PayloadError(notFoundMessage(kind, name));
}

/** One object's keys as files: all of them, or only `items` (a missing item key is an error unless optional). */
function keysPayload(
  keys: Map<string, Buffer>,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  optional: boolean | undefined,
  missing: (key: string) => string,
): Payload {
  const out: Payload = new Map();
  if (!items || items.length === 0) {
    for (const [k, data] of keys) out.set(k, { data, mode: defaultMode });
    return out;
  }
  for (const it of items) {
    const data = keys.get(it.key);
    if (data === undefined) {
      if (optional) continue;
      throw new PayloadError(missing(it.key));
    }
    out.set(it.path, { data, mode: it.mode ?? defaultMode });
  }
  return out;
}

function configMapKeys(cm: ConfigMap | undefined): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm?.data ?? {})) m.set(k, Buffer.from(v));
  for (const [k, v] of Object.entries(cm?.binaryData ?? {})) m.set(k, Buffer.from(v, 'base64'));
  return m;
}

function secretKeys(s: Secret | undefined): Map<string, Buffer> {
  return new Map(Object.entries(s?.data ?? {}).map(([k, v]) => [k, secretBytes(v)]));
}

export function configMapPayload(name: string, items: KeyToPath[] | undefined, optional: boolean | undefined, defaultMode: number, lookup: ConfigLookup): Payload {
  const cm = must(lookup.configMap(name), 'ConfigMap', name, optional);
  return keysPayload(configMapKeys(cm), items, defaultMode, optional, (k) => `configmap references non-existent config key: ${k}`);
}

export function secretPayload(name: string, items: KeyToPath[] | undefined, optional: boolean | undefined, defaultMode: number, lookup: ConfigLookup): Payload {
  const s = must(lookup.secret(name), 'Secret', name, optional);
  return keysPayload(secretKeys(s), items, defaultMode, optional, (k) => `references non-existent secret key: ${k}`);
}

/** Go's %q, which Kubernetes' fieldpath.FormatMap writes label and annotation values with. */
export function goQuote(s: string): string {
  const named: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\t': '\\t', '\r': '\\r', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\v': '\\v' };
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (named[ch]) out += named[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** `k="v"` lines in key order, no trailing newline (fieldpath.FormatMap). */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote((m ?? {})[k])}`)
    .join('\n');
}

function downwardFile(pod: Pod, f: DownwardAPIVolumeFile, ctx: EnvContext): string {
  if (f.fieldRef) {
    if (f.fieldRef.fieldPath === 'metadata.labels') return formatMap(pod.metadata.labels);
    if (f.fieldRef.fieldPath === 'metadata.annotations') return formatMap(pod.metadata.annotations);
    return fieldValue(pod, f.fieldRef.fieldPath, ctx);
  }
  if (f.resourceFieldRef) {
    const name = f.resourceFieldRef.containerName;
    const c = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((x) => x.name === name);
    if (!c) throw new PayloadError(`resourceFieldRef: no container ${JSON.stringify(name ?? '')}`);
    return resourceValue(pod, c, f.resourceFieldRef, ctx);
  }
  return '';
}

export function downwardAPIPayload(pod: Pod, items: DownwardAPIVolumeFile[] | undefined, defaultMode: number, ctx: EnvContext): Payload {
  const out: Payload = new Map();
  for (const f of items ?? []) {
    try {
      out.set(f.path, { data: Buffer.from(downwardFile(pod, f, ctx)), mode: f.mode ?? defaultMode });
    } catch (e) {
      throw new PayloadError(e instanceof Error ? e.message : String(e));
    }
  }
  return out;
}

/**
 * A projected volume: its sources in order into one payload. A serviceAccountToken source is
 * refused: skiff has no token issuer yet, and a file that looks like a token but is not one
 * would only fail later and further away.
 */
export function projectedPayload(pod: Pod, v: NonNullable<Volume['projected']>, lookup: ConfigLookup, ctx: EnvContext): Payload {
  const mode = v.defaultMode ?? DEFAULT_FILE_MODE;
  const out: Payload = new Map();
  for (const s of v.sources ?? []) {
    let part: Payload;
    if (s.serviceAccountToken) throw new PayloadError('projected serviceAccountToken sources are not supported: this cluster issues no service account tokens yet');
    else if (s.configMap) part = configMapPayload(s.configMap.name, s.configMap.items, s.configMap.optional, mode, lookup);
    else if (s.secret) part = secretPayload(s.secret.name, s.secret.items, s.secret.optional, mode, lookup);
    else if (s.downwardAPI) part = downwardAPIPayload(pod, s.downwardAPI.items, mode, ctx);
    else continue;
    for (const [p, f] of part) out.set(p, f);
  }
  return out;
}

/** The payload of a volume made of API data; undefined for other kinds (emptyDir, hostPath). */
export function volumePayload(pod: Pod, v: Volume, lookup: ConfigLookup, ctx: EnvContext): Payload | undefined {
  if (v.configMap) return configMapPayload(v.configMap.name, v.configMap.items, v.configMap.optional, v.configMap.defaultMode ?? DEFAULT_FILE_MODE, lookup);
  if (v.secret) return secretPayload(v.secret.secretName, v.secret.items, v.secret.optional, v.secret.defaultMode ?? DEFAULT_FILE_MODE, lookup);
  if (v.downwardAPI) return downwardAPIPayload(pod, v.downwardAPI.items, v.downwardAPI.defaultMode ?? DEFAULT_FILE_MODE, ctx);
  if (v.projected) return projectedPayload(pod, v.projected, lookup, ctx);
  return undefined;
}

/** Volumes whose files hold Secret bytes: they live on tmpfs, never on the node's disk. */
export function holdsSecrets(v: Volume): boolean {
  return !!v.secret || (v.projected?.sources ?? []).some((s) => !!s.secret);
}
