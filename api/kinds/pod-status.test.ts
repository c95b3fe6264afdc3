import { describe, expect, it } from 'vitest';
import type { ContainerStatus, Pod, PodStatus } from '../types/core.js';
import { podSummary } from './pod-status.js';

const now = Date.parse('2026-01-01T00:10:00Z');

function pod(status: PodStatus, opts: { init?: number; containers?: number; deleting?: boolean } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:09:00Z' } : {}) },
    spec: {
      containers: Array.from({ length: opts.containers ?? 1 }, (_, i) => ({ name: `c${i}`, image: 'busybox' })),
      initContainers: Array.from({ length: opts.init ?? 0 }, (_, i) => ({ name: `i${i}`, image: 'busybox' })),
    },
    status,
  };
}

function cs(name: string, state: ContainerStatus['state'], extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return { name, state, ready: false, restartCount: 0, image: 'busybox', imageID: '', ...extra };
}

const running = { running: { startedAt: '2026-01-01T00:00:00Z' } };

describe('podSummary STATUS, READY and RESTARTS follow kubectl printPod', () => {
  it.each<[string, Pod, string, string, string]>([
    ['pending, unscheduled', pod({ phase: 'Pending' }), 'Pending', '0/1', '0'],
    [
      'container creating',
      pod({ phase: 'Pending', containerStatuses: [cs('c0', { waiting: { reason: 'ContainerCreating' } })] }),
      'ContainerCreating',
      '0/1',
      '0',
    ],
    ['running and ready', pod({ phase: 'Running', containerStatuses: [cs('c0', running, { ready: true })] }), 'Running', '1/1', '0'],
    [
      'running, not ready',
      pod({ phase: 'Running', containerStatuses: [cs('c0', running)] }),
      'Running',
      '0/1',
      '0',
    ],
    [
      'image pull back-off',
      pod({ phase: 'Pending', containerStatuses: [cs('c0', { waiting: { reason: 'ImagePullBackOff' } })] }),
      'ImagePullBackOff',
      '0/1',
      '0',
    ],
    [
      'err image pull',
      pod({ phase: 'Pending', containerStatuses: [cs('c0', { waiting: { reason: 'ErrImagePull' } })] }),
      'ErrImagePull',
      '0/1',
      '0',
    ],
    [
      'crash loop with restarts and when the last one ended',
      pod({
        phase: 'Running',
        containerStatuses: [
          cs('c0', { waiting: { reason: 'CrashLoopBackOff' } }, {
            restartCount: 3,
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-01-01T00:08:00Z' } },
          }),
        ],
      }),
      'CrashLoopBackOff',
      '0/1',
      '3 (2m ago)',
    ],
    ['completed', pod({ phase: 'Succeeded', containerStatuses: [cs('c0', { terminated: { exitCode: 0, reason: 'Completed' } })] }), 'Completed', '0/1', '0'],
    ['error', pod({ phase: 'Failed', containerStatuses: [cs('c0', { terminated: { exitCode: 2, reason: 'Error' } })] }), 'Error', '0/1', '0'],
    ['oom killed', pod({ phase: 'Running', containerStatuses: [cs('c0', { terminated: { exitCode: 137, reason: 'OOMKilled' } })] }), 'OOMKilled', '0/1', '0'],
    ['terminated without a reason: exit code', pod({ phase: 'Failed', containerStatuses: [cs('c0', { terminated: { exitCode: 3 } })] }), 'ExitCode:3', '0/1', '0'],
    ['terminated without a reason: signal', pod({ phase: 'Failed', containerStatuses: [cs('c0', { terminated: { exitCode: 137, signal: 9 } })] }), 'Signal:9', '0/1', '0'],
    [
      'one completed container beside a running one is Running when the pod is Ready',
      pod(
        {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: [cs('c0', running, { ready: true }), cs('c1', { terminated: { exitCode: 0, reason: 'Completed' } })],
        },
        { containers: 2 },
      ),
      'Running',
      '1/2',
      '0',
    ],
    [
      'one completed container beside a running one is NotReady otherwise',
      pod(
        {
          phase: 'Running',
          containerStatuses: [cs('c0', running, { ready: true }), cs('c1', { terminated: { exitCode: 0, reason: 'Completed' } })],
        },
        { containers: 2 },
      ),
      'NotReady',
      '1/2',
      '0',
    ],
    [
      'first init container still running',
      pod({ phase: 'Pending', initContainerStatuses: [cs('i0', running)], containerStatuses: [cs('c0', { waiting: { reason: 'PodInitializing' } })] }, { init: 1 }),
      'Init:0/1',
      '0/1',
      '0',
    ],
    [
      'second of two init containers running',
      pod(
        { phase: 'Pending', initContainerStatuses: [cs('i0', { terminated: { exitCode: 0, reason: 'Completed' } }), cs('i1', running)] },
        { init: 2 },
      ),
      'Init:1/2',
      '0/1',
      '0',
    ],
    [
      'init container crash looping',
      pod(
        { phase: 'Pending', initContainerStatuses: [cs('i0', { waiting: { reason: 'CrashLoopBackOff' } }, { restartCount: 2 })] },
        { init: 1 },
      ),
      'Init:CrashLoopBackOff',
      '0/1',
      '2',
    ],
    [
      'init container failed',
      pod({ phase: 'Failed', initContainerStatuses: [cs('i0', { terminated: { exitCode: 1, reason: 'Error' } })] }, { init: 1 }),
      'Init:Error',
      '0/1',
      '0',
    ],
    [
      'init done, app containers starting',
      pod(
        {
          phase: 'Pending',
          conditions: [{ type: 'Initialized', status: 'True' }],
          initContainerStatuses: [cs('i0', { terminated: { exitCode: 0, reason: 'Completed' } })],
          containerStatuses: [cs('c0', { waiting: { reason: 'PodInitializing' } })],
        },
        { init: 1 },
      ),
      'PodInitializing',
      '0/1',
      '0',
    ],
    ['terminating', pod({ phase: 'Running', containerStatuses: [cs('c0', running, { ready: true })] }, { deleting: true }), 'Terminating', '1/1', '0'],
    ['a finished pod being deleted keeps its status', pod({ phase: 'Succeeded', containerStatuses: [cs('c0', { terminated: { exitCode: 0, reason: 'Completed' } })] }, { deleting: true }), 'Completed', '0/1', '0'],
    ['evicted: the pod reason wins', pod({ phase: 'Failed', reason: 'Evicted' }), 'Evicted', '0/1', '0'],
  ])('%s', (_name, p, status, ready, restarts) => {
    expect(podSummary(p, now)).toEqual({ status, ready, restarts });
  });
});
