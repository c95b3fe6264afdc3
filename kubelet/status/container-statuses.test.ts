import { describe, expect, it } from 'vitest';
import type { Container } from '../../api/types/core.js';
import { ctr, exited, makePod, podStatus, sandbox } from '../testing/builders.js';
import { convertContainerStatuses, type ContainerProbeState } from './container-statuses.js';
import { ReasonCache } from './reason-cache.js';

const app: Container = { name: 'app', image: 'busybox:1.36' };
const init: Container = { name: 'setup', image: 'busybox:1.36' };
const opts = { runtimeName: 'skiff' };

describe('convertContainerStatuses', () => {
  it('a container not yet created is waiting in ContainerCreating', () => {
    const pod = makePod({ containers: [app] });
    const [s] = convertContainerStatuses(pod, podStatus(pod, [sandbox()], []), false, opts);
    expect(s).toEqual({
      name: 'app',
      state: { waiting: { reason: 'ContainerCreating' } },
      ready: false,
      restartCount: 0,
      image: 'busybox:1.36',
      imageID: '',
      started: false,
    });
  });

  it('app containers wait in PodInitializing while a pod has init containers', () => {
    const pod = makePod({ containers: [app], initContainers: [init] });
    const rs = podStatus(pod, [sandbox()], [ctr(init, { init: true })]);
    expect(convertContainerStatuses(pod, rs, false, opts)[0].state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(convertContainerStatuses(pod, rs, true, opts)[0].state?.running).toBeDefined();
  });

  it('a running container: running state, containerID with the runtime scheme, imageID, ready and started', () => {
    const pod = makePod({ containers: [app] });
    const c = ctr(app, { startedAt: Date.UTC(2026, 0, 1, 10), restartCount: 2 });
    const [s] = convertContainerStatuses(pod, podStatus(pod, [sandbox()], [c]), false, opts);
    expect(s.state).toEqual({ running: { startedAt: '2026-01-01T10:00:00Z' } });
    expect(s.containerID).toBe(`skiff://${c.id}`);
    expect(s.imageID).toBe(c.imageRef);
    expect(s.restartCount).toBe(2);
    expect(s.ready).toBe(true);
    expect(s.started).toBe(true);
  });

  it('readiness and startup come from the prober', () => {
    const pod = makePod({ containers: [{ ...app, readinessProbe: { exec: { command: ['true'] } } }] });
    const c = ctr(pod.spec.containers[0]);
    const probes: ContainerProbeState = { ready: () => false, started: () => true };
    const [s] = convertContainerStatuses(pod, podStatus(pod, [sandbox()], [c]), false, { ...opts, probes });
    expect(s.started).toBe(true);
    expect(s.ready).toBe(false);
  });

  it('the instance before the newest becomes lastState.terminated (OOMKilled kept)', () => {
    const pod = makePod({ containers: [app] });
    const old = exited(app, 137, { reason: 'OOMKilled', createdAt: 1, startedAt: 1000, finishedAt: 5000 });
    const now = ctr(app, { createdAt: 9, restartCount: 1 });
    const [s] = convertContainerStatuses(pod, podStatus(pod, [sandbox()], [old, now]), false, opts);
    expect(s.state?.running).toBeDefined();
    expect(s.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled', containerID: `skiff://${old.id}` });
    expect(s.restartCount).toBe(1);
  });

  it('a crashed container due for restart shows the CrashLoopBackOff reason with lastState', () => {
    const pod = makePod({ containers: [app] });
    const c = exited(app, 1, { restartCount: 3 });
    const reasons = new ReasonCache();
    reasons.set('uid-web', 'app', { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=app pod=web_default(uid-web)' });
    const [s] = convertContainerStatuses(pod, podStatus(pod, [sandbox()], [c]), false, { ...opts, reasons });
    expect(s.state).toEqual({ waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=app pod=web_default(uid-web)' } });
    expect(s.lastState?.terminated?.exitCode).toBe(1);
    expect(s.restartCount).toBe(3);
  });

  it('a finished container that will not restart (Never) stays terminated despite a cached reason', () => {
    const pod = makePod({ containers: [app], restartPolicy: 'Never' });
    const reasons = new ReasonCache();
    reasons.set('uid-web', 'app', { reason: 'CrashLoopBackOff', message: '' });
    const [s] = convertContainerStatuses(pod, podStatus(pod, [sandbox()], [exited(app, 1)]), false, { ...opts, reasons });
    expect(s.state?.terminated?.exitCode).toBe(1);
    expect(s.state?.terminated?.reason).toBe('Error');
  });

  it('an image that cannot be pulled shows ErrImagePull before any container exists', () => {
    const pod = makePod({ containers: [app] });
    const reasons = new ReasonCache();
    reasons.set('uid-web', 'app', { reason: 'ErrImagePull', message: 'manifest unknown' });
    const [s] = convertContainerStatuses(pod, podStatus(pod, [sandbox()], []), false, { ...opts, reasons });
    expect(s.state).toEqual({ waiting: { reason: 'ErrImagePull', message: 'manifest unknown' } });
  });

  it('keeps the old restartCount and terminated state when the runtime lost the container', () => {
    const pod = makePod({ containers: [app] });
    pod.status = {
      containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } }, ready: false, restartCount: 4, image: 'busybox', imageID: 'x' }],
    };
    const [s] = convertContainerStatuses(pod, podStatus(pod, [], []), false, opts);
    expect(s.restartCount).toBe(4);
    expect(s.state?.terminated?.reason).toBe('Completed');
  });
});
