// Challenge-driven registry auth (distribution token spec): a request answered 401 carries
// WWW-Authenticate; "Basic" means send credentials on every request, "Bearer realm=...,
// service=...,scope=..." means fetch a token from the realm (with credentials if we have them,
// anonymously otherwise) and send it. Tokens are cached per endpoint host and scope.
import { RuntimeError } from '../cri.js';
import { errorText, httpRequest, readBody } from './http.js';
import type { RegistryAuth, RegistryTls } from './registries-config.js';

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
  if (auth.auth) {
    const s = Buffer.from(auth.auth, 'base64').toString('utf8');
    const i = s.indexOf(':');
    if (i > 0) return { username: s.slice(0, i), password: s.slice(i + 1) };
  }
  return undefined;
}

interface CachedAuth {
  header: string;
  expiresAt: number;
}

export class Authorizer {
  readonly #cache = new Map<string, CachedAuth>();

  /** The Authorization header to try first for (host, scope), if one is known. */
  cached(host: string, scope: string): string | undefined {
    const c = this.#cache.get(`${host} ${scope}`) ?? this.#cache.get(`${host} *`);
    if (!c || c.expiresAt < Date.now()) return undefined;
    return c.header;
  }

  /** Answers a 401 challenge with an Authorization header, or throws Unauthenticated. */
  async answer(host: string, scope: string, wwwAuthenticate: string | undefined, auth: RegistryAuth | undefined, tls: RegistryTls | undefined, signal?: AbortSignal): Promise<string> {
    const challenges = parseChallenges(wwwAuthenticate ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const creds = basicCredentials(auth);
    if (auth?.registryToken) return this.#store(host, '*', `Bearer ${auth.registryToken}`, 3600);
    if (bearer) {
      const realm = bearer.params.realm;
      if (!realm) throw new RuntimeError('Unauthenticated', `${host}: Bearer challenge without a realm`);
      const u = new URL(realm);
      if (bearer.params.service) u.searchParams.set('service', bearer.params.service);
      if (scope) u.searchParams.set('scope', scope);
      const headers: Record<string, string> = { accept: 'application/json' };
      if (creds) headers.authorization = `Basic ${encodeBasic(creds)}`;
      const res = await httpRequest({ method: 'GET', url: u.toString(), headers, tls, signal, followRedirects: true });
      if (res.statusCode !== 200) {
        const text = await errorText(res);
        throw new RuntimeError('Unauthenticated', `${host}: token server ${u.origin} refused ${creds ? `the credentials of ${creds.username}` : 'an anonymous token'} for ${scope} (HTTP ${res.statusCode}${text ? `: ${text}` : ''})`);
      }
      let body: { token?: string; access_token?: string; expires_in?: number };
      try {
        body = JSON.parse((await readBody(res, 1 << 20)).toString()) as typeof body;
      } catch (e) {
        throw new RuntimeError('Unauthenticated', `${host}: token server answered something that is not JSON`, { cause: e });
      }
      const token = body.token ?? body.access_token;
      if (!token) throw new RuntimeError('Unauthenticated', `${host}: token server answered without a token`);
      return this.#store(host, scope, `Bearer ${token}`, body.expires_in ?? 60);
    }
    if (basic) {
      if (!creds) throw new RuntimeError('Unauthenticated', `${host} requires a username and password (Basic auth) and none were given`);
      return this.#store(host, '*', `Basic ${encodeBasic(creds)}`, 24 * 3600);
    }
    throw new RuntimeError('Unauthenticated', `${host} answered 401 without a challenge skiff understands (${wwwAuthenticate ?? 'no WWW-Authenticate'})`);
  }

  forget(host: string, scope: string): void {
    this.#cache.delete(`${host} ${scope}`);
    this.#cache.delete(`${host} *`);
  }

  #store(host: string, scope: string, header: string, ttlSeconds: number): string {
    // Refresh a little early so a long pull does not run into the expiry mid-request.
    this.#cache.set(`${host} ${scope}`, { header, expiresAt: Date.now() + Math.max(10, ttlSeconds - 5) * 1000 });
    return header;
  }
}
