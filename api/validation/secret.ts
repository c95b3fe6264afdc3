// Kubernetes' ValidateSecret and ValidateSecretUpdate, on the Secret as it will be stored
// (stringData already folded into data by normalizeSecret): keys that can be file names, at
// most 1 MiB of decoded data, values that are base64, and the keys each well-known type needs.
// A value is never echoed back in a message: it may be the secret itself.
import { configMapKeyErrors } from '../names.js';
import { MAX_SECRET_BYTES, SECRET_KEYS, base64DecodedLength, base64ErrorOffset } from '../secrets.js';
import type { Secret } from '../types/core.js';
import type { StatusCause } from '../types/meta.js';
import { FieldPath, invalid, isObject, required, tooLong } from './field.js';
import { immutableDataCauses } from './immutable-data.js';

const REDACTED = '<secret contents redacted>';

export function validateSecret(s: Secret): StatusCause[] {
  const causes: StatusCause[] = [];
  const dataPath = FieldPath.root('data');
  const data = isObject(s.data) ? (s.data as Record<string, unknown>) : {};
  let total = 0;
  const decoded = new Map<string, string>();
  for (const [key, value] of Object.entries(data)) {
    for (const msg of configMapKeyErrors(key)) causes.push(invalid(dataPath.bracketKey(key), key, msg));
    if (typeof value !== 'string') continue; // the schema reports the type
    const at = base64ErrorOffset(value);
    if (at !== undefined) {
      causes.push(invalid(dataPath.bracketKey(key), REDACTED, `illegal base64 data at input byte ${at}`));
      continue;
    }
    total += base64DecodedLength(value);
    decoded.set(key, value);
  }
  if (total > MAX_SECRET_BYTES) causes.push(tooLong(dataPath, MAX_SECRET_BYTES));

  const has = (k: string) => Object.prototype.hasOwnProperty.call(data, k);
  switch (s.type ?? 'Opaque') {
    case 'kubernetes.io/service-account-token':
      // Only the name: a controller adds the uid and the token later.
      if (!s.metadata.annotations?.[SECRET_KEYS.serviceAccountName]) causes.push(required(FieldPath.root('metadata').child('annotations').bracketKey(SECRET_KEYS.serviceAccountName)));
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const key = s.type === 'kubernetes.io/dockercfg' ? SECRET_KEYS.dockercfg : SECRET_KEYS.dockerConfigJson;
      if (!has(key)) {
        causes.push(required(dataPath.bracketKey(key)));
        break;
      }
      const b64 = decoded.get(key);
      if (b64 === undefined) break; // not base64: said above
      const problem = jsonObjectProblem(Buffer.from(b64, 'base64').toString('utf8'));
      if (problem) causes.push(invalid(dataPath.bracketKey(key), REDACTED, problem));
      break;
    }
    case 'kubernetes.io/basic-auth':
      // Either may be empty, but one must be there.
      if (!has(SECRET_KEYS.basicAuthUsername) && !has(SECRET_KEYS.basicAuthPassword)) {
        causes.push(required(dataPath.bracketKey(SECRET_KEYS.basicAuthUsername)), required(dataPath.bracketKey(SECRET_KEYS.basicAuthPassword)));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!decoded.get(SECRET_KEYS.sshPrivateKey)) causes.push(required(dataPath.bracketKey(SECRET_KEYS.sshPrivateKey)));
      break;
    case 'kubernetes.io/tls':
      if (!has(SECRET_KEYS.tlsCert)) causes.push(required(dataPath.bracketKey(SECRET_KEYS.tlsCert)));
      if (!has(SECRET_KEYS.tlsKey)) causes.push(required(dataPath.bracketKey(SECRET_KEYS.tlsKey)));
      break;
    default:
      break;
  }
  return causes;
}

/** What an update may not change: the type, and anything at all of an immutable Secret's data. */
export function validateSecretUpdate(s: Secret, old: Secret): StatusCause[] {
  const causes: StatusCause[] = [];
  if ((s.type ?? 'Opaque') !== (old.type ?? 'Opaque')) causes.push(invalid(FieldPath.root('type'), s.type ?? '', 'field is immutable'));
  return [...causes, ...immutableDataCauses(s, old, ['data'])];
}

/**
 * Why `text` is not a JSON object, or undefined. Only where, never what: V8's own message
 * quotes the text, which here is a registry password.
 */
function jsonObjectProblem(text: string): string | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    // V8 gives the text's length as the position of a truncated document; Go calls that the end.
    if (at !== undefined && Number(at) < text.length) return `invalid JSON at byte ${at}`;
    return at !== undefined || /end of JSON input/.test((e as Error).message) ? 'unexpected end of JSON input' : 'invalid JSON';
  }
  return isObject(v) ? undefined : 'json: cannot unmarshal into a map: the value is not a JSON object';
}
