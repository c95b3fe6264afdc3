import { describe, expect, it } from 'vitest';
import type { Container, Pod, RestartPolicy } from '../api/types/core.js';
import { computePodActions, type PodActions, type ProbeResult } from './pod-actions.js';
import { ctr, exited, makePod, podStatus, sandbox } from './testing/builders.js';
import type { RuntimeContainerStatus } from './runtime-pod.js';
import type { PodSandboxStatus } from '../runtime/cri.js';

const app: Container = { name: 'app', image: 'busybox', command: ['sleep', '1000'] };
const side: Container = { name: 'side', image: 'busybox', command: ['sleep', '9'] };
const init1: Container = { name: 'init1', image: 'busybox', command: ['true'] };
const init2: Container = { name: 'init2', image: 'busybox', command: ['true'] };

interface Expect {
  killPod: boolean;
  createSandbox: boolean;
  attempt?: number;
  nextInit?: number;
  start: number[];
  kill: string[];
}

function summary(a: PodActions): Expect {
  return {
    killPod: a.killPod,
    createSandbox: a.createSandbox,
    attempt: a.attempt,
    nextInit: a.nextInitContainerToStart,
    start: a.containersToStart,
    kill: [...a.containersToKill.values()].map((k) => `${k.name}:${k.reason}`),
  };
}

interface Case {
  name: string;
  policy?: RestartPolicy;
  inits?: Container[];
  containers?: Container[];
  sandboxes: () => PodSandboxStatus[];
  statuses: RuntimeContainerStatus[];
  liveness?: Record<string, ProbeResult>;
  deleting?: boolean;
  want: Expect;
}

const ready = () => [sandbox()];
const none = () => [];

// The ids of containers made for a case are looked up by name in liveness maps.
const running = ctr(app);
const runningSide = ctr(side);

