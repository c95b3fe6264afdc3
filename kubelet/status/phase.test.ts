import { describe, expect, it } from 'vitest';
import type { ContainerStatus, RestartPolicy } from '../../api/types/core.js';
import { makePod } from '../testing/builders.js';
import { getPhase } from './phase.js';

const base = { ready: false, restartCount: 0, image: 'busybox', imageID: '' };
const running = (name: string): ContainerStatus => ({ ...base, name, state: { running: {} } });
const term = (name: string, exitCode: number): ContainerStatus => ({ ...base, name, state: { terminated: { exitCode } } });
const waiting = (name: string): ContainerStatus => ({ ...base, name, state: { waiting: { reason: 'ContainerCreating' } } });
const crashLoop = (name: string, exitCode: number): ContainerStatus => ({
  ...base,
  name,
  state: { waiting: { reason: 'CrashLoopBackOff' } },
  lastState: { terminated: { exitCode } },
});

describe('getPhase', () => {
  const two = [{ name: 'a' }, { name: 'b' }];
  it.each<[string, RestartPolicy, ContainerStatus[], string]>([
    ['all waiting', 'Always', [waiting('a'), waiting('b')], 'Pending'],
    ['one running, one waiting', 'Always', [running('a'), waiting('b')], 'Pending'],
    ['all running', 'Always', [running('a'), running('b')], 'Running'],
    ['one running, one status missing', 'Always', [running('a')], 'Pending'],
    ['exit 0 under Always', 'Always', [term('a', 0), term('b', 0)], 'Running'],
    ['exit 0 under OnFailure', 'OnFailure', [term('a', 0), term('b', 0)], 'Succeeded'],
    ['exit 0 under Never', 'Never', [term('a', 0), term('b', 0)], 'Succeeded'],
    ['exit 1 under Never', 'Never', [term('a', 0), term('b', 1)], 'Failed'],
    ['exit 1 under OnFailure (will restart)', 'OnFailure', [term('a', 0), term('b', 1)], 'Running'],
    ['crash loop under Always is Running', 'Always', [crashLoop('a', 1), crashLoop('b', 1)], 'Running'],
    ['one running, one done under Never', 'Never', [running('a'), term('b', 1)], 'Running'],
  ])('%s (%s) -> %s', (_n, policy, statuses, want) => {
    const pod = makePod({ restartPolicy: policy, containers: two.map((c) => ({ ...c, image: 'busybox' })) });
    expect(getPhase(pod, [], statuses)).toBe(want);
  });

  it('a terminal pod reports Failed/Succeeded from exit codes even under Always', () => {
    const pod = makePod({ containers: [{ name: 'a' }] });
    expect(getPhase(pod, [], [term('a', 0)], true)).toBe('Succeeded');
    expect(getPhase(pod, [], [term('a', 2)], true)).toBe('Failed');
  });

  describe('init containers', () => {
    const pod = (policy: RestartPolicy) =>
      makePod({ restartPolicy: policy, initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'a' }] });
    it('pending while init containers run', () => {
      expect(getPhase(pod('Always'), [term('i1', 0), running('i2')], [waiting('a')])).toBe('Pending');
    });
    it('a failed init container under Never fails the pod', () => {
      expect(getPhase(pod('Never'), [term('i1', 1)], [waiting('a')])).toBe('Failed');
    });
    it('a failed init container under OnFailure keeps it Pending (it is retried)', () => {
      expect(getPhase(pod('OnFailure'), [crashLoop('i1', 1)], [waiting('a')])).toBe('Pending');
    });
    it('all init containers done and the app running: Running', () => {
      expect(getPhase(pod('Always'), [term('i1', 0), term('i2', 0)], [running('a')])).toBe('Running');
    });
  });
});
