import { describe, expect, it } from 'vitest';
import { intOrPercentValue, scaledValue } from './int-or-percent.js';

describe('int-or-percent values', () => {
  it("scales a percentage of a total up or down, as GetScaledValueFromIntOrPercent", () => {
    expect(scaledValue('25%', 10, true)).toBe(3);
    expect(scaledValue('25%', 10, false)).toBe(2);
    expect(scaledValue(4, 10, true)).toBe(4);
    expect(scaledValue(undefined, 10, true)).toBe(0);
    expect(() => scaledValue('lots', 10, true)).toThrow(/invalid value for IntOrString/);
  });

  it('reads the number a value states, 0 for a string that is neither (getIntOrPercentValue)', () => {
    expect(intOrPercentValue('25%')).toBe(25);
    expect(intOrPercentValue(3)).toBe(3);
    expect(intOrPercentValue('7')).toBe(7);
    expect(intOrPercentValue('lots')).toBe(0);
  });
});
