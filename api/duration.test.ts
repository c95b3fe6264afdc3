import { describe, expect, it } from 'vitest';
import { formatGoDuration, parseDuration as parseDurationCli, parseGoDuration as parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['40s', 40_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1.5s', 1500],
  ])('%s = %d ms', (s, ms) => expect(parseDuration(s)).toBe(ms));

  it.each(['', '40', 's', '40x', '1m 30s'])('rejects %j', (s) => expect(() => parseDuration(s)).toThrow(/invalid duration/));
});

describe('parseDuration with bare seconds (the CLI)', () => {
  it.each([
    ['5', 5000],
    ['0', 0],
    ['30s', 30_000],
    ['1m30s', 90_000],
  ])('%s = %d ms', (s, ms) => expect(parseDurationCli(s)).toBe(ms));

  it('takes "0" without a unit in Go mode too, as Go does', () => expect(parseDuration('0')).toBe(0));
});

describe('formatGoDuration (metav1.Duration on the wire)', () => {
  it('prints as Go does', () => {
    expect(formatGoDuration(0)).toBe('0s');
    expect(formatGoDuration(500)).toBe('500ms');
    expect(formatGoDuration(15_002)).toBe('15.002s');
    expect(formatGoDuration(1_500)).toBe('1.5s');
    expect(formatGoDuration(61_500)).toBe('1m1.5s');
    expect(formatGoDuration(7_200_000)).toBe('2h0m0s');
  });
});
