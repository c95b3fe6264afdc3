import { describe, expect, it } from 'vitest';
import type { Container, PodCondition } from '../../api/types/core.js';
import { ctr, exited, makePod, podStatus, sandbox } from '../testing/builders.js';
import { mergeConditions } from './conditions.js';
import { generatePodStatus } from './generate.js';

const app: Container = { name: 'app', image: 'busybox', resources: { limits: { cpu: '1', memory: '64Mi' } } };
const T0 = Date.UTC(2026, 0, 1, 12);
const cond = (s: { conditions?: PodCondition[] }, type: string) => s.conditions?.find((c) => c.type === type);

describe('generatePodStatus', () => {
  it('a running pod: Running, all conditions True, pod IP, host IP, QoS, start time', () => {
    const pod = makePod({ containers: [app] });
    const s = generatePodStatus(pod, podStatus(pod, [sandbox({ ip: '10.88.0.7' })], [ctr(app)]), { runtimeName: 'skiff', hostIP: '192.168.1.2', now: T0 });
    expect(s.phase).toBe('Running');
    expect(s.podIP).toBe('10.88.0.7');
    expect(s.podIPs).toEqual([{ ip: '10.88.0.7' }]);
    expect(s.hostIP).toBe('192.168.1.2');
    expect(s.qosClass).toBe('Guaranteed');
    expect(s.startTime).toBe('2026-01-01T12:00:00Z');
    for (const t of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']) expect(cond(s, t)?.status).toBe('True');
  });

  it('not ready: Ready and ContainersReady False with the unready container names', () => {
    const pod = makePod({ containers: [app, { name: 'side', image: 'busybox' }] });
    const s = generatePodStatus(pod, podStatus(pod, [sandbox()], [ctr(app)]), { runtimeName: 'skiff', now: T0 });
    expect(s.phase).toBe('Pending');
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [side]' });
  });

  it('init containers incomplete: Initialized False', () => {
    const pod = makePod({ containers: [app], initContainers: [{ name: 'i1', image: 'b' }, { name: 'i2', image: 'b' }] });
    const s = generatePodStatus(pod, podStatus(pod, [sandbox()], [exited({ name: 'i1', image: 'b' }, 0, { init: true })]), { runtimeName: 'skiff', now: T0 });
    expect(cond(s, 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [i2]' });
    expect(s.initContainerStatuses?.map((c) => c.name)).toEqual(['i1', 'i2']);
  });

  it('a completed pod under Never: Succeeded, Ready False (PodCompleted), and stays Succeeded', () => {
    const pod = makePod({ containers: [app], restartPolicy: 'Never' });
    const s = generatePodStatus(pod, podStatus(pod, [sandbox()], [exited(app, 0)]), { runtimeName: 'skiff', now: T0 });
    expect(s.phase).toBe('Succeeded');
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    pod.status = s;
    const later = generatePodStatus(pod, podStatus(pod, [], []), { runtimeName: 'skiff', now: T0 + 5000 });
    expect(later.phase).toBe('Succeeded');
    expect(later.podIP).toBe(s.podIP);
    expect(later.startTime).toBe(s.startTime);
  });
});

describe('mergeConditions', () => {
  it('keeps lastTransitionTime while the status is unchanged and moves it on a change', () => {
    const t1 = '2026-01-01T00:00:00.000Z';
    const t2 = '2026-01-01T00:05:00.000Z';
    const first = mergeConditions(undefined, [{ type: 'Ready', status: 'False' }], t1);
    const same = mergeConditions(first, [{ type: 'Ready', status: 'False', reason: 'X' }], t2);
    expect(same[0].lastTransitionTime).toBe(t1);
    const changed = mergeConditions(same, [{ type: 'Ready', status: 'True' }], t2);
    expect(changed[0].lastTransitionTime).toBe(t2);
  });

  it('keeps conditions owned by others', () => {
    const out = mergeConditions([{ type: 'DisruptionTarget', status: 'True' }], [{ type: 'Ready', status: 'True' }], 't');
    expect(out.map((c) => c.type)).toEqual(['Ready', 'DisruptionTarget']);
  });
});
