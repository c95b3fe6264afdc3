import { describe, expect, it } from 'vitest';
import { familiarName, formatReference, normalizeReference, parseReference } from './reference.js';

describe('parseReference', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['user/app', 'docker.io/user/app:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/app:v1', 'localhost:5000/app:v1'],
    ['127.0.0.1:5000/a/b/c:v1', '127.0.0.1:5000/a/b/c:v1'],
    ['gcr.io/kuar-demo/kuard-amd64:blue', 'gcr.io/kuar-demo/kuard-amd64:blue'],
    ['[::1]:5000/app', '[::1]:5000/app:latest'],
    ['my_org/my-app__x.y', 'docker.io/my_org/my-app__x.y:latest'],
    [`busybox@sha256:${'a'.repeat(64)}`, `docker.io/library/busybox@sha256:${'a'.repeat(64)}`],
    [`busybox:1@sha256:${'b'.repeat(64)}`, `docker.io/library/busybox:1@sha256:${'b'.repeat(64)}`],
    ['Registry.Example.com/app', 'Registry.Example.com/app:latest'],
  ])('%s -> %s', (input, want) => {
    expect(normalizeReference(input)).toBe(want);
  });

  it('keeps a bare name without a tag when asked', () => {
    expect(parseReference('busybox', { defaultTag: false })).toEqual({ domain: 'docker.io', path: 'library/busybox' });
  });

  it.each([
    ['', /empty/],
    ['a'.repeat(64), /image ID, not a name/],
    ['tools/UPPER', /must be lowercase/],
    ['busybox:bad tag', /malformed tag/],
    ['busybox:-x', /malformed tag/],
    [`busybox:${'t'.repeat(129)}`, /malformed tag/],
    ['busybox@sha256:abc', /malformed digest/],
    [`busybox@sha256:${'A'.repeat(64)}`, /64 lowercase hex/],
    ['busybox@nodigest', /malformed digest/],
    ['a//b', /malformed repository path/],
    ['a/b-', /malformed repository path/],
    [':tag', /missing repository name/],
    ['host:port/app', /malformed registry host/],
    [`x.io/${'a'.repeat(260)}`, /longer than 255/],
  ])('rejects %j', (input, why) => {
    expect(() => parseReference(input)).toThrow(why);
  });

  it('gives Docker short names for display', () => {
    expect(familiarName(parseReference('busybox'))).toBe('busybox');
    expect(familiarName(parseReference('user/app'))).toBe('user/app');
    expect(familiarName(parseReference('gcr.io/a/b'))).toBe('gcr.io/a/b');
    expect(formatReference({ domain: 'h:1', path: 'p' })).toBe('h:1/p');
  });
});
