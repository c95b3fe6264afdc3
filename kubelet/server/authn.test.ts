import { describe, expect, it } from 'vitest';
import { KubeletAuthenticator } from './authn.js';

describe('KubeletAuthenticator', () => {
  it('accepts only a bearer token it was given', () => {
    const a = new KubeletAuthenticator(['first-token', ' second ', '']);
    expect(a.allows('Bearer first-token')).toBe(true);
    expect(a.allows('bearer second')).toBe(true);
    expect(a.allows('Bearer first')).toBe(false);
    expect(a.allows('Basic Zmlyc3QtdG9rZW4=')).toBe(false);
    expect(a.allows('Bearer ')).toBe(false);
    expect(a.allows(undefined)).toBe(false);
  });

  it('with no tokens refuses everyone', () => {
    expect(new KubeletAuthenticator([]).allows('Bearer anything')).toBe(false);
  });
});
