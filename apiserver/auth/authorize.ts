// Authorization. Three sources of permission, checked in order:
//  - group system:masters may do everything (as in Kubernetes);
//  - node users (system:node:<name> in system:nodes) get what Kubernetes' Node authorizer
//    and NodeRestriction admission give a kubelet: their own Node and Lease, the pods bound
//    to them (read, status, delete), events, and reads of nodes and namespaces;
//  - the built-in component users (scheduler, controller-manager) get the rules of their
//    bootstrap ClusterRoles, cut down to the resources skiff serves.
// For pod access by a node the decision says `boundToNode`: the handler must also check the
// pod's spec.nodeName (on the stored object, and on the new one for writes).
import { parseFieldSelector } from '../../api/selectors/fields.js';
import { MASTERS_GROUP, nodeNameOf, type UserInfo } from './user.js';

export interface RequestAttributes {
  verb: string;
  apiGroup: string;
  /** Absent for non-resource requests (/version, /api, /healthz, ...). */
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  fieldSelector?: string;
  path?: string;
}

export interface Decision {
  allowed: boolean;
  reason?: string;
  boundToNode?: string;
}

interface Rule {
  verbs: string[];
  apiGroups: string[];
  /** "pods", "pods/status", or "*" */
  resources: string[];
  names?: string[];
  namespaces?: string[];
}

const READ = ['get', 'list', 'watch'];
const CORE = '';
const COORD = 'coordination.k8s.io';

export const COMPONENT_USERS = {
  scheduler: 'system:kube-scheduler',
  controllerManager: 'system:kube-controller-manager',
} as const;

const COMPONENT_RULES: Record<string, Rule[]> = {
  [COMPONENT_USERS.scheduler]: [
    { verbs: ['create', 'patch', 'update'], apiGroups: [CORE], resources: ['events'] },
    { verbs: [...READ, 'create', 'update', 'patch'], apiGroups: [COORD], resources: ['leases'], namespaces: ['kube-system'] },
    { verbs: READ, apiGroups: [CORE], resources: ['nodes', 'namespaces'] },
    { verbs: [...READ, 'delete'], apiGroups: [CORE], resources: ['pods'] },
    { verbs: ['create'], apiGroups: [CORE], resources: ['pods/binding'] },
    { verbs: ['patch', 'update'], apiGroups: [CORE], resources: ['pods/status'] },
  ],
  [COMPONENT_USERS.controllerManager]: [
    { verbs: ['create', 'patch', 'update'], apiGroups: [CORE], resources: ['events'] },
    { verbs: [...READ, 'create', 'update', 'patch'], apiGroups: [COORD], resources: ['leases'], namespaces: ['kube-system'] },
    { verbs: READ, apiGroups: [COORD], resources: ['leases'] },
    { verbs: [...READ, 'update', 'patch', 'delete'], apiGroups: [CORE], resources: ['nodes', 'nodes/status'] },
    { verbs: [...READ, 'delete'], apiGroups: [CORE], resources: ['pods'] },
    { verbs: ['patch', 'update'], apiGroups: [CORE], resources: ['pods/status'] },
    { verbs: [...READ, 'delete'], apiGroups: [CORE], resources: ['namespaces'] },
  ],
};

const DISCOVERY = [/^\/api(\/|$)/, /^\/apis(\/|$)/, /^\/version\/?$/, /^\/openapi(\/|$)/, /^\/healthz/, /^\/readyz/, /^\/livez/];
const PUBLIC_INFO = [/^\/version\/?$/, /^\/healthz/, /^\/readyz/, /^\/livez/];

function ruleAllows(rule: Rule, a: RequestAttributes): boolean {
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return (
    (rule.verbs.includes('*') || rule.verbs.includes(a.verb)) &&
    (rule.apiGroups.includes('*') || rule.apiGroups.includes(a.apiGroup)) &&
    (rule.resources.includes('*') || (res !== undefined && rule.resources.includes(res))) &&
    (!rule.names || (a.name !== undefined && rule.names.includes(a.name))) &&
    (!rule.namespaces || (a.namespace !== undefined && rule.namespaces.includes(a.namespace)))
  );
}

