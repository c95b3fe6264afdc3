// core/v1 Node and Namespace, and coordination.k8s.io/v1 Lease: the cluster-level kinds.
import type { JsonSchema } from './json-schema.js';
import { arr, bool, enumOf, int, int32, keyedArr, nullableTime, obj, resourceList, setArr, str, time } from './json-schema.js';
import { envelope } from './meta.js';
import { CONDITION_STATUSES, TAINT_EFFECTS } from './pod.js';

const CORE = 'io.k8s.api.core.v1';

const taint = obj(
  `${CORE}.Taint`,
  { key: str(), value: str(), effect: enumOf(TAINT_EFFECTS), timeAdded: time() },
  { required: ['key', 'effect'] },
);

export const NODE_ADDRESS_TYPES = ['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS'];

export const nodeSchema: JsonSchema = envelope(
  { group: '', version: 'v1', kind: 'Node' },
  'Node is a worker node in skiff. Each node has a unique identifier in the cache (i.e. in etcd).',
  {
    spec: obj(`${CORE}.NodeSpec`, {
      podCIDR: str(),
      podCIDRs: setArr(str()),
      unschedulable: bool('Controls node schedulability of new pods.'),
      taints: arr(taint),
      providerID: str(),
    }),
    status: obj(`${CORE}.NodeStatus`, {
      capacity: resourceList('Total resources of the node.'),
      allocatable: resourceList('Resources available for scheduling; defaults to capacity.'),
      phase: str(),
      conditions: keyedArr(
        obj(
          `${CORE}.NodeCondition`,
          { type: str(), status: enumOf(CONDITION_STATUSES), lastHeartbeatTime: time(), lastTransitionTime: time(), reason: str(), message: str() },
          { required: ['type'] },
        ),
        'type',
      ),
      addresses: keyedArr(obj(`${CORE}.NodeAddress`, { type: enumOf(NODE_ADDRESS_TYPES), address: str() }, { required: ['type', 'address'] }), 'type'),
      daemonEndpoints: obj(`${CORE}.NodeDaemonEndpoints`, {
        kubeletEndpoint: obj(`${CORE}.DaemonEndpoint`, { Port: int32() }),
      }),
      nodeInfo: obj(`${CORE}.NodeSystemInfo`, {
        machineID: str(),
        systemUUID: str(),
        bootID: str(),
        kernelVersion: str(),
        osImage: str(),
        containerRuntimeVersion: str(),
        kubeletVersion: str(),
        kubeProxyVersion: str(),
        operatingSystem: str(),
        architecture: str(),
      }),
      images: arr(obj(`${CORE}.ContainerImage`, { names: arr(str()), sizeBytes: int() })),
    }),
  },
);

export const namespaceSchema: JsonSchema = envelope(
  { group: '', version: 'v1', kind: 'Namespace' },
  'Namespace provides a scope for Names.',
  {
    spec: obj(`${CORE}.NamespaceSpec`, { finalizers: arr(str(), 'Must be empty before the namespace is removed.') }),
    status: obj(`${CORE}.NamespaceStatus`, {
      phase: enumOf(['Active', 'Terminating']),
      conditions: keyedArr(
        obj(
          `${CORE}.NamespaceCondition`,
          { type: str(), status: enumOf(CONDITION_STATUSES), lastTransitionTime: time(), reason: str(), message: str() },
          { required: ['type', 'status'] },
        ),
        'type',
      ),
    }),
  },
);

export const leaseSchema: JsonSchema = envelope(
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' },
  'Lease defines a lease concept: node heartbeats and leader election.',
  {
    spec: obj('io.k8s.api.coordination.v1.LeaseSpec', {
      holderIdentity: { type: ['string', 'null'], description: 'The identity of the current holder.' },
      leaseDurationSeconds: { type: ['integer', 'null'], format: 'int32', description: 'How long candidates wait to force acquire the lease.' },
      acquireTime: nullableTime('When the current lease was acquired.'),
      renewTime: nullableTime('When the current holder last updated the lease.'),
      leaseTransitions: { type: ['integer', 'null'], format: 'int32', description: 'The number of transitions of a lease between holders.' },
    }),
  },
);
