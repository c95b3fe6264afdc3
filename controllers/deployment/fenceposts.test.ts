import { describe, expect, it } from 'vitest';
import type { IntOrString } from '../../api/types/apps.js';
import { scaledValue } from '../../api/int-or-percent.js';
import { maxSurge, maxUnavailable, resolveFenceposts } from './fenceposts.js';
import { deployment } from './testing.js';

describe('resolveFenceposts', () => {
  it.each<[IntOrString, IntOrString, number, [number, number]]>([
    ['25%', '25%', 6, [2, 1]], // 1.5 surge rounds up, 1.5 unavailable rounds down
    ['25%', '25%', 4, [1, 1]],
    ['25%', '25%', 1, [1, 0]],
    ['25%', '25%', 10, [3, 2]],
    [0, 2, 6, [0, 2]],
    [0, 0, 6, [0, 1]], // both 0: the rollout could never move, so one may be unavailable
    ['0%', '0%', 6, [0, 1]],
    ['10%', '10%', 3, [1, 0]], // 0.3 surge rounds up to 1, 0.3 unavailable down to 0
    [3, '50%', 5, [3, 2]],
    ['100%', '0%', 6, [6, 0]],
  ])('surge %s unavailable %s of %d → %j', (surge, unavailable, desired, want) => {
    expect(resolveFenceposts(surge, unavailable, desired)).toEqual(want);
  });

  it('refuses a string that is not a percentage', () => {
    expect(() => scaledValue('5', 10, true)).toThrow(/percentage/);
  });
});

describe('maxSurge and maxUnavailable of a Deployment', () => {
  it('caps maxUnavailable at the replicas and gives Recreate neither', () => {
    expect(maxUnavailable(deployment({ replicas: 2, maxSurge: 0, maxUnavailable: 5 }))).toBe(2);
    expect(maxUnavailable(deployment({ replicas: 0 }))).toBe(0);
    expect(maxSurge(deployment({ strategy: 'Recreate' }))).toBe(0);
    expect(maxUnavailable(deployment({ strategy: 'Recreate' }))).toBe(0);
  });
});
