import { describe, expect, it } from 'vitest';
import type { Pod, PodStatus } from '../../api/types/core.js';
import { verdict } from './wait-running.js';

const pod = (status: PodStatus): Pod => ({ metadata: { name: 'web' }, spec: { containers: [{ name: 'c' }] }, status });
const cs = (state: object, ready = false) => [{ name: 'c', ready, restartCount: 0, image: '', imageID: '', state }];

describe('verdict', () => {
  it.each<[string, PodStatus, ReturnType<typeof verdict>]>([
    ['pending', { phase: 'Pending' }, { done: false }],
    ['creating', { phase: 'Pending', containerStatuses: cs({ waiting: { reason: 'ContainerCreating' } }) }, { done: false }],
    ['running', { phase: 'Running', containerStatuses: cs({ running: {} }, true) }, { done: true, ok: true, message: 'pod/web is running (1/1 ready)' }],
    ['completed', { phase: 'Succeeded' }, { done: true, ok: true, message: 'pod/web completed' }],
    ['failed', { phase: 'Failed', containerStatuses: cs({ terminated: { exitCode: 1, reason: 'Error' } }) }, { done: true, ok: false, message: 'pod/web failed: Error' }],
    [
      'image pull back-off',
      { phase: 'Pending', containerStatuses: cs({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope"' } }) },
      { done: true, ok: false, message: 'pod/web is not running: ImagePullBackOff: Back-off pulling image "nope"' },
    ],
  ])('%s', (_n, status, want) => {
    expect(verdict(pod(status))).toEqual(want);
  });
});
