import { describe, expect, it } from 'vitest';
import { humanSize } from './human-size.js';

describe('docker-style byte counts', () => {
  it.each([
    [0, '0B'],
    [999, '999B'],
    [1000, '1kB'],
    [1500, '1.5kB'],
    [12_345_678, '12.3MB'],
    [4_400_000, '4.4MB'],
    [100_000, '100kB'],
    [10_000_000, '10MB'],
    [1_234_567_890, '1.23GB'],
  ])('humanSize(%d) = %s', (n, want) => {
    expect(humanSize(n)).toBe(want);
  });
});
