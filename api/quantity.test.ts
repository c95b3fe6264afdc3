import { describe, expect, it } from 'vitest';
import {
  Quantity,
  QUANTITY_FORMAT_ERROR,
  QUANTITY_SUFFIX_ERROR,
  QuantityParseError,
  formatBytes,
  formatMilliCPU,
  isQuantity,
  parseQuantity,
  quantityError,
} from './quantity.js';

describe('Quantity.parse: accepted forms', () => {
  // input, milliValue, value, canonical string
  const cases: [string | number, number, number, string][] = [
    ['0', 0, 0, '0'],
    ['-0', 0, 0, '0'],
    ['1', 1000, 1, '1'],
    ['2', 2000, 2, '2'],
    [2, 2000, 2, '2'],
    ['0.5', 500, 1, '500m'],
    ['.5', 500, 1, '500m'],
    ['0.1', 100, 1, '100m'],
    [0.1, 100, 1, '100m'],
    ['500m', 500, 1, '500m'],
    ['1500m', 1500, 2, '1500m'],
    ['1000m', 1000, 1, '1'],
    ['1n', 1, 1, '1n'],
    ['1u', 1, 1, '1u'],
    ['100k', 100_000_000, 100_000, '100k'],
    ['1k', 1_000_000, 1000, '1k'],
    ['1M', 1e9, 1e6, '1M'],
    ['1G', 1e12, 1e9, '1G'],
    ['1T', 1e15, 1e12, '1T'],
    ['1P', 1e18, 1e15, '1P'],
    ['1E', 1e21, 1e18, '1E'],
    ['1e3', 1_000_000, 1000, '1e3'],
    ['1E3', 1_000_000, 1000, '1e3'],
    ['1e+3', 1_000_000, 1000, '1e3'],
    ['1e-3', 1, 1, '1e-3'],
    ['1.5e3', 1_500_000, 1500, '1500'],
    ['128Mi', 134217728000, 134217728, '128Mi'],
    ['1Ki', 1_024_000, 1024, '1Ki'],
    ['1Gi', 1073741824000, 1073741824, '1Gi'],
    ['1.5Gi', 1610612736000, 1610612736, '1536Mi'],
    ['1Ti', 1099511627776000, 1099511627776, '1Ti'],
    ['0.5Ki', 512_000, 512, '512'],
    ['+1', 1000, 1, '1'],
    ['-1', -1000, -1, '-1'],
    ['-500m', -500, -1, '-500m'],
    ['1.', 1000, 1, '1'],
    ['1.G', 1e12, 1e9, '1G'],
    ['007', 7000, 7, '7'],
    ['12000', 12_000_000, 12_000, '12k'],
    ['1500', 1_500_000, 1500, '1500'],
    ['0.0001', 1, 1, '100u'],
    ['0.0000000001', 1, 1, '1n'],
    ['1.0000000001', 1001, 2, '1000000001n'],
  ];
  it.each(cases)('%s -> milli %d, value %d, %s', (input, milli, value, canonical) => {
    const q = Quantity.parse(input);
    expect(q.milliValue()).toBe(milli);
    expect(q.value()).toBe(value);
    expect(q.toString()).toBe(canonical);
    expect(JSON.stringify({ q })).toBe(JSON.stringify({ q: canonical }));
  });

  it('re-parses its canonical form to an equal quantity', () => {
    for (const [input] of cases) {
      const q = Quantity.parse(input);
      expect(Quantity.parse(q.toString()).cmp(q)).toBe(0);
    }
  });
});

describe('Quantity.parse: rejected forms', () => {
  const cases: [unknown, string][] = [
    ['', QUANTITY_FORMAT_ERROR],
    ['12Q', QUANTITY_FORMAT_ERROR],
    ['1.5.5', QUANTITY_FORMAT_ERROR],
    ['1.1.M', QUANTITY_FORMAT_ERROR],
    ['Mi', QUANTITY_FORMAT_ERROR],
    ['-', QUANTITY_FORMAT_ERROR],
    ['.', QUANTITY_FORMAT_ERROR],
    [' 1', QUANTITY_FORMAT_ERROR],
    ['1 ', QUANTITY_FORMAT_ERROR],
    ['1+1.0M', QUANTITY_FORMAT_ERROR],
    ['aoeu', QUANTITY_FORMAT_ERROR],
    ['1MiB', QUANTITY_FORMAT_ERROR],
    ['1e-', QUANTITY_SUFFIX_ERROR],
    ['1mi', QUANTITY_SUFFIX_ERROR],
    ['0.1mi', QUANTITY_SUFFIX_ERROR],
    ['1i', QUANTITY_SUFFIX_ERROR],
    ['.5i', QUANTITY_SUFFIX_ERROR],
    ['1K', QUANTITY_SUFFIX_ERROR],
    ['1KB', QUANTITY_FORMAT_ERROR],
    ['1kb', QUANTITY_FORMAT_ERROR],
    ['1e', QUANTITY_SUFFIX_ERROR],
    [Number.NaN, QUANTITY_FORMAT_ERROR],
    [Number.POSITIVE_INFINITY, QUANTITY_FORMAT_ERROR],
  ];
  it.each(cases)('%s is rejected', (input, message) => {
    expect(() => Quantity.parse(input as string)).toThrow(message);
    expect(isQuantity(input)).toBe(false);
    expect(quantityError(input)).toBe(message);
  });

  it('refuses absurd exponents instead of building huge numbers', () => {
    expect(() => Quantity.parse('1e99999999')).toThrow(/exponent out of range/);
  });

  it('rejects non-string, non-number values', () => {
    expect(isQuantity(null)).toBe(false);
    expect(isQuantity({})).toBe(false);
    expect(quantityError(true)).toBe(QUANTITY_FORMAT_ERROR);
  });
});

