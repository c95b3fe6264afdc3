import { describe, expect, it } from 'vitest';
import { metaTime, microTime } from './time.js';

describe('wire times', () => {
  it.each([
    [Date.UTC(2026, 11, 7, 18, 0, 0, 0), '2026-12-07T18:00:00Z', '2026-12-07T18:00:00.000000Z'],
    // Go's Format truncates the fraction: 59.999 s is still second 59.
    [Date.UTC(2026, 11, 7, 18, 0, 59, 999), '2026-12-07T18:00:59Z', '2026-12-07T18:00:59.999000Z'],
    [Date.UTC(1999, 0, 1, 0, 0, 0, 7), '1999-01-01T00:00:00Z', '1999-01-01T00:00:00.007000Z'],
  ])('%s → metav1.Time %s, MicroTime %s', (ms, time, micro) => {
    expect(metaTime(ms)).toBe(time);
    expect(metaTime(new Date(ms))).toBe(time);
    expect(microTime(ms)).toBe(micro);
  });
});
