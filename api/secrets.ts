// What the API server does to a Secret before validating and storing it, as Kubernetes'
// conversion from v1 does: `stringData` is write-only convenience, merged into `data` (base64,
// overriding a key given in both) and never stored; a missing `type` is Opaque. The size rule
// counts decoded bytes, so it lives here beside the decoding.
import type { Secret } from './types/core.js';

/** MaxSecretSize (and ConfigMaps' limit): 1 MiB of data, decoded. */
export const MAX_SECRET_BYTES = 1024 * 1024;

/** The well-known keys of the typed Secrets (core/v1 constants). */
export const SECRET_KEYS = {
  dockercfg: '.dockercfg',
  dockerConfigJson: '.dockerconfigjson',
  basicAuthUsername: 'username',
  basicAuthPassword: 'password',
  sshPrivateKey: 'ssh-privatekey',
  tlsCert: 'tls.crt',
  tlsKey: 'tls.key',
  serviceAccountName: 'kubernetes.io/service-account.name',
} as const;

/** The Secret as stored: stringData folded into data, the type defaulted. A new object; the input is not changed. */
export function normalizeSecret<T extends Secret>(s: T): T {
  const { stringData, ...rest } = s;
  const out = { ...rest, type: s.type || 'Opaque' } as T;
  if (stringData && Object.keys(stringData).length) {
    const data = { ...(s.data ?? {}) };
    for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    out.data = data;
  }
  return out;
}

/**
 * Where standard base64 (Go's StdEncoding, padded) first goes wrong in `s`: the offset of the
 * first byte that cannot be there, or undefined when `s` decodes.
 */
export function base64ErrorOffset(s: string): number | undefined {
  const bad = /[^A-Za-z0-9+/=]/.exec(s);
  if (bad) return bad.index;
  const pad = s.indexOf('=');
  if (pad >= 0) {
    // Padding only at the end, at most two, and only to complete the last quantum.
    const tail = s.slice(pad);
    if (!/^={1,2}$/.test(tail) || s.length % 4 !== 0 || (tail.length === 2 && pad % 4 !== 2) || (tail.length === 1 && pad % 4 !== 3)) return pad;
    return undefined;
  }
  if (s.length % 4 !== 0) return s.length - (s.length % 4);
  return undefined;
}

/** The decoded size of a base64 value that base64ErrorOffset accepts. */
export function base64DecodedLength(s: string): number {
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return (s.length / 4) * 3 - pad;
}
