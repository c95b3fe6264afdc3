// How long a terminating namespace's pods are expected to take (estimateGracefulTermination),
// from plain pods: the longest grace period of those still running, nothing once the namespace
// has been ending that long.
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { podEstimateSeconds } from './content.js';

const pod = (grace: number | undefined, phase?: NonNullable<Pod['status']>['phase']): Pod => ({
  metadata: { name: 'p' },
  spec: { containers: [], ...(grace === undefined ? {} : { terminationGracePeriodSeconds: grace }) },
  ...(phase ? { status: { phase } } : {}),
});

describe('podEstimateSeconds', () => {
  const deletedAt = Date.parse('2026-01-01T00:00:00Z');
  it.each<[string, Pod[], number, number]>([
    ['the longest grace period of the running pods', [pod(30, 'Running'), pod(5, 'Running'), pod(600, 'Succeeded'), pod(900, 'Failed')], 10, 30],
    ['none without a grace period', [pod(undefined, 'Running')], 0, 0],
    ['nothing once the namespace has been ending that long', [pod(30, 'Running')], 30, 0],
    ['no pods', [], 0, 0],
  ])('%s', (_what, pods, elapsedSeconds, want) => {
    expect(podEstimateSeconds(pods, deletedAt, deletedAt + elapsedSeconds * 1000)).toBe(want);
  });
});