/**
 * True when a field selector pins spec.nodeName to `node` (the only pod list a kubelet may
 * make). Decided on the requirements the list handler will apply, parsed by the same parser:
 * a string test of its own once read `x!=a\,spec.nodeName=n` as pinning the node when the
 * handler read one requirement on metadata.name.
 */
export function selectsNode(fieldSelector: string | undefined, node: string): boolean {
  if (!fieldSelector) return false;
  let selector;
  try {
    selector = parseFieldSelector(fieldSelector, 'Pod');
  } catch {
    return false; // the handler would refuse it too; refused here first
  }
  // Requirements are ANDed: one that pins the node bounds the whole selection to it.
  return selector.requirements.some((r) => r.field === 'spec.nodeName' && r.operator !== '!=' && r.value === node);
}

function nodeDecision(node: string, a: RequestAttributes): Decision {
  const deny = (why: string): Decision => ({ allowed: false, reason: why });
  const group = a.apiGroup;
  if (group === CORE && (a.resource === 'nodes' || a.resource === 'namespaces') && !a.subresource && READ.includes(a.verb)) {
    return { allowed: true };
  }
  if (group === CORE && a.resource === 'nodes') {
    if (['create', 'update', 'patch', 'delete'].includes(a.verb) && (!a.subresource || a.subresource === 'status')) {
      return a.name === node ? { allowed: true } : deny(`node "${node}" can only modify its own Node object`);
    }
    return deny(`node "${node}" cannot ${a.verb} nodes${a.subresource ? `/${a.subresource}` : ''}`);
  }
  if (group === COORD && a.resource === 'leases') {
    if (a.namespace === 'kube-node-lease' && ['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) {
      return a.name === node ? { allowed: true } : deny(`node "${node}" can only access its own lease in kube-node-lease`);
    }
    return deny(`node "${node}" can only access its own lease in kube-node-lease`);
  }
  if (group === CORE && a.resource === 'pods') {
    if (!a.subresource && (a.verb === 'list' || a.verb === 'watch')) {
      return selectsNode(a.fieldSelector, node)
        ? { allowed: true }
        : deny(`node "${node}" can only list and watch pods with fieldSelector spec.nodeName=${node}`);
    }
    const podVerb =
      (!a.subresource && (a.verb === 'get' || a.verb === 'delete')) ||
      (a.subresource === 'status' && ['get', 'update', 'patch'].includes(a.verb)) ||
      (a.subresource === 'log' && a.verb === 'get');
    if (podVerb) return { allowed: true, boundToNode: node };
    return deny(`node "${node}" cannot ${a.verb} pods${a.subresource ? `/${a.subresource}` : ''}`);
  }
  if (group === CORE && a.resource === 'events' && ['create', 'update', 'patch'].includes(a.verb)) {
    return { allowed: true };
  }
  return deny(`node "${node}" cannot ${a.verb} ${a.resource ?? a.path ?? ''}`);
}

export function authorize(user: UserInfo, a: RequestAttributes): Decision {
  if (user.groups.includes(MASTERS_GROUP)) return { allowed: true };
  if (a.resource === undefined) {
    const path = a.path ?? '';
    const patterns = user.groups.includes('system:authenticated') ? DISCOVERY : PUBLIC_INFO;
    return a.verb === 'get' && patterns.some((p) => p.test(path))
      ? { allowed: true }
      : { allowed: false, reason: `User "${user.name}" cannot ${a.verb} path "${path}"` };
  }
  const node = nodeNameOf(user);
  if (node !== undefined) return nodeDecision(node, a);
  const rules = COMPONENT_RULES[user.name];
  if (rules?.some((r) => ruleAllows(r, a))) return { allowed: true };
  return { allowed: false, reason: 'no rule allows it' };
}