const cases: Case[] = [
  {
    name: 'new pod: create the sandbox (attempt 0) and start every container',
    containers: [app, side],
    sandboxes: none,
    statuses: [],
    want: { killPod: true, createSandbox: true, attempt: 0, start: [0, 1], kill: [] },
  },
  {
    name: 'everything running: nothing to do',
    containers: [app, side],
    sandboxes: ready,
    statuses: [running, runningSide],
    want: { killPod: false, createSandbox: false, attempt: 0, start: [], kill: [] },
  },
  {
    name: 'one container missing: start only that one',
    containers: [app, side],
    sandboxes: ready,
    statuses: [running],
    want: { killPod: false, createSandbox: false, attempt: 0, start: [1], kill: [] },
  },
  {
    name: 'sandbox not ready: kill the pod and recreate it with the next attempt',
    sandboxes: () => [sandbox({ state: 'SANDBOX_NOTREADY', metadata: { name: 'web', uid: 'uid-web', namespace: 'default', attempt: 2 } })],
    statuses: [exited(app, 137)],
    want: { killPod: true, createSandbox: true, attempt: 3, start: [0], kill: [] },
  },
  {
    name: 'sandbox without an IP (network lost): recreate',
    sandboxes: () => [sandbox({ ip: '' })],
    statuses: [ctr(app)],
    want: { killPod: true, createSandbox: true, attempt: 1, start: [0], kill: [] },
  },
  {
    name: 'network mode changed to hostNetwork: recreate',
    sandboxes: ready,
    statuses: [ctr(app)],
    want: { killPod: true, createSandbox: true, attempt: 1, start: [0], kill: [] },
  },
  {
    name: 'sandbox gone under restartPolicy Never after containers ran: done, no new sandbox',
    policy: 'Never',
    sandboxes: () => [sandbox({ state: 'SANDBOX_NOTREADY' })],
    statuses: [exited(app, 0)],
    want: { killPod: true, createSandbox: false, attempt: 1, start: [], kill: [] },
  },
  {
    name: 'sandbox gone under OnFailure with every container succeeded: done',
    policy: 'OnFailure',
    sandboxes: () => [sandbox({ state: 'SANDBOX_NOTREADY' })],
    statuses: [exited(app, 0)],
    want: { killPod: true, createSandbox: false, attempt: 1, start: [], kill: [] },
  },
  {
    name: 'sandbox gone under OnFailure: only the failed container comes back',
    policy: 'OnFailure',
    containers: [app, side],
    sandboxes: () => [sandbox({ state: 'SANDBOX_NOTREADY' })],
    statuses: [exited(app, 0), exited(side, 1)],
    want: { killPod: true, createSandbox: true, attempt: 1, start: [1], kill: [] },
  },
  // restartPolicy matrix for an exited app container in a ready sandbox
  ...(
    [
      ['Always', 0, [0], false],
      ['Always', 1, [0], false],
      ['OnFailure', 0, [], true],
      ['OnFailure', 1, [0], false],
      ['Never', 0, [], true],
      ['Never', 1, [], true],
    ] as const
  ).map(
    ([policy, code, start, killPod]): Case => ({
      name: `exit ${code} under ${policy}: start ${JSON.stringify(start)}, killPod ${killPod}`,
      policy,
      sandboxes: ready,
      statuses: [exited(app, code)],
      want: { killPod, createSandbox: false, attempt: 0, start: [...start], kill: [] },
    }),
  ),
  {
    name: 'a container in unknown state is killed before it is restarted',
    sandboxes: ready,
    statuses: [ctr(app, { state: 'unknown' })],
    want: { killPod: false, createSandbox: false, attempt: 0, start: [0], kill: ['app:Unknown'] },
  },
  {
    name: 'a created (never started) container is started again',
    policy: 'Never',
    sandboxes: ready,
    statuses: [ctr(app, { state: 'created' })],
    want: { killPod: false, createSandbox: false, attempt: 0, start: [0], kill: [] },
  },
  {
    name: 'liveness failure: kill and restart under Always',
    sandboxes: ready,
    statuses: [running],
    liveness: { [running.id]: 'Failure' },
    want: { killPod: false, createSandbox: false, attempt: 0, start: [0], kill: ['app:LivenessProbe'] },
  },
  {
    name: 'liveness failure under Never: kill, no restart, and the pod is done',
    policy: 'Never',
    sandboxes: ready,
    statuses: [running],
    liveness: { [running.id]: 'Failure' },
    want: { killPod: true, createSandbox: false, attempt: 0, start: [], kill: ['app:LivenessProbe'] },
  },
  {
    name: 'liveness success keeps the container',
    sandboxes: ready,
    statuses: [running],
    liveness: { [running.id]: 'Success' },
    want: { killPod: false, createSandbox: false, attempt: 0, start: [], kill: [] },
  },
  {
    name: 'spec changed (hash differs): kill and restart even under Never',
    policy: 'Never',
    sandboxes: ready,
    statuses: [ctr(app, { hash: 'old' })],
    want: { killPod: false, createSandbox: false, attempt: 0, start: [0], kill: ['app:Changed'] },
  },
  // init containers
  {
    name: 'new pod with init containers: sandbox, then the first init container only',
    inits: [init1, init2],
    sandboxes: none,
    statuses: [],
    want: { killPod: true, createSandbox: true, attempt: 0, nextInit: 0, start: [], kill: [] },
  },
  {
    name: 'first init container succeeded: start the second',
    inits: [init1, init2],
    sandboxes: ready,
    statuses: [exited(init1, 0, { init: true })],
    want: { killPod: false, createSandbox: false, attempt: 0, nextInit: 1, start: [], kill: [] },
  },
  {
    name: 'an init container still running: wait',
    inits: [init1, init2],
    sandboxes: ready,
    statuses: [exited(init1, 0, { init: true }), ctr(init2, { init: true, createdAt: 3000 })],
    want: { killPod: false, createSandbox: false, attempt: 0, start: [], kill: [] },
  },
  {
    name: 'all init containers succeeded: start the app containers',
    inits: [init1, init2],
    containers: [app, side],
    sandboxes: ready,
    statuses: [exited(init1, 0, { init: true }), exited(init2, 0, { init: true, createdAt: 3000 })],
    want: { killPod: false, createSandbox: false, attempt: 0, start: [0, 1], kill: [] },
  },
  {
    name: 'failed init container under Always: restart that init container',
    inits: [init1, init2],
    sandboxes: ready,
    statuses: [exited(init1, 0, { init: true }), exited(init2, 1, { init: true, createdAt: 3000 })],
    want: { killPod: false, createSandbox: false, attempt: 0, nextInit: 1, start: [], kill: [] },
  },
  {
    name: 'failed init container under OnFailure: restart it',
    policy: 'OnFailure',
    inits: [init1],
    sandboxes: ready,
    statuses: [exited(init1, 2, { init: true })],
    want: { killPod: false, createSandbox: false, attempt: 0, nextInit: 0, start: [], kill: [] },
  },
  {
    name: 'failed init container under Never: kill the pod',
    policy: 'Never',
    inits: [init1, init2],
    sandboxes: ready,
    statuses: [exited(init1, 1, { init: true })],
    want: { killPod: true, createSandbox: false, attempt: 0, start: [], kill: [] },
  },
  {
    name: 'an app container already running means initialisation is done',
    inits: [init1],
    sandboxes: ready,
    statuses: [running],
    want: { killPod: false, createSandbox: false, attempt: 0, start: [], kill: [] },
  },
  // termination
  {
    name: 'deletionTimestamp: kill the pod and every running container, start nothing',
    containers: [app, side],
    sandboxes: ready,
    statuses: [running, exited(side, 0)],
    deleting: true,
    want: { killPod: true, createSandbox: false, attempt: 0, start: [], kill: ['app:Terminating'] },
  },
  {
    name: 'deletionTimestamp with no sandbox: nothing is created',
    sandboxes: none,
    statuses: [],
    deleting: true,
    want: { killPod: true, createSandbox: false, attempt: 0, start: [], kill: [] },
  },
];

