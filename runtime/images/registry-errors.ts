// What a registry's refusal says to whoever reads it, as docker and containerd users read
// them: which registry, which status, and why ("127.0.0.1:5000 answered 401 Unauthorized:
// unauthorized: authentication required (no credentials for 127.0.0.1:5000)"). A refusal is
// Unauthenticated (401) or PermissionDenied (403), so a caller holding several credentials
// knows to try the next; a TLS failure says what to configure. No message carries a password,
// a token or an Authorization header: only registry hosts, usernames and the registry's text.
import { RuntimeError } from '../cri.js';

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden' };

/** The registry's error body as docker prints it ("unauthorized: authentication required"). */
export function registryErrorText(body: string): string {
  try {
    const j = JSON.parse(body) as { errors?: { code?: string; message?: string }[] };
    if (j.errors?.length) return j.errors.map((e) => [e.code?.toLowerCase(), e.message].filter(Boolean).join(': ')).join('; ');
  } catch {
    // not JSON: the text itself
  }
  return body.slice(0, 200).trim();
}

/** A 401 or 403 from `host`; `why` is ours (which credentials, if any, were sent). */
export function refusedError(host: string, status: 401 | 403, registryText: string, why?: string): RuntimeError {
  const text = registryText || (status === 401 ? 'authentication required' : 'denied');
  return new RuntimeError(status === 401 ? 'Unauthenticated' : 'PermissionDenied', `${host} answered ${status} ${STATUS_TEXT[status]}: ${text}${why ? ` (${why})` : ''}`);
}

const UNKNOWN_AUTHORITY = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']);

/**
 * A transport error from a request to `host`, explained when it is TLS: the certificate's
 * issuer is unknown, it names another host, it has expired, or the server speaks plain HTTP.
 * Other errors (refused, reset, timed out) stay Unavailable, which is retried.
 */
export function transportError(host: string, what: string, e: Error): RuntimeError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const caHint = `trust its CA with registries.yaml configs."${host}".tls.ca_file`;
  let tls: string | undefined;
  if (UNKNOWN_AUTHORITY.has(code)) tls = `certificate signed by unknown authority (${e.message}); ${caHint}`;
  else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') tls = `certificate is not valid for ${host} (${e.message})`;
  else if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') tls = `certificate is not valid now (${e.message})`;
  else if (/wrong version number|packet length too long/i.test(e.message)) tls = 'server gave HTTP response to HTTPS client (for plain HTTP, set registries.yaml configs."' + host + '".insecure)';
  if (tls) return new RuntimeError('FailedPrecondition', `${host}: TLS: ${tls}`, { cause: e });
  return new RuntimeError('Unavailable', `${what}: ${e.message}`, { cause: e });
}
