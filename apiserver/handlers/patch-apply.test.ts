import { describe, expect, it } from 'vitest';
import { applyPatchBody, mergePatch } from './patch-apply.js';

describe('mergePatch (RFC 7386)', () => {
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j + %j = %j', (target, patch, want) => {
    expect(mergePatch(target, patch)).toEqual(want);
  });

  it('does not change its inputs', () => {
    const target = { a: { b: 1 } };
    mergePatch(target, { a: { b: 2 } });
    expect(target).toEqual({ a: { b: 1 } });
  });
});

describe('applyPatchBody', () => {
  it('applies a JSON patch without touching the original', () => {
    const doc = { metadata: { labels: { a: '1' } } };
    const out = applyPatchBody(doc, [{ op: 'replace', path: '/metadata/labels/a', value: '2' }], 'json-patch');
    expect(out).toEqual({ metadata: { labels: { a: '2' } } });
    expect(doc.metadata.labels.a).toBe('1');
  });

  it('refuses a JSON patch that does not apply, and bodies of the wrong shape', () => {
    expect(() => applyPatchBody({}, [{ op: 'test', path: '/a', value: 1 }], 'json-patch')).toThrow(/could not be applied/);
    expect(() => applyPatchBody({}, { op: 'add' }, 'json-patch')).toThrow(/array/);
    expect(() => applyPatchBody({}, [1], 'merge-patch')).toThrow(/object/);
  });
});

describe('JSON patch limits', () => {
  const doc = { metadata: { name: 'x', labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };

  it('refuses moving a value into itself (the document would become circular)', () => {
    for (const from of ['', '/metadata']) {
      expect(() => applyPatchBody(doc, [{ op: 'move', from, path: `${from}/inner` }], 'json-patch')).toThrow(expect.objectContaining({ code: 400 }));
    }
    expect(applyPatchBody(doc, [{ op: 'move', from: '/metadata/labels', path: '/metadata/labelz' }], 'json-patch')).toMatchObject({ metadata: { labelz: { a: 'b' } } });
    expect(applyPatchBody(doc, [{ op: 'move', from: '/spec', path: '/spec' }], 'json-patch')).toEqual(doc);
  });

  it('bounds what copies add (each can double the document) and the number of operations', () => {
    const doubling = Array.from({ length: 40 }, (_, i) => ({ op: 'copy', from: '', path: `/k${i}` }));
    expect(() => applyPatchBody(doc, doubling, 'json-patch')).toThrow(expect.objectContaining({ code: 413 }));
    const many = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/metadata/name', value: 'x' }));
    expect(() => applyPatchBody(doc, many, 'json-patch')).toThrow(expect.objectContaining({ code: 413 }));
    expect(applyPatchBody(doc, [{ op: 'copy', from: '/metadata/labels', path: '/metadata/annotations' }], 'json-patch')).toMatchObject({ metadata: { annotations: { a: 'b' } } });
    expect(doc.metadata).not.toHaveProperty('annotations');
  });
});
