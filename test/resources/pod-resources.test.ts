// One table of pods, read by the API server, the scheduler and the kubelet through the
// functions each of them calls in production: defaulting (qosClass in status, requests
// defaulted from limits), the scheduler's PodInfo and NodeResourcesFit, the kubelet's
// admission, sandbox and container configs and its status. They must all agree with the one
// arithmetic in api/pod-resources.ts; a component that grows its own copy fails here.
import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../../api/kinds/index.js';
import { MEMORY_SWAP_RESOURCE } from '../../api/pod-resources.js';
import type { Container, Node, Pod, QOSClass, ResourceList } from '../../api/types/core.js';
import { admitPod } from '../../kubelet/admission.js';
import { containerConfig, sandboxConfig } from '../../kubelet/container-config.js';
import { generatePodStatus } from '../../kubelet/status/generate.js';
import { podStatus } from '../../kubelet/testing/builders.js';
import { CycleState } from '../../scheduler/framework/cycle-state.js';
import { NodeInfo, PodInfo } from '../../scheduler/framework/node-info.js';
import { NodeResourcesFit } from '../../scheduler/plugins/node-resources-fit/node-resources-fit.js';

const Mi = 2 ** 20;
const Gi = 2 ** 30;

interface Want {
  /** The pod's effective request (fit, admission, pod cgroup shares). */
  requests: { milliCPU: number; memory: number; scalar?: Record<string, number> };
  /** What scoring counts (100m / 200Mi for a container that requests no cpu / memory). */
  nonZero: { milliCPU: number; memory: number };
  /** The pod cgroup's limits; undefined means none. */
  podLimits: { milliCPU?: number; memory?: number };
  /** Per app container: memory limit and memory+swap as the kubelet hands them to the runtime. */
  containers: { memory?: number; memorySwap?: number }[];
  qos: QOSClass;
}

const c = (name: string, resources?: { requests?: ResourceList; limits?: ResourceList }): Container => ({ name, image: 'busybox', resources });

function pod(containers: Container[], extra: { initContainers?: Container[]; overhead?: ResourceList } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'uid-p' },
    spec: { containers, ...(extra.initContainers ? { initContainers: extra.initContainers } : {}), ...(extra.overhead ? { overhead: extra.overhead } : {}) } as Pod['spec'],
  };
}

const cases: [string, Pod, Want][] = [
  ['nothing requested', pod([c('a')]), { requests: { milliCPU: 0, memory: 0 }, nonZero: { milliCPU: 100, memory: 200 * Mi }, podLimits: {}, containers: [{}], qos: 'BestEffort' }],
  [
    'init container larger than the app containers',
    pod([c('a', { requests: { cpu: '100m', memory: '64Mi' } }), c('b', { requests: { cpu: '200m', memory: '64Mi' } })], { initContainers: [c('i', { requests: { cpu: '1', memory: '32Mi' } })] }),
    { requests: { milliCPU: 1000, memory: 128 * Mi }, nonZero: { milliCPU: 1000, memory: 128 * Mi }, podLimits: {}, containers: [{}, {}], qos: 'Burstable' },
  ],
  [
    'overhead on top of the containers',
    pod([c('a', { limits: { cpu: '500m', memory: '128Mi' } })], { overhead: { cpu: '250m', memory: '120Mi' } }),
    { requests: { milliCPU: 750, memory: 248 * Mi }, nonZero: { milliCPU: 750, memory: 248 * Mi }, podLimits: { milliCPU: 750, memory: 248 * Mi }, containers: [{ memory: 128 * Mi }], qos: 'Guaranteed' },
  ],
  [
    'limits without requests request the limits',
    pod([c('a', { limits: { cpu: '2', memory: '1Gi' } }), c('b', { limits: { cpu: '1', memory: '512Mi' } })]),
    { requests: { milliCPU: 3000, memory: 1536 * Mi }, nonZero: { milliCPU: 3000, memory: 1536 * Mi }, podLimits: { milliCPU: 3000, memory: 1536 * Mi }, containers: [{ memory: Gi }, { memory: 512 * Mi }], qos: 'Guaranteed' },
  ],
  [
    'one container without limits leaves the pod unlimited',
    pod([c('a', { limits: { cpu: '1', memory: '1Gi' } }), c('b', { requests: { cpu: '100m' } })]),
    { requests: { milliCPU: 1100, memory: Gi }, nonZero: { milliCPU: 1100, memory: Gi + 200 * Mi }, podLimits: {}, containers: [{ memory: Gi }, {}], qos: 'Burstable' },
  ],
  [
    'extended resources are requested, not QoS',
    pod([c('a', { limits: { cpu: '1', memory: '1Gi', 'example.com/gpu': '2' } })]),
    { requests: { milliCPU: 1000, memory: Gi, scalar: { 'example.com/gpu': 2 } }, nonZero: { milliCPU: 1000, memory: Gi }, podLimits: { milliCPU: 1000, memory: Gi }, containers: [{ memory: Gi }], qos: 'Guaranteed' },
  ],
  [
    "docker's --memory 200m --memory-swap 1G --cpu-shares 1024: swap is a limit only",
    pod([c('web', { requests: { cpu: '1' }, limits: { memory: '200Mi', [MEMORY_SWAP_RESOURCE]: '1Gi' } })]),
    { requests: { milliCPU: 1000, memory: 200 * Mi }, nonZero: { milliCPU: 1000, memory: 200 * Mi }, podLimits: { memory: 200 * Mi }, containers: [{ memory: 200 * Mi, memorySwap: Gi }], qos: 'Burstable' },
  ],
  [
    'unlimited swap (-1), with an init container limited too',
    pod([c('a', { limits: { cpu: '500m', memory: '64Mi', [MEMORY_SWAP_RESOURCE]: '-1' } })], { initContainers: [c('i', { limits: { cpu: '500m', memory: '64Mi' } })] }),
    { requests: { milliCPU: 500, memory: 64 * Mi }, nonZero: { milliCPU: 500, memory: 64 * Mi }, podLimits: { milliCPU: 500, memory: 64 * Mi }, containers: [{ memory: 64 * Mi, memorySwap: -1 }], qos: 'Guaranteed' },
  ],
];

