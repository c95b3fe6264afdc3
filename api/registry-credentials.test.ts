import { describe, expect, it } from 'vitest';
import { imageRepository } from './image-name.js';
import { credentialsFor, keyMatches, parseDockerConfig, registryKey } from './registry-credentials.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('parseDockerConfig', () => {
  it('reads auth (base64 user:pass, colons in the password kept), username/password, identitytoken, registrytoken', () => {
    const { credentials, problems } = parseDockerConfig({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hub:p:1'), email: 'x@y' },
        'http://127.0.0.1:5000': { username: 'u', password: 'pw' },
        'ghcr.io': { identitytoken: 'idt' },
        'quay.io/team': { registrytoken: 'rt' },
        'helper.example.com': {},
      },
    });
    expect(problems).toEqual([]);
    expect(credentials).toEqual([
      { registry: 'docker.io', username: 'hub', password: 'p:1' },
      { registry: '127.0.0.1:5000', username: 'u', password: 'pw' },
      { registry: 'ghcr.io', identityToken: 'idt' },
      { registry: 'quay.io/team', registryToken: 'rt' },
    ]);
  });

  it('reads the legacy .dockercfg map too, and names bad entries without their values', () => {
    expect(parseDockerConfig({ 'reg.example.com': { auth: b64('a:b') } }).credentials).toEqual([{ registry: 'reg.example.com', username: 'a', password: 'b' }]);
    const bad = parseDockerConfig({ auths: { 'a.example.com': { auth: b64('nocolon-secret') }, 'b.example.com': 'x', 'c.example.com': { email: 'e' } } });
    expect(bad.credentials).toEqual([]);
    expect(bad.problems).toEqual(['a.example.com: auth is not base64 of "username:password"', 'b.example.com: not an object', 'c.example.com: no auth, username, identitytoken or registrytoken']);
    expect(bad.problems.join()).not.toContain('nocolon-secret');
    expect(parseDockerConfig([]).problems).toEqual(['not a JSON object']);
  });
});

describe('matching credentials to an image, as the kubelet keyring does', () => {
  it('normalises keys: scheme-less, Docker Hub aliases, /v1/ and /v2/ dropped', () => {
    expect(['https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io', 'docker.io'].map(registryKey)).toEqual(['docker.io', 'docker.io', 'docker.io', 'docker.io']);
    expect(registryKey('http://Reg.Example.com:5000/v2/team/')).toBe('reg.example.com:5000/team');
    expect(registryKey('reg.example.com/v2')).toBe('reg.example.com');
  });

  it.each([
    ['docker.io', 'busybox', true],
    ['docker.io', 'index.docker.io/library/busybox:1', true],
    ['docker.io/library', 'busybox', true],
    ['docker.io/user', 'busybox', false],
    ['127.0.0.1:5000', '127.0.0.1:5000/app:1', true],
    ['127.0.0.1:5000', '127.0.0.1:5001/app:1', false],
    ['127.0.0.1', '127.0.0.1:5000/app:1', false],
    ['reg.example.com', 'reg.example.com/team/app', true],
    ['reg.example.com/team', 'reg.example.com/team/app@sha256:' + 'a'.repeat(64), true],
    ['reg.example.com/team', 'reg.example.com/other/app', false],
    ['*.example.com', 'reg.example.com/app', true],
    ['*.example.com', 'example.com/app', false],
    ['*.example.com', 'a.b.example.com/app', false],
    ['reg.example.com', 'REG.example.com/app', true],
    ['example.com', 'evil-example.com/app', false],
  ])('key %s for %s: %s', (key, image, want) => {
    expect(keyMatches(key, imageRepository(image))).toBe(want);
  });

  it('orders the most specific key first, then the order given, without duplicates', () => {
    const creds = [
      { registry: 'reg.example.com', username: 'host', password: '1' },
      { registry: 'reg.example.com/team', username: 'team', password: '2' },
      { registry: 'other.example.com', username: 'other', password: '3' },
      { registry: 'reg.example.com', username: 'host2', password: '4' },
      { registry: 'reg.example.com', username: 'host', password: '1' },
    ];
    expect(credentialsFor('reg.example.com/team/app', creds).map((c) => c.username)).toEqual(['team', 'host', 'host2']);
    expect(credentialsFor('nowhere.example.com/app', creds)).toEqual([]);
  });
});
