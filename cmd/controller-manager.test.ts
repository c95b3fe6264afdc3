import { describe, expect, it } from 'vitest';
import { parseDuration } from './controller-manager.js';

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
