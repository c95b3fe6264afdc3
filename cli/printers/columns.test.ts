import { describe, expect, it } from 'vitest';
import type { Event, Node, Pod } from '../../api/types/core.js';
import type { Lease } from '../../api/types/coordination.js';
import { eventColumns, headersFor, leaseColumns, namespaceColumns, nodeColumns, podColumns } from './columns.js';

const clock = () => new Date('2026-01-01T01:00:00Z');

const node = (extra: Partial<Node> = {}, labels: Record<string, string> = {}): Node => ({
  metadata: { name: 'n1', creationTimestamp: '2025-12-30T01:00:00Z', labels },
  status: {
    conditions: [{ type: 'Ready', status: 'True' }],
    addresses: [{ type: 'InternalIP', address: '10.0.0.2' }],
    nodeInfo: {
      machineID: '', systemUUID: '', bootID: '', kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12',
      containerRuntimeVersion: 'skiff://0.1.0', kubeletVersion: 'v1.30.0-skiff', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64',
    },
  },
  ...extra,
});

describe('node columns', () => {
  it.each<[string, Node, string[]]>([
    ['ready worker', node(), ['n1', 'Ready', '<none>', '2d', 'v1.30.0-skiff']],
    ['control plane roles, sorted', node({}, { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '' }), ['n1', 'Ready', 'control-plane,worker', '2d', 'v1.30.0-skiff']],
    ['not ready', node({ status: { ...node().status, conditions: [{ type: 'Ready', status: 'False' }] } }), ['n1', 'NotReady', '<none>', '2d', 'v1.30.0-skiff']],
    ['no Ready condition yet, cordoned', node({ spec: { unschedulable: true }, status: { ...node().status, conditions: [] } }), ['n1', 'Unknown,SchedulingDisabled', '<none>', '2d', 'v1.30.0-skiff']],
  ])('%s', (_n, obj, want) => {
    expect(nodeColumns.row(obj, { wide: false, clock })).toEqual(want);
  });

  it('wide adds addresses and system info with kubectl placeholders', () => {
    expect(nodeColumns.row(node(), { wide: true, clock }).slice(5)).toEqual(['10.0.0.2', '<none>', 'Debian GNU/Linux 12', '6.1.0', 'skiff://0.1.0']);
    expect(headersFor(nodeColumns as never, true)).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']);
  });
});

describe('pod columns', () => {
  const p: Pod = {
    metadata: { name: 'kuard', creationTimestamp: '2026-01-01T00:59:55Z' },
    spec: { containers: [{ name: 'kuard' }], nodeName: 'n1' },
    status: { phase: 'Running', podIPs: [{ ip: '10.88.0.5' }], containerStatuses: [{ name: 'kuard', ready: true, restartCount: 0, image: '', imageID: '', state: { running: {} } }] },
  };
  it('plain', () => {
    expect(podColumns.row(p, { wide: false, clock })).toEqual(['kuard', '1/1', 'Running', '0', '5s']);
  });
  it('wide', () => {
    expect(podColumns.row(p, { wide: true, clock }).slice(5)).toEqual(['10.88.0.5', 'n1', '<none>', '<none>']);
    expect(podColumns.row({ ...p, spec: { containers: [] }, status: {} }, { wide: true, clock }).slice(5)).toEqual(['<none>', '<none>', '<none>', '<none>']);
  });
});

describe('namespace, event and lease columns', () => {
  it('namespace', () => {
    expect(namespaceColumns.row({ metadata: { name: 'default', creationTimestamp: '2026-01-01T00:00:00Z' }, status: { phase: 'Active' } }, { wide: false, clock })).toEqual(['default', 'Active', '60m']);
  });
  it('event: last seen falls back to first seen, then eventTime; object is kind/name', () => {
    const ev: Event = {
      metadata: { name: 'kuard.1' },
      involvedObject: { kind: 'Pod', name: 'kuard', fieldPath: 'spec.containers{kuard}' },
      reason: 'Pulled',
      message: ' Successfully pulled image \n',
      type: 'Normal',
      eventTime: '2026-01-01T00:58:00Z',
      source: { component: 'kubelet', host: 'n1' },
    };
    expect(eventColumns.row(ev, { wide: false, clock })).toEqual(['2m', 'Normal', 'Pulled', 'pod/kuard', 'Successfully pulled image']);
    expect(eventColumns.row({ ...ev, lastTimestamp: '2026-01-01T00:59:30Z', count: 4 }, { wide: true, clock })).toEqual([
      '30s', 'Normal', 'Pulled', 'pod/kuard', 'spec.containers{kuard}', 'kubelet, n1', 'Successfully pulled image', '2m', '4', 'kuard.1',
    ]);
  });
  it('lease', () => {
    const l: Lease = { metadata: { name: 'n1', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { holderIdentity: 'n1' } };
    expect(leaseColumns.row(l, { wide: false, clock })).toEqual(['n1', 'n1', '60m']);
  });
});
