// core/v1 Node: a machine a kubelet runs pods on, registered and kept by that kubelet.
import { canonicalize } from '../defaults.js';
import { nodeSchema } from '../schemas/cluster.js';
import type { Node } from '../types/core.js';
import { validateNode, validateNodeUpdate } from '../validation/kinds.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function defaultNode(node: Node): void {
  const status = node.status;
  if (!isObj(status)) return;
  canonicalize(status.capacity);
  canonicalize(status.allocatable);
  // SetDefaults_NodeStatus: allocatable is the whole capacity unless the kubelet reserves some.
  if (isObj(status.capacity) && status.allocatable === undefined) status.allocatable = { ...status.capacity };
}

/** ROLES: node-role.kubernetes.io/<role> labels and kubernetes.io/role, sorted, as kubectl finds them. */
export function nodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) {
      roles.add(v);
    }
  }
  return [...roles].sort();
}

/** STATUS: "Ready", "NotReady" (a Ready condition not True), "Unknown" (none yet), plus ",SchedulingDisabled" when cordoned. */
export function nodeStatus(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const status = ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown';
  return node.spec?.unschedulable ? `${status},SchedulingDisabled` : status;
}

const address = (n: Node, type: string): string => n.status?.addresses?.find((a) => a.type === type)?.address || '<none>';
const orUnknown = (s: string | undefined): string => s || '<unknown>';

export const nodeKind = defineKind<Node>({
  resource: resourceRow({ group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], subresources: ['status', 'proxy'] }),
  schema: nodeSchema,
  nameRule: 'subdomain',
  defaults: defaultNode,
  validate: validateNode,
  // A node's status carries quantities and addresses: the same rules hold through /status.
  validateStatus: validateNode,
  validateUpdate: validateNodeUpdate,
  selectableFields: (n) => ({ 'spec.unschedulable': String(n.spec?.unschedulable ?? false) }),
  columns: [
    nameColumn,
    { name: 'Status', type: 'string', priority: 0, description: 'The status of the node', cell: nodeStatus },
    { name: 'Roles', type: 'string', priority: 0, description: 'The roles of the node', cell: (n) => nodeRoles(n).join(',') || '<none>' },
    ageColumn,
    { name: 'Version', type: 'string', priority: 0, description: 'Kubelet Version reported by the node.', cell: (n) => n.status?.nodeInfo?.kubeletVersion ?? '' },
    { name: 'Internal-IP', type: 'string', priority: 1, description: 'List of internal IPs reachable to the node.', cell: (n) => address(n, 'InternalIP') },
    { name: 'External-IP', type: 'string', priority: 1, description: 'List of external IPs reachable to the node.', cell: (n) => address(n, 'ExternalIP') },
    { name: 'OS-Image', type: 'string', priority: 1, description: 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', cell: (n) => orUnknown(n.status?.nodeInfo?.osImage) },
    { name: 'Kernel-Version', type: 'string', priority: 1, description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", cell: (n) => orUnknown(n.status?.nodeInfo?.kernelVersion) },
    { name: 'Container-Runtime', type: 'string', priority: 1, description: 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', cell: (n) => orUnknown(n.status?.nodeInfo?.containerRuntimeVersion) },
  ],
});
