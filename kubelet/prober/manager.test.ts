import { describe, expect, it } from 'vitest';
import type { Container, PodStatus } from '../../api/types/core.js';
import { FakeClock } from '../clock.js';
import { MemoryEventRecorder } from '../events.js';
import { makePod } from '../testing/builders.js';
import { FakeRuntime } from '../../runtime/fake/fake-runtime.js';
import { ProberManager } from './manager.js';

describe('ProberManager', () => {
  it('runs a pod’s probes against its current container and feeds ready/liveness and Unhealthy events', async () => {
    const clock = new FakeClock();
    const rt = new FakeRuntime(clock);
    const c: Container = {
      name: 'app',
      image: 'x',
      readinessProbe: { exec: { command: ['ready'] } },
      livenessProbe: { exec: { command: ['live'] }, failureThreshold: 1 },
    };
    const pod = makePod({ containers: [c] });
    rt.addImage('x');
    const sb = await rt.runPodSandbox({ metadata: { name: 'web', uid: 'uid-web', namespace: 'default', attempt: 0 } });
    const id = await rt.createContainer(sb, { metadata: { name: 'app', attempt: 0 }, image: { image: 'x' } }, { metadata: { name: 'web', uid: 'uid-web', namespace: 'default', attempt: 0 } });
    await rt.startContainer(id);
    const status: PodStatus = {
      podIP: '10.88.0.2',
      containerStatuses: [{ name: 'app', ready: false, restartCount: 0, image: 'x', imageID: '', containerID: `fake://${id}`, state: { running: { startedAt: new Date(clock.now()).toISOString() } } }],
    };
    let liveOk = true;
    rt.execHandler = async (_id, cmd) => ({
      stdout: Buffer.from(''),
      stderr: Buffer.from(cmd[0] === 'live' && !liveOk ? 'dead' : ''),
      exitCode: cmd[0] === 'live' && !liveOk ? 1 : 0,
    });
    const recorder = new MemoryEventRecorder();
    const m = new ProberManager({ runtime: rt, statusOf: () => status, recorder, clock });
    m.addPod(pod);
    expect(m.ready(id, c)).toBe(false);
    await m.podStatusChanged('uid-web');
    expect(m.ready(id, c)).toBe(true);
    expect(m.liveness.get(id)).toBe('Success');
    liveOk = false;
    await m.probePod('uid-web');
    expect(m.liveness.get(id)).toBe('Failure');
    expect(recorder.events).toEqual([{ pod: 'web', type: 'Warning', reason: 'Unhealthy', message: 'Liveness probe failed: dead', fieldPath: 'spec.containers{app}' }]);
    m.removePod('uid-web');
  });

  it('containers without probes are ready and started', () => {
    const m = new ProberManager({ runtime: new FakeRuntime(), statusOf: () => undefined });
    expect(m.ready('x', { name: 'a' })).toBe(true);
    expect(m.started('x', { name: 'a' })).toBe(true);
    expect(m.started('x', { name: 'a', startupProbe: { exec: { command: ['x'] } } })).toBe(false);
  });
});
