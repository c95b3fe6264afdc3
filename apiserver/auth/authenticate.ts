// Request authentication: a bearer token from the Authorization header, checked against
// the static tokens. Authenticated users also belong to system:authenticated, as in
// Kubernetes; without a valid token a request is anonymous only when that is enabled.
import type { TokenAuthenticator } from './token-file.js';
import { ANONYMOUS, type UserInfo } from './user.js';

export interface AuthenticateOptions {
  tokens: TokenAuthenticator;
  anonymous: boolean;
}

export type AuthResult = { user: UserInfo } | { user: null; reason: string };

/** Each token user with system:authenticated added, made once rather than on every request. */
const withAuthenticated = new WeakMap<UserInfo, UserInfo>();

export function authenticate(authorization: string | undefined, opts: AuthenticateOptions): AuthResult {
  if (authorization) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) return { user: null, reason: 'Unauthorized' };
    const user = opts.tokens.authenticate(m[1]);
    if (!user) return { user: null, reason: 'Unauthorized' };
    if (user.groups.includes('system:authenticated')) return { user };
    let full = withAuthenticated.get(user);
    if (!full) withAuthenticated.set(user, (full = { ...user, groups: [...user.groups, 'system:authenticated'] }));
    return { user: full };
  }
  if (opts.anonymous) return { user: ANONYMOUS };
  return { user: null, reason: 'Unauthorized' };
}
