import { describe, expect, it } from 'vitest';
import { bodyFormat, decodeBody, MAX_NESTING_DEPTH, scanJson } from './body.js';

describe('bodyFormat', () => {
  it('takes media types with parameters, refuses what does not parse or does not fit the verb', () => {
    expect(bodyFormat(undefined)).toBe('json');
    expect(bodyFormat('application/json; charset=utf-8')).toBe('json');
    expect(bodyFormat('Application/YAML')).toBe('yaml');
    expect(bodyFormat('application/merge-patch+json', 'patch')).toBe('merge-patch');
    expect(bodyFormat('application/apply-patch+yaml; charset="utf-8"', 'patch')).toBe('apply-patch');
    for (const [ct, use] of [
      [';;;', 'object'],
      ['application/json;;;', 'object'],
      ['application/json-patch+json', 'object'],
      ['application/json', 'patch'],
      [undefined, 'patch'],
      ['constructor', 'object'],
      ['application/__proto__', 'object'],
    ] as const) {
      expect(() => bodyFormat(ct, use), String(ct)).toThrow(expect.objectContaining({ code: 415 }));
    }
  });
});

describe('scanJson', () => {
  it('finds duplicate keys with their paths, escapes and arrays included', () => {
    expect(scanJson('{"a":1,"b":{"c":[{"d":1,"d":2}]},"a":3}')).toEqual(['b.c[0].d', 'a']);
    expect(scanJson('{"x":"\\"a\\":1","a":1,"\\u0061":2}')).toEqual(['a']);
    expect(scanJson('{"a":"\\\\","a":1}')).toEqual(['a']);
    expect(scanJson('[{"a":1},{"a":1}]')).toEqual([]);
    expect(scanJson('{"s":"{{{[[[","t":1}')).toEqual([]);
  });

  it('refuses integers outside int64, which JSON.parse would round into range', () => {
    expect(() => scanJson('{"a":9223372036854775807,"b":-9223372036854775808,"c":1e400,"d":12345678901234567890.5}')).not.toThrow();
    expect(() => scanJson('{"metadata":{"generation":9223372036854775808}}')).toThrow(expect.objectContaining({ code: 400, message: expect.stringMatching(/metadata.generation/) }));
    expect(() => scanJson('[-9223372036854775809]')).toThrow(expect.objectContaining({ code: 400 }));
    expect(() => scanJson('{"s":"99999999999999999999999"}')).not.toThrow();
  });

  it('refuses nesting past the limit before parsing, and only past it', () => {
    const nest = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    expect(() => scanJson(nest(MAX_NESTING_DEPTH))).not.toThrow();
    expect(() => scanJson(nest(MAX_NESTING_DEPTH + 1))).toThrow(expect.objectContaining({ code: 400 }));
    // Brackets inside strings do not count.
    expect(() => scanJson(`["${'['.repeat(10_000)}"]`)).not.toThrow();
  });
});

describe('decodeBody', () => {
  it('bounds YAML before composing it, in block and flow style, and keeps ordinary YAML', () => {
    const tooDeep = expect.objectContaining({ code: 400, message: expect.stringMatching(/nested more than/) });
    expect(() => decodeBody(Buffer.from(`${'- '.repeat(MAX_NESTING_DEPTH + 1)}a`), 'yaml')).toThrow(tooDeep);
    expect(() => decodeBody(Buffer.from(`${'['.repeat(MAX_NESTING_DEPTH + 1)}${']'.repeat(MAX_NESTING_DEPTH + 1)}`), 'yaml')).toThrow(tooDeep);
    const text = 'a: |\n  it\'s [[[[ {{{\nb: "x [ y"\nc: [1, {d: 2}]\n';
    expect(decodeBody(Buffer.from(text), 'yaml').body).toEqual({ a: "it's [[[[ {{{\n", b: 'x [ y', c: [1, { d: 2 }] });
    // Integers as exact as in JSON: one outside int64 is refused, not rounded into range.
    expect(decodeBody(Buffer.from('{"a": -9223372036854775808, "b": [9223372036854775807], "c": 1.5}'), 'apply-patch').body).toEqual({ a: -(2 ** 63), b: [2 ** 63], c: 1.5 });
    expect(() => decodeBody(Buffer.from('{"metadata": {"generation": -9223372036854775809}}'), 'apply-patch')).toThrow(expect.objectContaining({ code: 400, message: expect.stringMatching(/metadata.generation/) }));
  });
});
