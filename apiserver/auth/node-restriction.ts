// Kubernetes' NodeRestriction admission for a node's own Node object: a kubelet may register
// and update itself, but not steer workloads to itself. It may not set or change labels under
// node-restriction.kubernetes.io/ (the prefix admins use to place privileged pods), nor other
// kubernetes.io / k8s.io labels outside the kubelet's own set, and may not change its taints
// once registered. Answers 403 Forbidden with Kubernetes' message.
import { errors } from '../../api/errors.js';
import type { KubeObject } from '../../api/types/meta.js';

/** The labels a kubelet sets itself (k8s.io/kubelet/pkg/apis: kubeletLabels). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'kubernetes.io/os',
  'kubernetes.io/arch',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];
const NODE_RESTRICTION = 'node-restriction.kubernetes.io';

const inNamespace = (ns: string, domain: string): boolean => ns === domain || ns.endsWith(`.${domain}`);

function labelNamespace(label: string): string {
  const slash = label.indexOf('/');
  return slash < 0 ? '' : label.slice(0, slash);
}

function forbiddenLabel(label: string): boolean {
  const ns = labelNamespace(label);
  if (inNamespace(ns, NODE_RESTRICTION)) return true;
  const kubernetes = inNamespace(ns, 'kubernetes.io') || inNamespace(ns, 'k8s.io');
  const kubelets = KUBELET_LABELS.has(label) || KUBELET_LABEL_NAMESPACES.some((d) => inNamespace(ns, d));
  return kubernetes && !kubelets;
}

/** Labels added, removed or changed between old and next. */
function modifiedLabels(next: Record<string, string> | undefined, old: Record<string, string> | undefined): string[] {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(next ?? {})) if (old?.[k] !== v) out.add(k);
  for (const k of Object.keys(old ?? {})) if (!next || !Object.hasOwn(next, k)) out.add(k);
  return [...out].sort();
}

/** Throws 403 when node `node` may not write `next` (its own Node; `old` on update). */
export function admitOwnNode(user: string, node: string, next: KubeObject, old?: KubeObject): void {
  const labels = modifiedLabels(next.metadata?.labels, old?.metadata?.labels).filter(forbiddenLabel);
  const deny = (message: string) => errors.forbidden(user, old ? 'update' : 'create', 'nodes', node, undefined, message);
  if (labels.length > 0) {
    throw deny(old ? `is not allowed to modify labels: ${labels.join(', ')}` : `node "${node}" is not allowed to set the following labels: ${labels.join(', ')}`);
  }
  if (old) {
    const taints = (o: KubeObject) => JSON.stringify((o as { spec?: { taints?: unknown[] } }).spec?.taints ?? []);
    if (taints(next) !== taints(old)) throw deny(`node "${node}" is not allowed to modify taints`);
  }
}
