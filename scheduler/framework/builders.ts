// Small builders for Pods and Nodes, for tests and benchmarks of scheduling logic: they
// read like the YAML a user would write ("cpu: 500m") and fill in what the API would.
import type { Container, Node, Pod, Taint, Toleration } from '../../api/types/core.js';
import { NodeInfo, PodInfo } from './node-info.js';

export interface PodSpecLite {
  name?: string;
  namespace?: string;
  cpu?: string;
  memory?: string;
  image?: string;
  hostPorts?: (number | { port: number; ip?: string; protocol?: 'TCP' | 'UDP' })[];
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  priority?: number;
  nodeName?: string;
  creationTimestamp?: string;
  containers?: Container[];
}

let seq = 0;

export function makePod(o: PodSpecLite = {}): Pod {
  const name = o.name ?? `pod-${++seq}`;
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  const container: Container = {
    name: 'app',
    image: o.image ?? 'busybox',
    resources: { requests },
    ports: (o.hostPorts ?? []).map((p) =>
      typeof p === 'number' ? { containerPort: p, hostPort: p } : { containerPort: p.port, hostPort: p.port, hostIP: p.ip, protocol: p.protocol },
    ),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', uid: `uid-${name}`, creationTimestamp: o.creationTimestamp },
    spec: {
      containers: o.containers ?? [container],
      nodeSelector: o.nodeSelector,
      tolerations: o.tolerations,
      priority: o.priority,
      nodeName: o.nodeName,
    },
  };
}

export interface NodeSpecLite {
  name: string;
  cpu?: string;
  memory?: string;
  pods?: number;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  ready?: 'True' | 'False' | 'Unknown' | 'absent';
  images?: { names: string[]; sizeBytes: number }[];
}

export function makeNode(o: NodeSpecLite): Node {
  const alloc = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: String(o.pods ?? 110) };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: o.name, uid: `uid-${o.name}`, labels: { 'kubernetes.io/hostname': o.name, ...(o.labels ?? {}) } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: {
      capacity: alloc,
      allocatable: alloc,
      conditions: o.ready === 'absent' ? [] : [{ type: 'Ready', status: o.ready ?? 'True' }],
      images: o.images,
    },
  };
}

/** A NodeInfo with these pods already on it. */
export function makeNodeInfo(node: NodeSpecLite, pods: Pod[] = []): NodeInfo {
  const ni = new NodeInfo(makeNode(node));
  for (const p of pods) ni.addPod(new PodInfo(p));
  return ni;
}
