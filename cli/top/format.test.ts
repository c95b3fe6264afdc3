import { describe, expect, it } from 'vitest';
import { formatCpu, formatMemory, percent } from './format.js';

describe('top figures', () => {
  it('prints as kubectl top does', () => {
    expect(formatCpu(250_000_000)).toBe('250m');
    expect(formatCpu(1)).toBe('1m');
    expect(formatCpu(0)).toBe('0m');
    expect(formatMemory(64 * 1024 * 1024 + 5)).toBe('64Mi');
    expect(percent(500, 2000)).toBe('25%');
    expect(percent(1, undefined)).toBe('<unknown>');
  });
});
