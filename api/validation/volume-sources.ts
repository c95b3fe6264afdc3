// The rules of the volumes made of API data (validateConfigMapVolumeSource,
// validateSecretVolumeSource, validateDownwardAPIVolumeSource, validateProjectedVolumeSource
// in Kubernetes' validation.go): names, items (key and a relative path inside the volume),
// file modes, downward API fields, and projected paths that do not collide.
import { configMapKeyErrors } from '../names.js';
import type { DownwardAPIVolumeFile, KeyToPath, Volume } from '../types/core.js';
import type { StatusCause } from '../types/meta.js';
import { forbidden, invalid, notSupported, required } from './field.js';
import type { FieldPath } from './field.js';

/** Why a projected serviceAccountToken source is refused until the API server issues tokens. */
export const SERVICE_ACCOUNT_TOKENS_NOT_SERVED = 'service account tokens are not served yet: this cluster issues no tokens for pods';

const MAX_MODE = 0o777;
const MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';
const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
const VOLUME_RESOURCES = ['limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage'];

function validateMode(mode: number | undefined, path: FieldPath): StatusCause[] {
  return mode !== undefined && !(Number.isInteger(mode) && mode >= 0 && mode <= MAX_MODE) ? [invalid(path, mode, MODE_ERROR)] : [];
}

/** validateLocalNonReservedPath: relative, no '..' element, not starting with '..'. */
export function validateLocalPath(p: string, path: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  if (p.startsWith('/')) causes.push(invalid(path, p, 'must be a relative path'));
  if (p.split('/').includes('..')) causes.push(invalid(path, p, "must not contain '..'"));
  if (p.startsWith('..')) causes.push(invalid(path, p, "must not start with '..'"));
  return causes;
}

function validateItems(items: KeyToPath[] | undefined, path: FieldPath, paths: Set<string>): StatusCause[] {
  const causes: StatusCause[] = [];
  (items ?? []).forEach((it, i) => {
    const p = path.index(i);
    if (!it.key) causes.push(required(p.child('key')));
    else for (const msg of configMapKeyErrors(it.key)) causes.push(invalid(p.child('key'), it.key, msg));
    if (!it.path) causes.push(required(p.child('path')));
    else causes.push(...validateLocalPath(it.path, p.child('path')), ...conflict(it.path, p.child('path'), paths));
    causes.push(...validateMode(it.mode, p.child('mode')));
  });
  return causes;
}

function conflict(p: string, path: FieldPath, paths: Set<string>): StatusCause[] {
  if (paths.has(p)) return [invalid(path, p, 'conflicting duplicate paths')];
  paths.add(p);
  return [];
}

function validateDownwardFiles(items: DownwardAPIVolumeFile[] | undefined, path: FieldPath, paths: Set<string>): StatusCause[] {
  const causes: StatusCause[] = [];
  (items ?? []).forEach((f, i) => {
    const p = path.index(i);
    if (!f.path) causes.push(required(p.child('path')));
    else causes.push(...validateLocalPath(f.path, p.child('path')), ...conflict(f.path, p.child('path'), paths));
    causes.push(...validateMode(f.mode, p.child('mode')));
    if (f.fieldRef && f.resourceFieldRef) causes.push(invalid(p, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
    else if (f.fieldRef) {
      const fp = f.fieldRef.fieldPath;
      if (!fp) causes.push(required(p.child('fieldRef', 'fieldPath')));
      else if (!/^metadata\.(labels|annotations)\['[^']+'\]$/.test(fp) && !VOLUME_FIELD_PATHS.includes(fp)) causes.push(notSupported(p.child('fieldRef', 'fieldPath'), fp, VOLUME_FIELD_PATHS));
    } else if (f.resourceFieldRef) {
      if (!f.resourceFieldRef.containerName) causes.push(required(p.child('resourceFieldRef', 'containerName')));
      if (!VOLUME_RESOURCES.includes(f.resourceFieldRef.resource)) causes.push(notSupported(p.child('resourceFieldRef', 'resource'), f.resourceFieldRef.resource, VOLUME_RESOURCES));
    } else causes.push(required(p, 'one of fieldRef and resourceFieldRef is required'));
  });
  return causes;
}

/** The API data sources of one volume (the caller checks that it has exactly one source). */
export function validateDataVolume(v: Volume, p: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  if (v.configMap) {
    const q = p.child('configMap');
    if (!v.configMap.name) causes.push(required(q.child('name')));
    causes.push(...validateMode(v.configMap.defaultMode, q.child('defaultMode')), ...validateItems(v.configMap.items, q.child('items'), new Set()));
  }
  if (v.secret) {
    const q = p.child('secret');
    if (!v.secret.secretName) causes.push(required(q.child('secretName')));
    causes.push(...validateMode(v.secret.defaultMode, q.child('defaultMode')), ...validateItems(v.secret.items, q.child('items'), new Set()));
  }
  if (v.downwardAPI) {
    const q = p.child('downwardAPI');
    causes.push(...validateMode(v.downwardAPI.defaultMode, q.child('defaultMode')), ...validateDownwardFiles(v.downwardAPI.items, q.child('items'), new Set()));
  }
  if (v.projected) {
    const q = p.child('projected');
    causes.push(...validateMode(v.projected.defaultMode, q.child('defaultMode')));
    const paths = new Set<string>();
    (v.projected.sources ?? []).forEach((s, i) => {
      const sp = q.child('sources').index(i);
      const kinds = (['configMap', 'secret', 'downwardAPI', 'serviceAccountToken'] as const).filter((k) => s[k]);
      if (kinds.length === 0) causes.push(required(sp, 'must specify one of: `configMap`, `secret`, `downwardAPI` or `serviceAccountToken`'));
      else if (kinds.length > 1) causes.push(invalid(sp.child(kinds[1]), '', 'may not specify more than 1 volume type per source'));
      if (s.configMap) {
        if (!s.configMap.name) causes.push(required(sp.child('configMap', 'name')));
        causes.push(...validateItems(s.configMap.items, sp.child('configMap', 'items'), paths));
      }
      if (s.secret) {
        if (!s.secret.name) causes.push(required(sp.child('secret', 'name')));
        causes.push(...validateItems(s.secret.items, sp.child('secret', 'items'), paths));
      }
      if (s.downwardAPI) causes.push(...validateDownwardFiles(s.downwardAPI.items, sp.child('downwardAPI', 'items'), paths));
      if (s.serviceAccountToken) {
        const tp = s.serviceAccountToken.path;
        if (!tp) causes.push(required(sp.child('serviceAccountToken', 'path')));
        else causes.push(...validateLocalPath(tp, sp.child('serviceAccountToken', 'path')), ...conflict(tp, sp.child('serviceAccountToken', 'path'), paths));
        // Refused at the door rather than stored: a pod accepted now would wait on its kubelet
        // forever, and a placeholder file that looks like a token would fail later and further away.
        causes.push(forbidden(sp.child('serviceAccountToken'), SERVICE_ACCOUNT_TOKENS_NOT_SERVED));
      }
    });
  }
  return causes;
}
