import { describe, expect, it } from 'vitest';
import { authenticate } from './authenticate.js';
import { splitCsvLine, TokenAuthenticator } from './token-file.js';

describe('token file', () => {
  const file = [
    '# kube-apiserver --token-auth-file format',
    'admintoken,admin,uid-1,"system:masters,ops"',
    'nodetoken,system:node:n1,uid-2,system:nodes',
    'plain,bob,',
    '',
  ].join('\n');

  it('parses users, uids and quoted group lists', () => {
    const auth = TokenAuthenticator.parse(file);
    expect(auth.size).toBe(3);
    expect(auth.authenticate('admintoken')).toEqual({ name: 'admin', uid: 'uid-1', groups: ['system:masters', 'ops'] });
    expect(auth.authenticate('nodetoken')).toEqual({ name: 'system:node:n1', uid: 'uid-2', groups: ['system:nodes'] });
    expect(auth.authenticate('plain')).toEqual({ name: 'bob', uid: undefined, groups: [] });
    expect(auth.authenticate('nope')).toBeNull();
  });

  it('names the line of a broken entry', () => {
    expect(() => TokenAuthenticator.parse('ok,user\nbroken', 'tokens.csv')).toThrow(/tokens.csv:2/);
    expect(() => TokenAuthenticator.parse('t,u,1,"unterminated', 'tokens.csv')).toThrow(/tokens.csv:1: unterminated quote/);
    expect(splitCsvLine('a,"b ""c"", d",e')).toEqual(['a', 'b "c", d', 'e']);
  });

  it('authenticates bearer tokens and adds system:authenticated', () => {
    const tokens = TokenAuthenticator.parse(file);
    expect(authenticate('Bearer admintoken', { tokens, anonymous: false })).toEqual({
      user: { name: 'admin', uid: 'uid-1', groups: ['system:masters', 'ops', 'system:authenticated'] },
    });
    expect(authenticate('Bearer wrong', { tokens, anonymous: true }).user).toBeNull();
    expect(authenticate('Basic abc', { tokens, anonymous: true }).user).toBeNull();
    expect(authenticate(undefined, { tokens, anonymous: false }).user).toBeNull();
    expect(authenticate(undefined, { tokens, anonymous: true }).user?.name).toBe('system:anonymous');
  });
});
