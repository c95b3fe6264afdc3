import { describe, expect, it } from 'vitest';
import { isApiError } from '../../api/errors.js';
import { parseBoolParam } from './common.js';

describe('parseBoolParam', () => {
  it('reads booleans as Kubernetes’ parameter codec does', () => {
    const cases: [string | null | undefined, boolean][] = [
      [undefined, false],
      [null, false],
      ['false', false],
      ['False', false],
      ['FALSE', false],
      ['0', false],
      ['true', true],
      ['True', true],
      ['1', true],
      // `?follow` with no value is "follow" in Kubernetes too.
      ['', true],
    ];
    for (const [v, want] of cases) expect(parseBoolParam('follow', v), String(v)).toBe(want);
  });

  it('refuses what is neither, as 400, where Kubernetes would guess true', () => {
    for (const v of ['yes', 'ture', '2', ' true', 'x'.repeat(100)]) {
      let message = '';
      try {
        parseBoolParam('stdin', v);
      } catch (e) {
        if (!isApiError(e, 'BadRequest')) throw e;
        message = e.message;
      }
      expect(message, v).toBe(`stdin must be true or false (got "${v.slice(0, 40)}")`);
    }
  });
});
