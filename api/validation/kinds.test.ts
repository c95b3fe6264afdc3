import { describe, expect, it } from 'vitest';
import { dropUnknownFields, unknownFields, validateObject } from './index.js';

const node = (extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' }, ...extra });
const ns = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name }, ...extra });
const event = (extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'web.17a', namespace: 'default' },
  involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' },
  reason: 'Scheduled',
  type: 'Normal',
  ...extra,
});
const lease = (spec: Record<string, unknown>) => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'node-1', namespace: 'kube-node-lease' },
  spec,
});

// name, object, expected [field, reason] pairs
const cases: [string, unknown, [string, string][]][] = [
  ['good node', node({ spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }, status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' } } }), []],
  ['node name may have dots', node({ metadata: { name: 'worker.example.com' } }), []],
  ['node with a namespace', node({ metadata: { name: 'n1', namespace: 'default' } }), [['metadata.namespace', 'FieldValueForbidden']]],
  ['node name invalid', node({ metadata: { name: 'Node 1' } }), [['metadata.name', 'FieldValueInvalid']]],
  ['taint effect missing', node({ spec: { taints: [{ key: 'k' }] } }), [['spec.taints[0].effect', 'FieldValueRequired']]],
  ['taint effect unknown', node({ spec: { taints: [{ key: 'k', effect: 'NoRun' }] } }), [['spec.taints[0].effect', 'FieldValueNotSupported']]],
  ['taint key invalid', node({ spec: { taints: [{ key: '-k', effect: 'NoSchedule' }] } }), [['spec.taints[0].key', 'FieldValueInvalid']]],
  ['taint duplicated', node({ spec: { taints: [{ key: 'k', effect: 'NoSchedule' }, { key: 'k', value: 'v', effect: 'NoSchedule' }] } }), [['spec.taints[1]', 'FieldValueDuplicate']]],
  ['bad capacity', node({ status: { capacity: { memory: '8GB' } } }), [['status.capacity.memory', 'FieldValueInvalid']]],
  ['negative allocatable', node({ status: { allocatable: { cpu: '-1' } } }), [['status.allocatable.cpu', 'FieldValueInvalid']]],
  ['bad podCIDR', node({ spec: { podCIDR: '10.0.0.0/33' } }), [['spec.podCIDR', 'FieldValueInvalid']]],
  ['bad InternalIP', node({ status: { addresses: [{ type: 'InternalIP', address: 'host' }] } }), [['status.addresses[0].address', 'FieldValueInvalid']]],
  ['unschedulable not boolean', node({ spec: { unschedulable: 'yes' } }), [['spec.unschedulable', 'FieldValueTypeInvalid']]],
  ['good namespace', ns('team-a', { spec: { finalizers: ['kubernetes'] } }), []],
  ['namespace name with a dot', ns('team.a'), [['metadata.name', 'FieldValueInvalid']]],
  ['namespace name too long', ns('a'.repeat(64)), [['metadata.name', 'FieldValueInvalid']]],
  ['namespace bad phase', ns('team-a', { status: { phase: 'Gone' } }), [['status.phase', 'FieldValueNotSupported']]],
  ['good event', event(), []],
  ['event about a node in default', event({ metadata: { name: 'n1.1', namespace: 'default' }, involvedObject: { kind: 'Node', name: 'n1' } }), []],
  ['event namespace mismatch', event({ involvedObject: { kind: 'Pod', name: 'web', namespace: 'other' } }), [['involvedObject.namespace', 'FieldValueInvalid']]],
  ['event without involved name', event({ involvedObject: { kind: 'Pod', namespace: 'default' } }), [['involvedObject.name', 'FieldValueRequired']]],
  ['event without involvedObject', event({ involvedObject: undefined }), [['involvedObject', 'FieldValueRequired']]],
  ['event bad type', event({ type: 'Info' }), [['type', 'FieldValueNotSupported']]],
  ['event with a generateName ending in a dot', event({ metadata: { generateName: 'n1.', namespace: 'default' }, involvedObject: { kind: 'Node', name: 'n1' } }), []],
  ['event with a bad generateName', event({ metadata: { generateName: 'N1.', namespace: 'default' } }), [['metadata.generateName', 'FieldValueInvalid']]],
  ['event null timestamps are fine', event({ firstTimestamp: null, eventTime: null }), []],
  ['good lease', lease({ holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' }), []],
  ['lease duration zero', lease({ leaseDurationSeconds: 0 }), [['spec.leaseDurationSeconds', 'FieldValueInvalid']]],
  ['lease negative transitions', lease({ leaseTransitions: -1 }), [['spec.leaseTransitions', 'FieldValueInvalid']]],
  ['lease bad renewTime', lease({ renewTime: 'now' }), [['spec.renewTime', 'FieldValueInvalid']]],
  ['lease holder of wrong type', lease({ holderIdentity: 5 }), [['spec.holderIdentity', 'FieldValueTypeInvalid']]],
  ['unknown kind', { kind: 'StatefulSet', metadata: { name: 'x' } }, [['kind', 'FieldValueNotSupported']]],
];

describe('validateObject for nodes, namespaces, events, leases', () => {
  it.each(cases)('%s', (_name, obj, want) => {
    const body = JSON.parse(JSON.stringify(obj)) as unknown;
    expect(validateObject(body, { operation: 'create' }).map((c) => [c.field, c.reason])).toEqual(want);
  });
});

describe('unknownFields', () => {
  const cases: [string, unknown, string[]][] = [
    ['none', { kind: 'Pod', metadata: { name: 'x', labels: { anything: 'goes' } }, spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { 'example.com/gpu': 1 } } }] } }, []],
    ['typo in a container', { kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'c', imagee: 'i' }] } }, ['spec.containers[0].imagee']],
    ['top-level and metadata', { kind: 'Node', metadata: { name: 'n', colour: 'red' }, extra: 1 }, ['metadata.colour', 'extra']],
    ['deep in affinity', { kind: 'Pod', metadata: {}, spec: { containers: [], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchLabels: {} }] } } } } }, ['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchLabels']],
    ['managedFields are free-form', { kind: 'Lease', metadata: { managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': { 'f:x': {} } } }] }, spec: { holderIdentity: 'a' } }, []],
    ['unknown kind', { kind: 'Widget', foo: 1 }, []],
  ];
  it.each(cases)('%s', (_name, obj, want) => expect(unknownFields(obj)).toEqual(want));

  it('takes the kind from the caller when the body has none', () => {
    expect(unknownFields({ metadata: {}, spce: {} }, 'Pod')).toEqual(['spce']);
  });

  it('drops exactly the unknown fields, keeping free-form maps and everything known', () => {
    const pod = {
      kind: 'Pod',
      metadata: { name: 'x', labels: { anything: 'goes' }, colour: 'red' },
      spec: { containers: [{ name: 'c', imagee: 'typo', image: 'i', resources: { limits: { 'example.com/gpu': 1 } } }] },
      extra: 1,
    };
    expect(dropUnknownFields(pod)).toEqual(['metadata.colour', 'spec.containers[0].imagee', 'extra']);
    expect(pod).toEqual({
      kind: 'Pod',
      metadata: { name: 'x', labels: { anything: 'goes' } },
      spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { 'example.com/gpu': 1 } } }] },
    });
    expect(unknownFields(pod)).toEqual([]);
  });
});
