import { describe, expect, it } from 'vitest';
import { makeNodeInfo, makePod } from '../../framework/builders.js';
import { CycleState } from '../../framework/cycle-state.js';
import { PodInfo } from '../../framework/node-info.js';
import { BalancedAllocation } from './balanced-allocation.js';

describe('BalancedAllocation', () => {
  it.each([
    { name: 'even use scores 100', existing: { cpu: '1', memory: '2Gi' }, pod: { cpu: '1', memory: '2Gi' }, want: 100 },
    // cpu 3/4 = .75, memory 2/8 = .25 -> std .25 -> 75
    { name: 'uneven use scores lower', existing: { cpu: '2', memory: '1Gi' }, pod: { cpu: '1', memory: '1Gi' }, want: 75 },
    // cpu 1.0 (capped), memory 0 -> std .5 -> 50
    { name: 'fractions are capped at 1', existing: { cpu: '4' }, pod: { cpu: '1' }, want: 50 },
    { name: 'an empty pod on an empty node is balanced', existing: {}, pod: {}, want: 100 },
  ])('$name', ({ existing, pod, want }) => {
    const ni = makeNodeInfo({ name: 'n', cpu: '4', memory: '8Gi' }, [makePod(existing)]);
    expect(new BalancedAllocation().score(new CycleState(), new PodInfo(makePod(pod)), ni)).toBe(want);
  });
});
