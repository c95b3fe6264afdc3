// Objects the describe tests share: a running pod with most fields set, a pending one with
// the scheduler's verdict, and a node.
import type { Event, Node, Pod } from '../../api/types/core.js';

export const clock = () => new Date('2026-01-01T00:10:00Z');

export const runningPod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'kuard',
    namespace: 'default',
    creationTimestamp: '2026-01-01T00:00:00Z',
    labels: { tier: 'web', app: 'kuard' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'example.com/owner': 'team-a' },
  },
  spec: {
    nodeName: 'node-1',
    priority: 0,
    containers: [
      {
        name: 'kuard',
        image: 'kuard:1',
        command: ['/kuard'],
        args: ['--port', '8080'],
        ports: [{ containerPort: 8080, hostPort: 8080 }],
        resources: { limits: { memory: '128Mi' }, requests: { cpu: '100m', memory: '64Mi' } },
        livenessProbe: { httpGet: { path: '/healthy', port: 8080 } },
        readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 5 },
        env: [{ name: 'MODE', value: 'demo' }, { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
    tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
  },
  status: {
    phase: 'Running',
    hostIP: '10.0.0.2',
    podIP: '10.88.0.5',
    podIPs: [{ ip: '10.88.0.5' }],
    startTime: '2026-01-01T00:00:01Z',
    qosClass: 'Burstable',
    conditions: [
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: 'True' },
      { type: 'PodScheduled', status: 'True' },
    ],
    containerStatuses: [
      {
        name: 'kuard',
        ready: true,
        restartCount: 1,
        image: 'kuard:1',
        imageID: 'sha256:abc',
        containerID: 'skiff://0123',
        state: { running: { startedAt: '2026-01-01T00:05:00Z' } },
        lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2026-01-01T00:00:02Z', finishedAt: '2026-01-01T00:04:59Z' } },
      },
    ],
  },
};

export const podEvents: Event[] = [
  {
    metadata: { name: 'e2' },
    involvedObject: { kind: 'Pod', name: 'kuard' },
    type: 'Warning',
    reason: 'BackOff',
    message: 'Back-off restarting failed container',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: '2026-01-01T00:02:00Z',
    lastTimestamp: '2026-01-01T00:08:00Z',
    count: 4,
  },
  {
    metadata: { name: 'e1' },
    involvedObject: { kind: 'Pod', name: 'kuard' },
    type: 'Normal',
    reason: 'Scheduled',
    message: 'Successfully assigned default/kuard to node-1',
    source: { component: 'default-scheduler' },
    firstTimestamp: '2026-01-01T00:00:00Z',
    lastTimestamp: '2026-01-01T00:00:00Z',
    count: 1,
  },
];

export const node: Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-1', creationTimestamp: '2026-01-01T00:00:00Z', labels: { 'kubernetes.io/hostname': 'node-1', 'node-role.kubernetes.io/control-plane': '' } },
  spec: { podCIDR: '10.88.0.0/24', podCIDRs: ['10.88.0.0/24'], taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }] },
  status: {
    capacity: { cpu: '4', memory: '8Gi', pods: '110' },
    allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2026-01-01T00:09:50Z', lastTransitionTime: '2026-01-01T00:00:05Z', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
    addresses: [{ type: 'InternalIP', address: '10.0.0.2' }, { type: 'Hostname', address: 'node-1' }],
    nodeInfo: {
      machineID: 'm1', systemUUID: 'u1', bootID: 'b1', kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12 (bookworm)', operatingSystem: 'linux',
      architecture: 'amd64', containerRuntimeVersion: 'skiff://0.1.0', kubeletVersion: 'v1.30.0-skiff', kubeProxyVersion: '',
    },
  },
};
