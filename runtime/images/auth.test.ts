import { describe, expect, it } from 'vitest';
import { basicCredentials, parseChallenges } from './auth.js';

describe('parseChallenges', () => {
  it('reads a Bearer challenge with quoted parameters', () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
    ]);
  });

  it('reads Basic, bare values, escapes and several challenges in one header', () => {
    expect(parseChallenges('Basic realm="a \\"quoted\\" realm", Bearer realm=http://x/token,service=reg')).toEqual([
      { scheme: 'basic', params: { realm: 'a "quoted" realm' } },
      { scheme: 'bearer', params: { realm: 'http://x/token', service: 'reg' } },
    ]);
  });

  it('survives garbage', () => {
    expect(parseChallenges('')).toEqual([]);
    expect(parseChallenges('Negotiate')).toEqual([{ scheme: 'negotiate', params: {} }]);
    expect(parseChallenges('Bearer realm="unterminated')).toEqual([{ scheme: 'bearer', params: { realm: 'unterminated' } }]);
  });
});

describe('basicCredentials', () => {
  it('takes username/password or the base64 auth field', () => {
    expect(basicCredentials({ username: 'u', password: 'p' })).toEqual({ username: 'u', password: 'p' });
    expect(basicCredentials({ auth: Buffer.from('u:p:with:colons').toString('base64') })).toEqual({ username: 'u', password: 'p:with:colons' });
    expect(basicCredentials({ auth: 'bm9jb2xvbg==' })).toBeUndefined();
    expect(basicCredentials(undefined)).toBeUndefined();
  });
});
