// Scenario tests of the pod sync (plan + act + status) on the fake runtime with a fake clock.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Container, Pod } from '../api/types/core.js';
import { RuntimeError } from '../runtime/cri.js';
import { emptyDirPath } from './volumes.js';
import { makeHarness, type Harness } from './testing/harness.js';
import { makePod } from './testing/builders.js';

let h: Harness;
afterEach(async () => {
  await h?.cleanup();
});

const sleeper = (name: string, extra: Partial<Container> = {}): Container => ({ name, image: 'busybox:1.36', command: ['sleep', '3600'], ...extra });

function runningIds(h: Harness, name: string): string[] {
  return h.rt.containersOf(name).filter((c) => c.status.state === 'CONTAINER_RUNNING').map((c) => c.status.id);
}

const sync = (pod: Pod) => h.sync(pod);

describe('a new pod', () => {
  it('gets a sandbox with host ports and pod cgroup, containers with env, command/args, mounts, resources; then Running and Ready', async () => {
    h = await makeHarness();
    h.rt.addImage('busybox:1.36');
    const pod = makePod({
      volumes: [{ name: 'scratch', emptyDir: {} }],
      containers: [
        sleeper('web', {
          command: ['/bin/sh', '-c'],
          args: ['echo $(GREETING) from $(POD_NAME)'],
          env: [
            { name: 'GREETING', value: 'hello' },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'MSG', value: '$(GREETING) world $$(GREETING)' },
          ],
          ports: [{ containerPort: 8080, hostPort: 18080 }],
          volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
          resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
        }),
        sleeper('side'),
      ],
    });
    await sync(pod);

    const [sb] = h.rt.sandboxes.values();
    expect(sb.config.portMappings).toEqual([{ protocol: 'TCP', containerPort: 8080, hostPort: 18080 }]);
    expect(sb.config.metadata).toEqual({ name: 'web', uid: 'uid-web', namespace: 'default', attempt: 0 });
    const web = h.rt.containersOf('web')[0].config;
    expect(web.command).toEqual(['/bin/sh', '-c']);
    expect(web.args).toEqual(['echo hello from web']);
    expect(web.envs).toEqual([
      { key: 'GREETING', value: 'hello' },
      { key: 'POD_NAME', value: 'web' },
      { key: 'POD_NS', value: 'default' },
      { key: 'POD_IP', value: sb.status.network?.ip },
      { key: 'MSG', value: 'hello world $(GREETING)' },
    ]);
    expect(web.mounts).toEqual([
      { containerPath: '/scratch', hostPath: emptyDirPath(h.root, 'uid-web', 'scratch'), readonly: false, propagation: 'PROPAGATION_PRIVATE' },
      { containerPath: '/dev/termination-log', hostPath: expect.stringContaining(`${h.root}/pods/uid-web/containers/web/`), readonly: false, propagation: 'PROPAGATION_PRIVATE' },
    ]);
    // The termination message file: empty, and writable by whatever user the container runs as.
    const tlog = await fs.stat(web.mounts?.[1].hostPath ?? '');
    expect([tlog.size, tlog.mode & 0o777]).toEqual([0, 0o666]);
    expect(web.annotations).toMatchObject({ 'io.kubernetes.container.terminationMessagePath': '/dev/termination-log', 'io.kubernetes.container.terminationMessagePolicy': 'File' });
    expect((await fs.stat(emptyDirPath(h.root, 'uid-web', 'scratch'))).isDirectory()).toBe(true);
    expect(web.linux?.resources).toMatchObject({ cpuShares: 256, cpuQuota: 50_000, cpuPeriod: 100_000, memoryLimitInBytes: 128 * 2 ** 20 });

    expect(h.recorder.reasons()).toEqual(['Pulled', 'Created', 'Started', 'Pulled', 'Created', 'Started']);
    const st = h.status(pod);
    expect(st.phase).toBe('Running');
    expect(st.podIP).toBe(sb.status.network?.ip);
    expect(st.hostIP).toBe('192.168.50.10');
    expect(st.qosClass).toBe('Burstable');
    expect(st.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(st.containerStatuses?.map((c) => [c.name, c.restartCount, !!c.state?.running, c.containerID?.startsWith('skiff://')])).toEqual([
      ['web', 0, true, true],
      ['side', 0, true, true],
    ]);
  });

  it('publishes Pending with startTime and ContainerCreating before anything starts', async () => {
    h = await makeHarness();
    h.rt.addImage('busybox:1.36');
    const pod = makePod({ containers: [sleeper('app')] });
    await sync(pod);
    const first = h.writes[0]?.status;
    expect(first?.phase).toBe('Pending');
    expect(first?.startTime).toBeTruthy();
    expect(first?.containerStatuses?.map((c) => c.state?.waiting?.reason)).toEqual(['ContainerCreating']);
    // The startTime stays what it was when the kubelet took the pod on.
    expect(h.status(pod).phase).toBe('Running');
    expect(h.status(pod).startTime).toBe(first?.startTime);
  });

  it('a second sync of a running pod changes nothing and writes no status', async () => {
    h = await makeHarness();
    h.rt.addImage('busybox:1.36');
    const pod = makePod({ containers: [sleeper('app')] });
    await sync(pod);
    const calls = h.rt.calls.length;
    const writes = h.writes.length;
    await sync(pod);
    expect(h.rt.calls.slice(calls).map((c) => c.method)).toEqual([]);
    expect(h.writes).toHaveLength(writes);
  });

  it('a restarted kubelet re-adopts running containers: same IDs, no new sandbox, restartCount kept', async () => {
    h = await makeHarness();
    h.rt.addImage('busybox:1.36');
    const pod = makePod({ containers: [sleeper('app')] });
    await sync(pod);
    const id = runningIds(h, 'app');
    const restarted = await makeHarness({ rt: h.rt, clock: h.clock, root: h.root });
    await restarted.sync({ ...pod, status: h.status(pod) });
    expect(runningIds(restarted, 'app')).toEqual(id);
    expect(h.rt.callsOf('runPodSandbox')).toHaveLength(1);
    expect(h.rt.callsOf('createContainer')).toHaveLength(1);
    // Nothing changed, so the restarted kubelet (seeded from the API status) has nothing to write.
    expect(restarted.status({ ...pod }).containerStatuses?.[0].containerID).toBe(`skiff://${id[0]}`);
    await restarted.cleanup();
  });
});

