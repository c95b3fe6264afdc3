import { describe, expect, it } from 'vitest';
import { canonicalJson, fnv1a32, podTemplateHash, safeEncodeString } from './hash.js';
import { equalIgnoreHash } from './replica-sets.js';

describe('pod-template-hash', () => {
  it('is FNV-1a 32 (the published test vectors)', () => {
    expect(fnv1a32(Buffer.from(''))).toBe(0x811c9dc5);
    expect(fnv1a32(Buffer.from('a'))).toBe(0xe40c292c);
    expect(fnv1a32(Buffer.from('foobar'))).toBe(0xbf9cf968);
  });

  it("writes the decimal sum in SafeEncodeString's alphabet", () => {
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
  });

  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } };

  it('depends on the template, not on the order of its keys', () => {
    const reordered = { spec: { containers: [{ image: 'web:1', name: 'web' }] }, metadata: { labels: { app: 'web' } } };
    expect(podTemplateHash(reordered)).toBe(podTemplateHash(template));
    expect(podTemplateHash({ ...template, spec: { containers: [{ name: 'web', image: 'web:2' }] } })).not.toBe(podTemplateHash(template));
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
  });

  it('changes with the collisionCount, 0 included', () => {
    const plain = podTemplateHash(template);
    const zero = podTemplateHash(template, 0);
    const one = podTemplateHash(template, 1);
    expect(new Set([plain, zero, one]).size).toBe(3);
    expect(plain).toMatch(/^[bcdf456789]{1,10}$/);
  });
});

describe('templates equal as Go sees them', () => {
  it('hash and compare equal with or without zero values', () => {
    const bare = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } };
    const fromKubectl = { metadata: { labels: { app: 'web' }, creationTimestamp: null }, spec: { containers: [{ name: 'web', image: 'web:1', resources: {} }] } };
    // @ts-expect-error creationTimestamp: null is what kubectl's manifests carry
    expect(podTemplateHash(fromKubectl)).toBe(podTemplateHash(bare));
    // @ts-expect-error as above
    expect(equalIgnoreHash(fromKubectl, { ...bare, metadata: { labels: { app: 'web', 'pod-template-hash': 'x' } } })).toBe(true);
    expect(equalIgnoreHash(bare, { ...bare, spec: { containers: [{ name: 'web', image: 'web:2' }] } })).toBe(false);
  });
});
