import { expect, it } from 'vitest';
import { queryBool } from './query.js';

it('reads booleans as Kubernetes’ parameter codec does: only absent, "0" and "false" are false', () => {
  const cases: [string | string[] | null | undefined, boolean][] = [
    [undefined, false],
    [null, false],
    ['false', false],
    ['False', false],
    ['FALSE', false],
    ['0', false],
    ['true', true],
    ['True', true],
    ['1', true],
    // `?follow` with no value is "follow" in Kubernetes too, and so is any other word.
    ['', true],
    ['yes', true],
    ['00', true],
    [['false', 'true'], false],
    [['1'], true],
  ];
  for (const [v, want] of cases) expect(queryBool(v), String(v)).toBe(want);
});