describe('CrashLoopBackOff', () => {
  it('restarts at once the first time, then waits 10 s, 20 s, ... showing CrashLoopBackOff with lastState', async () => {
    h = await makeHarness();
    h.rt.addImage('busybox:1.36');
    const pod = makePod({ containers: [sleeper('app')] });
    await sync(pod);
    const crash = () => h.rt.exitContainer(runningIds(h, 'app')[0], 1);

    crash();
    await sync(pod);
    expect(h.status(pod).containerStatuses?.[0]).toMatchObject({ restartCount: 1, state: { running: {} } });

    crash();
    const r = await sync(pod);
    expect(r.requeueAfterMs).toBe(10_000);
    const cs = h.status(pod).containerStatuses?.[0];
    expect(cs?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(cs?.state?.waiting?.message).toBe('back-off 10s restarting failed container=app pod=web_default(uid-web)');
    expect(cs?.lastState?.terminated?.exitCode).toBe(1);
    expect(cs?.restartCount).toBe(1);
    expect(h.status(pod).phase).toBe('Running');
    expect(h.recorder.reasons().at(-1)).toBe('BackOff');

    h.clock.advance(9_000);
    await sync(pod);
    expect(runningIds(h, 'app')).toHaveLength(0);
    h.clock.advance(1_000);
    await sync(pod);
    expect(h.status(pod).containerStatuses?.[0]).toMatchObject({ restartCount: 2, state: { running: {} } });

    crash();
    expect((await sync(pod)).requeueAfterMs).toBe(20_000);
    // Old instances are pruned: the current one and the one before stay.
    expect(h.rt.containersOf('app').length).toBeLessThanOrEqual(2);
  });
});

describe('restartPolicy', () => {
  it.each([
    ['Never', 1, 'Failed', 0],
    ['Never', 0, 'Succeeded', 0],
    ['OnFailure', 0, 'Succeeded', 0],
    ['OnFailure', 1, 'Running', 1],
    ['Always', 0, 'Running', 1],
  ] as const)('%s with exit %i: phase %s, restartCount %i', async (policy, code, phase, restarts) => {
    h = await makeHarness();
    h.rt.addImage('busybox:1.36');
    const pod = makePod({ restartPolicy: policy, containers: [sleeper('app')] });
    await sync(pod);
    h.rt.exitContainer(runningIds(h, 'app')[0], code);
    await sync(pod);
    await sync(pod);
    const st = h.status(pod);
    expect(st.phase).toBe(phase);
    expect(st.containerStatuses?.[0].restartCount).toBe(restarts);
    if (phase === 'Failed' || phase === 'Succeeded') {
      expect(st.containerStatuses?.[0].state?.terminated?.exitCode).toBe(code);
      expect([...h.rt.sandboxes.values()].every((s) => s.status.state === 'SANDBOX_NOTREADY')).toBe(true);
      expect(st.podIP).toBeDefined();
    }
  });
});

describe('init containers', () => {
  it('run one at a time in order, then the app containers start', async () => {
    h = await makeHarness();
    h.rt.addImage('busybox:1.36');
    const pod = makePod({ initContainers: [sleeper('init1'), sleeper('init2')], containers: [sleeper('app')] });
    await sync(pod);
    expect(h.rt.callsOf('createContainer').map((c) => (c.args[1] as { metadata: { name: string } }).metadata.name)).toEqual(['init1']);
    let st = h.status(pod);
    expect(st.phase).toBe('Pending');
    expect(st.containerStatuses?.[0].state?.waiting?.reason).toBe('PodInitializing');
    expect(st.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('False');

    h.rt.exitContainer(runningIds(h, 'init1')[0], 0);
    await sync(pod);
    h.rt.exitContainer(runningIds(h, 'init2')[0], 0);
    await sync(pod);
    st = h.status(pod);
    expect(st.phase).toBe('Running');
    expect(st.initContainerStatuses?.map((c) => c.state?.terminated?.reason)).toEqual(['Completed', 'Completed']);
    expect(st.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
    expect(runningIds(h, 'app')).toHaveLength(1);
  });

  it('a failing init container under Never fails the pod without starting app containers', async () => {
    h = await makeHarness();
    h.rt.addImage('busybox:1.36');
    const pod = makePod({ restartPolicy: 'Never', initContainers: [sleeper('init1')], containers: [sleeper('app')] });
    await sync(pod);
    h.rt.exitContainer(runningIds(h, 'init1')[0], 3);
    await sync(pod);
    expect(h.status(pod).phase).toBe('Failed');
    expect(h.rt.containersOf('app')).toHaveLength(0);
  });
});

describe('image pull failures', () => {
  it('show ErrImagePull with the registry message, then ImagePullBackOff', async () => {
    h = await makeHarness();
    h.rt.pullErrors.set('127.0.0.1:5000/missing:v1', new RuntimeError('NotFound', 'manifest unknown'));
    const pod = makePod({ containers: [{ name: 'app', image: '127.0.0.1:5000/missing:v1' }] });
    const r = await sync(pod);
    expect(r.requeueAfterMs).toBe(10_000);
    expect(h.status(pod).containerStatuses?.[0].state?.waiting).toEqual({ reason: 'ErrImagePull', message: 'manifest unknown' });
    expect(h.status(pod).phase).toBe('Pending');
    h.clock.advance(1_000);
    await sync(pod);
    expect(h.status(pod).containerStatuses?.[0].state?.waiting?.reason).toBe('ImagePullBackOff');
    expect(h.recorder.reasons()).toEqual(['Pulling', 'Failed', 'Failed', 'BackOff', 'Failed']);
  });
});

describe('container start errors', () => {
  it('runAsNonRoot with runAsUser 0 is CreateContainerConfigError', async () => {
    h = await makeHarness();
    h.rt.addImage('busybox:1.36');
    const pod = makePod({ containers: [sleeper('app', { securityContext: { runAsNonRoot: true, runAsUser: 0 } })] });
    await sync(pod);
    expect(h.status(pod).containerStatuses?.[0].state?.waiting?.reason).toBe('CreateContainerConfigError');
    expect(h.rt.callsOf('createContainer')).toHaveLength(0);
  });

  it('a runtime error on create is CreateContainerError with its message', async () => {
    h = await makeHarness();
    h.rt.addImage('busybox:1.36');
    h.rt.failNext.set('createContainer', new RuntimeError('Internal', 'bundle: no such file'));
    const pod = makePod({ containers: [sleeper('app')] });
    await sync(pod);
    expect(h.status(pod).containerStatuses?.[0].state?.waiting).toEqual({ reason: 'CreateContainerError', message: 'bundle: no such file' });
    await sync(pod);
    expect(h.status(pod).containerStatuses?.[0].state?.running).toBeDefined();
  });

  it('security context reaches the container config', async () => {
    h = await makeHarness();
    h.rt.addImage('busybox:1.36');
    const pod = makePod({
      securityContext: { runAsUser: 1000, fsGroup: 2000 },
      containers: [sleeper('app', { securityContext: { runAsGroup: 3000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } })],
    });
    await sync(pod);
    expect(h.rt.containersOf('app')[0].config.linux?.securityContext).toEqual({
      runAsUser: 1000,
      runAsGroup: 3000,
      readonlyRootfs: true,
      noNewPrivs: true,
      capabilities: { addCapabilities: [], dropCapabilities: ['ALL'] },
      supplementalGroups: [2000],
    });
  });
});

describe('probes', () => {
  it('a failing liveness probe kills the container (Killing event) and starts a new one', async () => {
    let healthy = true;
    h = await makeHarness({ run: async () => (healthy ? { result: 'Success', output: '' } : { result: 'Failure', output: 'HTTP probe failed with statuscode: 500' }) });
    h.rt.addImage('busybox:1.36');
    const pod = makePod({ containers: [sleeper('app', { livenessProbe: { httpGet: { port: 8080, path: '/healthz' }, failureThreshold: 1 } })] });
    await sync(pod);
    const first = runningIds(h, 'app')[0];
    healthy = false;
    await h.prober.probePod('uid-web');
    await sync(pod);
    expect(h.rt.callsOf('stopContainer').map((c) => c.args)).toEqual([[first, 30]]);
    const killing = h.recorder.events.find((e) => e.reason === 'Killing');
    expect(killing?.message).toBe('Container app failed liveness probe, will be restarted');
    expect(h.recorder.reasons()).toContain('Unhealthy');
    expect(runningIds(h, 'app')).toHaveLength(1);
    expect(runningIds(h, 'app')[0]).not.toBe(first);
    expect(h.status(pod).containerStatuses?.[0].restartCount).toBe(1);
  });

  it('repeated liveness kills back off like a crash loop', async () => {
    h = await makeHarness({ run: async () => ({ result: 'Failure', output: 'dead' }) });
    h.rt.addImage('busybox:1.36');
    const pod = makePod({ containers: [sleeper('app', { livenessProbe: { exec: { command: ['x'] }, failureThreshold: 1 } })] });
    await sync(pod);
    await h.prober.probePod('uid-web');
    await sync(pod); // first kill: restarted at once (no exited instance yet)
    await h.prober.probePod('uid-web');
    await sync(pod); // second kill: an exited instance exists; its backoff entry starts, restart still allowed
    h.clock.advance(1_000);
    await h.prober.probePod('uid-web');
    const r = await sync(pod); // third kill within 10 s of the last exit: back-off
    expect(r.requeueAfterMs).toBeGreaterThan(0);
    expect(runningIds(h, 'app')).toHaveLength(0);
    expect(h.status(pod).containerStatuses?.[0].state?.waiting?.reason).toBe('CrashLoopBackOff');
  });

  it('a failing readiness probe keeps the pod Running but not Ready', async () => {
    h = await makeHarness({ run: async () => ({ result: 'Failure', output: 'nope' }) });
    h.rt.addImage('busybox:1.36');
    const pod = makePod({ containers: [sleeper('app', { readinessProbe: { tcpSocket: { port: 80 } } })] });
    await sync(pod);
    await h.prober.probePod('uid-web');
    await sync(pod);
    const st = h.status(pod);
    expect(st.phase).toBe('Running');
    expect(st.containerStatuses?.[0].ready).toBe(false);
    expect(st.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
  });

  it('a passing readiness probe makes the pod Ready in the same sync that starts it', async () => {
    h = await makeHarness({ run: async () => ({ result: 'Success', output: '' }) });
    h.rt.addImage('busybox:1.36');
    const pod = makePod({ containers: [sleeper('app', { readinessProbe: { tcpSocket: { port: 80 } } })] });
    await sync(pod);
    expect(h.status(pod).conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });
});

describe('termination', () => {
  it('stops containers with the deletion grace period, removes sandbox, containers and pod dir, reports terminated', async () => {
    h = await makeHarness();
    h.rt.addImage('busybox:1.36');
    const pod = makePod({ volumes: [{ name: 'v', emptyDir: {} }], containers: [sleeper('app', { volumeMounts: [{ name: 'v', mountPath: '/v' }] })] });
    await sync(pod);
    const id = runningIds(h, 'app')[0];
    const deleting: Pod = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date(h.clock.now()).toISOString(), deletionGracePeriodSeconds: 5 } };
    await h.lifecycle.sync({ type: 'sync', pod: deleting });
    expect(h.rt.callsOf('stopContainer').map((c) => c.args)).toEqual([[id, 5]]);
    expect(h.recorder.events.at(-1)).toMatchObject({ reason: 'Killing', message: 'Stopping container app' });
    expect(h.rt.containers.size).toBe(0);
    expect(h.rt.sandboxes.size).toBe(0);
    await expect(fs.stat(path.join(h.root, 'pods', 'uid-web'))).rejects.toThrow();
    expect(h.terminated).toEqual(['web']);
  });

  it("writes a deleted pod's last status (containers terminated) before reporting it terminated", async () => {
    h = await makeHarness();
    h.rt.addImage('busybox:1.36');
    const pod = makePod({ containers: [sleeper('app')] });
    await sync(pod);
    const deleting: Pod = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date(h.clock.now()).toISOString(), deletionGracePeriodSeconds: 5 } };
    const writesAtTermination: number[] = [];
    const seen = h.terminated;
    const push = seen.push.bind(seen);
    seen.push = (...names: string[]) => {
      writesAtTermination.push(h.writes.length);
      return push(...names);
    };
    await h.lifecycle.sync({ type: 'sync', pod: deleting });
    expect([...h.terminated]).toEqual(['web']);
    expect(writesAtTermination).toEqual([h.writes.length]);
    expect(h.writes.at(-1)?.status.containerStatuses?.[0].state?.terminated).toBeTruthy();
  });

  it('gracePeriodSeconds 0 kills at once; the pod spec grace applies otherwise', async () => {
    h = await makeHarness();
    h.rt.addImage('busybox:1.36');
    const pod = makePod({ terminationGracePeriodSeconds: 12, containers: [sleeper('app')] });
    await sync(pod);
    await h.lifecycle.sync({ type: 'kill', pod, gracePeriodSeconds: 0 });
    expect(h.rt.callsOf('stopContainer').map((c) => c.args[1])).toEqual([0]);

    const other = makePod({ terminationGracePeriodSeconds: 12, containers: [sleeper('app')] }, 'other');
    await sync(other);
    await h.lifecycle.sync({ type: 'kill', pod: other });
    expect(h.rt.callsOf('stopContainer').map((c) => c.args[1])).toEqual([0, 12]);
  });
});