/** A node with exactly `alloc` to give (plus room for pods). */
function node(alloc: Want['requests']): Node {
  const allocatable: ResourceList = { cpu: `${alloc.milliCPU}m`, memory: String(alloc.memory), pods: '110' };
  for (const [k, v] of Object.entries(alloc.scalar ?? {})) allocatable[k] = String(v);
  return { metadata: { name: 'n', uid: 'uid-n' }, spec: {}, status: { allocatable, capacity: allocatable, conditions: [{ type: 'Ready', status: 'True' }] } };
}

const shares = (milli: number): number => Math.max(2, Math.floor((milli * 1024) / 1000));

describe.each(cases)('%s', (_name, raw, want) => {
  // The API server stores the defaulted pod; the scheduler and the kubelet read that.
  const stored = structuredClone(raw);
  applyDefaults(stored, 'Pod');

  it('API server: qosClass in status, requests defaulted from limits but never memory+swap', () => {
    expect(stored.status?.qosClass).toBe(want.qos);
    for (const ctr of [...stored.spec.containers, ...(stored.spec.initContainers ?? [])]) {
      expect(Object.keys(ctr.resources?.requests ?? {})).not.toContain(MEMORY_SWAP_RESOURCE);
      for (const k of Object.keys(ctr.resources?.limits ?? {})) if (k !== MEMORY_SWAP_RESOURCE) expect(ctr.resources?.requests).toHaveProperty([k]);
    }
  });

  it.each([
    ['as submitted', raw],
    ['as stored', stored],
  ])('scheduler (%s): PodInfo requests and scores, and the pod fits a node of exactly that size', (_what, p) => {
    const info = new PodInfo(p);
    expect(info.requests).toEqual({ milliCPU: want.requests.milliCPU, memory: want.requests.memory, ephemeralStorage: 0, scalar: want.requests.scalar ?? {} });
    expect(info.nonZero).toEqual(want.nonZero);
    const fit = new NodeResourcesFit().filter(new CycleState(), info, new NodeInfo(node(want.requests)));
    expect([...fit.reasons]).toEqual([]);
    if (want.requests.milliCPU > 0) {
      const smaller = new NodeResourcesFit().filter(new CycleState(), info, new NodeInfo(node({ ...want.requests, milliCPU: want.requests.milliCPU - 1 })));
      expect([...smaller.reasons]).toEqual(['Insufficient cpu']);
    }
  });

  it('kubelet: admission, pod and container cgroups, and status', () => {
    const p = structuredClone(stored);
    const { milliCPU, memory } = want.requests;
    expect(admitPod(p, [], { milliCPU, memory, pods: 10 })).toEqual({ admit: true });
    if (memory > 0) expect(admitPod(p, [], { milliCPU, memory: memory - 1, pods: 10 })).toMatchObject({ admit: false, reason: 'OutOfmemory', message: expect.stringContaining(`requested: ${memory},`) });

    const podCgroup = sandboxConfig(p, { attempt: 0 }).linux?.resources;
    expect(podCgroup?.cpuShares).toBe(shares(milliCPU));
    expect(podCgroup?.memoryLimitInBytes).toBe(want.podLimits.memory);
    expect(podCgroup?.cpuQuota).toBe(want.podLimits.milliCPU === undefined ? undefined : want.podLimits.milliCPU * 100);

    const containers = p.spec.containers.map((ctr) => {
      const r = containerConfig(p, ctr, { image: 'busybox', restartCount: 0, init: false, mounts: [], env: {} }).linux?.resources;
      return { ...(r?.memoryLimitInBytes !== undefined ? { memory: r.memoryLimitInBytes } : {}), ...(r?.memorySwapLimitInBytes !== undefined ? { memorySwap: r.memorySwapLimitInBytes } : {}) };
    });
    expect(containers).toEqual(want.containers);

    expect(generatePodStatus(p, podStatus(p, [], []), { runtimeName: 'test', now: 0 }).qosClass).toBe(want.qos);
  });
});
