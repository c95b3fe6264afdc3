import { describe, expect, it } from 'vitest';
import { NODE_CREDENTIALS, planPullCredentials, type PullSecretPayload } from './pull-credentials.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const secret = (name: string, auths: Record<string, unknown>): PullSecretPayload => ({ secret: name, dockerConfig: { auths } });

const secrets = [
  secret('team', { 'reg.example.com:5000/team': { auth: b64('team:t') } }),
  secret('host', { 'https://reg.example.com:5000': { username: 'host', password: 'h' }, 'other.example.com': { auth: b64('other:o') } }),
  secret('hub', { 'https://index.docker.io/v1/': { auth: b64('hub:x') } }),
  secret('wild', { '*.example.com': { identitytoken: 'idt' } }),
];

describe('planPullCredentials', () => {
  it.each([
    ['reg.example.com:5000/team/app:1', ['pull secret "team"', 'pull secret "host"', NODE_CREDENTIALS]],
    ['reg.example.com:5000/other/app:1', ['pull secret "host"', NODE_CREDENTIALS]],
    ['reg.example.com/app:1', ['pull secret "wild"', NODE_CREDENTIALS]],
    ['other.example.com/app', ['pull secret "host"', 'pull secret "wild"', NODE_CREDENTIALS]],
    ['busybox', ['pull secret "hub"', NODE_CREDENTIALS]],
    ['docker.io/library/busybox:1', ['pull secret "hub"', NODE_CREDENTIALS]],
    ['127.0.0.1:5000/app:1', [NODE_CREDENTIALS]],
  ])('%s: %j', (image, want) => {
    expect(planPullCredentials(image, secrets).attempts.map((a) => a.from)).toEqual(want);
  });

  it('hands the runtime the credentials as CRI AuthConfig, and none for the node', () => {
    expect(planPullCredentials('reg.example.com:5000/team/app', secrets).attempts).toEqual([
      { from: 'pull secret "team"', auth: { username: 'team', password: 't' } },
      { from: 'pull secret "host"', auth: { username: 'host', password: 'h' } },
      { from: NODE_CREDENTIALS },
    ]);
    expect(planPullCredentials('x.example.com/app', secrets).attempts[0].auth).toEqual({ identityToken: 'idt' });
  });

  it('keeps the pod order for equal keys and names malformed entries without their values', () => {
    const plan = planPullCredentials('reg.example.com/app', [
      secret('b', { 'reg.example.com': { auth: b64('b:1') } }),
      secret('bad', { 'reg.example.com': { auth: b64('no-colon-secret') } }),
      secret('a', { 'reg.example.com': { auth: b64('a:2') } }),
      { secret: 'junk', dockerConfig: 'x' },
    ]);
    expect(plan.attempts.map((a) => a.from)).toEqual(['pull secret "b"', 'pull secret "a"', NODE_CREDENTIALS]);
    expect(plan.problems).toEqual(['pull secret "bad": reg.example.com: auth is not base64 of "username:password"', 'pull secret "junk": not a JSON object']);
    expect(plan.problems.join()).not.toContain('no-colon-secret');
  });

  it('with no secrets: the node alone', () => {
    expect(planPullCredentials('busybox', [])).toEqual({ attempts: [{ from: NODE_CREDENTIALS }], problems: [] });
  });
});
