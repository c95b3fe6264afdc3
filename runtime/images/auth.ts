// Challenge-driven registry auth (distribution token spec): a request answered 401 carries
// WWW-Authenticate; "Basic" means send credentials on every request, "Bearer realm=...,
// service=...,scope=..." means fetch a token from the realm (with credentials if we have them,
// anonymously otherwise) and send it. Tokens are cached per endpoint host and scope.
import { createHash } from 'node:crypto';
import { decodeBasicAuth } from '../../api/registry-credentials.js';
import { RuntimeError } from '../cri.js';
import { httpRequest, readBody } from './http.js';
import type { RegistryAuth, RegistryTls } from './registries-config.js';
import { refusedError, registryErrorText } from './registry-errors.js';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header (quoted and bare parameter values, several challenges). */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skip = (chars: string) => {
    while (i < s.length && chars.includes(s[i])) i++;
  };
  const token = () => {
    const m = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+/.exec(s.slice(i));
    if (!m) return '';
    i += m[0].length;
    return m[0];
  };
  while (i < s.length) {
    skip(' \t,');
    const scheme = token();
    if (!scheme) break;
    const params: Record<string, string> = {};
    for (;;) {
      skip(' \t');
      const save = i;
      const key = token();
      skip(' \t');
      if (!key || s[i] !== '=') {
        i = save; // the next challenge's scheme
        break;
      }
      i++;
      skip(' \t');
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i++];
        }
        i++;
      } else {
        const m = /^[^,\s]*/.exec(s.slice(i));
        value = m ? m[0] : '';
        i += value.length;
      }
      params[key.toLowerCase()] = value;
      skip(' \t');
      if (s[i] === ',') i++;
    }
    out.push({ scheme: scheme.toLowerCase(), params });
  }
  return out;
}

/** base64("user:password"): HTTP Basic's credentials, and the `auth` of a docker config or registries.yaml. */
export function encodeBasic(creds: { username: string; password: string }): string {
  return Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
}

export function basicCredentials(auth: RegistryAuth | undefined): { username: string; password: string } | undefined {
  if (!auth) return undefined;
  if (auth.username !== undefined && auth.username !== '') return { username: auth.username, password: auth.password ?? '' };
  return auth.auth ? decodeBasicAuth(auth.auth) : undefined;
}

interface CachedAuth {
  header: string;
  expiresAt: number;
}

export class Authorizer {
  readonly #cache = new Map<string, CachedAuth>();

  /**
   * The Authorization header to try first for (host, scope) with these credentials, if one is
   * known. Headers are kept per credentials: what one pod's pull secret opened is never sent
   * for a pull that brings other credentials, or none.
   */
  cached(host: string, scope: string, auth: RegistryAuth | undefined): string | undefined {
    const who = credentialsId(auth);
    const c = this.#cache.get(`${host} ${who} ${scope}`) ?? this.#cache.get(`${host} ${who} *`);
    if (!c || c.expiresAt < Date.now()) return undefined;
    return c.header;
  }

  /** Answers a 401 challenge with an Authorization header, or throws Unauthenticated. */
  async answer(host: string, scope: string, challenge: { wwwAuthenticate?: string; registryText: string }, auth: RegistryAuth | undefined, tls: RegistryTls | undefined, signal?: AbortSignal): Promise<string> {
    const wwwAuthenticate = challenge.wwwAuthenticate;
    const who = credentialsId(auth);
    const challenges = parseChallenges(wwwAuthenticate ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const creds = basicCredentials(auth);
    if (auth?.registryToken) return this.#store(`${host} ${who} *`, `Bearer ${auth.registryToken}`, 3600);
    if (bearer) {
      const realm = bearer.params.realm;
      if (!realm) throw refusedError(host, 401, challenge.registryText, 'its Bearer challenge names no token server');
      const u = new URL(realm);
      if (bearer.params.service) u.searchParams.set('service', bearer.params.service);
      if (scope) u.searchParams.set('scope', scope);
      const headers: Record<string, string> = { accept: 'application/json' };
      if (creds) headers.authorization = `Basic ${encodeBasic(creds)}`;
      const res = await httpRequest({ method: 'GET', url: u.toString(), headers, tls, signal, followRedirects: true });
      if (res.statusCode !== 200) {
        const text = registryErrorText((await readBody(res, 64 << 10).catch(() => Buffer.alloc(0))).toString());
        const status = res.statusCode === 403 ? 403 : 401;
        throw refusedError(host, status, text, `its token server ${u.origin} refused ${creds ? `the credentials of ${creds.username}` : 'an anonymous token'} for ${scope || 'the registry'}`);
      }
      let body: { token?: string; access_token?: string; expires_in?: number };
      try {
        body = JSON.parse((await readBody(res, 1 << 20)).toString()) as typeof body;
      } catch (e) {
        throw new RuntimeError('Unauthenticated', `${host}: token server answered something that is not JSON`, { cause: e });
      }
      const token = body.token ?? body.access_token;
      if (!token) throw new RuntimeError('Unauthenticated', `${host}: token server answered without a token`);
      return this.#store(`${host} ${who} ${scope}`, `Bearer ${token}`, body.expires_in ?? 60);
    }
    if (basic) {
      if (!creds) throw refusedError(host, 401, challenge.registryText, `no credentials for ${host}`);
      return this.#store(`${host} ${who} *`, `Basic ${encodeBasic(creds)}`, 24 * 3600);
    }
    throw refusedError(host, 401, challenge.registryText, `no challenge skiff understands: ${wwwAuthenticate ?? 'no WWW-Authenticate'}`);
  }

  forget(host: string, scope: string, auth: RegistryAuth | undefined): void {
    const who = credentialsId(auth);
    this.#cache.delete(`${host} ${who} ${scope}`);
    this.#cache.delete(`${host} ${who} *`);
  }

  #store(key: string, header: string, ttlSeconds: number): string {
    // Refresh a little early so a long pull does not run into the expiry mid-request.
    this.#cache.set(key, { header, expiresAt: Date.now() + Math.max(10, ttlSeconds - 5) * 1000 });
    return header;
  }
}

/** Which credentials a cached header belongs to: a digest of them, never the credentials themselves. */
function credentialsId(auth: RegistryAuth | undefined): string {
  if (!auth) return 'anonymous';
  const creds = basicCredentials(auth);
  const id = JSON.stringify([creds?.username, creds?.password, auth.identityToken, auth.registryToken]);
  return createHash('sha256').update(id).digest('hex').slice(0, 32);
}