describe('Quantity arithmetic and comparison', () => {
  const cmpCases: [string, string, -1 | 0 | 1][] = [
    ['500m', '0.5', 0],
    ['1', '1000m', 0],
    ['1Ki', '1024', 0],
    ['1k', '1Ki', -1],
    ['1G', '1Gi', -1],
    ['2', '1999m', 1],
    ['-1', '0', -1],
    ['1e3', '1k', 0],
  ];
  it.each(cmpCases)('cmp(%s, %s) = %d', (a, b, want) => {
    expect(parseQuantity(a).cmp(parseQuantity(b))).toBe(want);
    expect(parseQuantity(b).cmp(a)).toBe(want === 0 ? 0 : -want);
  });

  it('adds exactly without float drift', () => {
    let sum = Quantity.parse('0');
    for (let i = 0; i < 10; i++) sum = sum.add(Quantity.parse('0.1'));
    expect(sum.milliValue()).toBe(1000);
    expect(sum.cmp('1')).toBe(0);
    expect(Quantity.parse('1Gi').sub(Quantity.parse('512Mi')).toString()).toBe('512Mi');
    expect(Quantity.parse('1').neg().toString()).toBe('-1');
  });

  it('reports sign and zero', () => {
    expect(Quantity.parse('-3m').sign()).toBe(-1);
    expect(Quantity.parse('0Mi').sign()).toBe(0);
    expect(Quantity.parse('0Mi').isZero()).toBe(true);
    expect(Quantity.parse('1n').isZero()).toBe(false);
    expect(Quantity.parse('1n').sign()).toBe(1);
  });

  it('refuses amounts past an int64 of whole units, in every format', () => {
    expect(Quantity.parse('7Ei').value()).toBe(7 * 2 ** 60);
    expect(Quantity.parse('9223372036854775807').nanoValue()).toBe((2n ** 63n - 1n) * 1_000_000_000n);
    for (const q of ['8Ei', '16Ei', '99999999999999999999999999Ei', '1e400', '9223372036854775808', '10E', '-1e400']) {
      expect(() => Quantity.parse(q), q).toThrow(/too large/);
    }
    expect(quantityError('1e400')).toMatch(/64-bit/);
  });

  it('keeps the format of the suffix', () => {
    expect(Quantity.parse('1Mi').format).toBe('BinarySI');
    expect(Quantity.parse('1e6').format).toBe('DecimalExponent');
    expect(Quantity.parse('1M').format).toBe('DecimalSI');
  });
});

describe('printing helpers', () => {
  const bytes: [number, string][] = [
    [134217728, '128Mi'],
    [1610612736, '1536Mi'],
    [1024, '1Ki'],
    [1000, '1k'],
    [1500, '1500'],
    [0, '0'],
  ];
  it.each(bytes)('formatBytes(%d) = %s', (n, want) => expect(formatBytes(n)).toBe(want));

  const cpu: [number, string][] = [
    [500, '500m'],
    [1000, '1'],
    [2500, '2500m'],
    [0, '0'],
    [0.5, '500u'],
  ];
  it.each(cpu)('formatMilliCPU(%d) = %s', (n, want) => expect(formatMilliCPU(n)).toBe(want));

  it('parses a repeated string to the same value, and refuses a bad one every time', () => {
    for (let i = 0; i < 3; i++) {
      expect(Quantity.parse('1.5Gi').toString()).toBe('1536Mi');
      expect(Quantity.parse('100m').milliValue()).toBe(100);
      expect(() => Quantity.parse('12x')).toThrow(QuantityParseError);
    }
    const long = `0.${'0'.repeat(40)}1`;
    expect(Quantity.parse(long).toString()).toBe(Quantity.parse(long).toString());
  });

  it('fromValue and fromMilli round-trip', () => {
    expect(Quantity.fromValue(3 * 1024 ** 3, 'BinarySI').toString()).toBe('3Gi');
    expect(Quantity.fromMilli(250).milliValue()).toBe(250);
  });
});
