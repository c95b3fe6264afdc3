import { describe, expect, it } from 'vitest';
import { decode, encode, jsonOf, remember, withResourceVersion } from './serialized.js';

describe('stored JSON', () => {
  it('drops resourceVersion and puts apiVersion, kind and metadata first', () => {
    const s = encode({ spec: { metadata: { x: 1 } }, kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', resourceVersion: '9' } } as never);
    expect(s.startsWith('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}')).toBe(true);
    expect(s).not.toContain('resourceVersion');
  });

  it('sets resourceVersion on the top-level metadata only, without a parse', () => {
    const s = encode({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { metadata: {} } } as never);
    const out = JSON.parse(withResourceVersion(s, 42)) as { metadata: Record<string, unknown>; spec: { metadata: Record<string, unknown> } };
    expect(out.metadata).toEqual({ resourceVersion: '42', name: 'p' });
    expect(out.spec.metadata).toEqual({});
    expect(JSON.parse(withResourceVersion(encode({ apiVersion: 'v1', kind: 'X', metadata: {} } as never), 7))).toEqual({ apiVersion: 'v1', kind: 'X', metadata: { resourceVersion: '7' } });
    // Escaped quotes in apiVersion cannot fool it.
    const tricky = encode({ apiVersion: 'v1"metadata":{', kind: 'K', metadata: { name: 'n' } } as never);
    expect((JSON.parse(withResourceVersion(tricky, 3)) as { metadata: unknown }).metadata).toEqual({ resourceVersion: '3', name: 'n' });
    expect(decode(s, 5).metadata.resourceVersion).toBe('5');
  });

  it('remembers JSON made for an object', () => {
    const o = { apiVersion: 'v1', kind: 'Pod', metadata: {} };
    expect(jsonOf(o)).toBe(JSON.stringify(o));
    remember(o, '{"made":true}');
    expect(jsonOf(o)).toBe('{"made":true}');
  });
});
