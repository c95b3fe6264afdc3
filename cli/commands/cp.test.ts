import { describe, expect, it } from 'vitest';
import { copyDirection, parseFileSpec } from './cp.js';

describe('parseFileSpec', () => {
  it('reads [NS/]POD:PATH as a pod, anything else as local', () => {
    expect(parseFileSpec('web:/tmp/x')).toEqual({ pod: 'web', path: '/tmp/x' });
    expect(parseFileSpec('ns/web:tmp/x')).toEqual({ namespace: 'ns', pod: 'web', path: 'tmp/x' });
    expect(parseFileSpec('file.txt')).toEqual({ local: 'file.txt' });
    expect(parseFileSpec('./a:b')).toEqual({ local: './a:b' });
    expect(parseFileSpec('/abs/a:b')).toEqual({ local: '/abs/a:b' });
  });
  it('refuses a pod spec without a path or with too many slashes', () => {
    expect(() => parseFileSpec('web:')).toThrow('a path in the pod is required');
    expect(() => parseFileSpec('a/b/c:/x')).toThrow('expected [NAMESPACE/]POD:PATH');
  });
});

describe('copyDirection', () => {
  it('needs one local side and one pod side', () => {
    expect(copyDirection('a.txt', 'web:/tmp/a.txt')).toEqual({ into: { local: 'a.txt', remote: { pod: 'web', path: '/tmp/a.txt' } } });
    expect(copyDirection('web:/tmp/a.txt', 'a.txt')).toEqual({ outOf: { remote: { pod: 'web', path: '/tmp/a.txt' }, local: 'a.txt' } });
    expect(() => copyDirection('a', 'b')).toThrow('one of src or dest must be a local file');
    expect(() => copyDirection('p:/a', 'q:/b')).toThrow('one of src or dest must be a local file');
  });
});