describe('computePodActions', () => {
  it.each(cases)('$name', (tc) => {
    const pod: Pod = makePod({
      containers: tc.containers ?? [app],
      ...(tc.inits ? { initContainers: tc.inits } : {}),
      ...(tc.policy ? { restartPolicy: tc.policy } : {}),
      ...(tc.name.includes('hostNetwork') ? { hostNetwork: true } : {}),
    });
    if (tc.deleting) pod.metadata.deletionTimestamp = '2026-01-01T00:01:00Z';
    const status = podStatus(pod, tc.sandboxes(), tc.statuses);
    const lookup = tc.liveness ? { get: (id: string) => tc.liveness?.[id] } : undefined;
    const got = summary(computePodActions(pod, status, { liveness: lookup }));
    expect(got).toEqual({ ...tc.want, nextInit: tc.want.nextInit });
  });

  it('keeps the existing sandbox id for containers to start in', () => {
    const pod = makePod({ containers: [app] });
    const sb = sandbox();
    const a = computePodActions(pod, podStatus(pod, [sb], []));
    expect(a.sandboxId).toBe(sb.id);
    expect(a.createSandbox).toBe(false);
  });

  it('recreates when two sandboxes are ready at once', () => {
    const pod = makePod({ containers: [app] });
    const a = computePodActions(pod, podStatus(pod, [sandbox(), sandbox()], [ctr(app)]));
    expect(a.killPod).toBe(true);
    expect(a.createSandbox).toBe(true);
  });

  it('the liveness message says the container will be restarted', () => {
    const pod = makePod({ containers: [app] });
    const c = ctr(app);
    const a = computePodActions(pod, podStatus(pod, [sandbox()], [c]), { liveness: { get: () => 'Failure' } });
    expect(a.containersToKill.get(c.id)?.message).toBe('Container app failed liveness probe, will be restarted');
  });
});
