// Authorization. Four sources of permission, checked in order:
//  - group system:masters may do everything (as in Kubernetes);
//  - every authenticated user has system:basic-user (the self reviews) and system:discovery;
//  - node users (system:node:<name> in system:nodes) get what Kubernetes' Node authorizer
//    and NodeRestriction admission give a kubelet: their own Node and Lease, the pods bound
//    to them (read, status, delete), and events;
//  - the built-in component users (scheduler, controller-manager) get the rules of their
//    bootstrap ClusterRoles, cut down to the resources skiff serves.
// For pod access by a node the decision says `boundToNode`: the handler must also check the
// pod's spec.nodeName (on the stored object, and on the new one for writes). For a node's get
// of a ConfigMap or Secret (or a list or watch pinned by metadata.name to one) it says
// `referencedByNode`: the handler must find a pod bound to that node that names the object
// (Kubernetes' Node authorizer graph, decided on the pods).
import { RESOURCES } from '../../api/resources.js';
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
  referencedByNode?: string;
  /** The object a node's list or watch is pinned to (the name of a get is the request's own). */
  referencedName?: string;
}

export interface Rule {
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
const DISCOVERY_GROUP = 'discovery.k8s.io';

export const COMPONENT_USERS = {
  scheduler: 'system:kube-scheduler',
  controllerManager: 'system:kube-controller-manager',
} as const;

// The bootstrap ClusterRoles system:kube-scheduler and system:kube-controller-manager
// (plugin/pkg/auth/authorizer/rbac/bootstrappolicy), cut down to the kinds skiff serves.
// skiff's controller-manager is one user doing the work of the controllers it runs, so it
// also holds their roles (today system:controller:node-controller's,
// system:controller:service-account-controller's, system:controller:namespace-controller's,
// system:controller:disruption-controller's, system:controller:generic-garbage-collector's and
// system:controller:pod-garbage-collector's: pods list/watch/delete, pods/status patch, nodes get/list).
/** The workload kinds, by group, that the controller-manager's controllers run. */
const WORKLOADS = {
  apps: ['deployments', 'replicasets', 'daemonsets', 'controllerrevisions'],
  batch: ['jobs', 'cronjobs'],
};
/**
 * system:controller:namespace-controller, cut down to what skiff's controller does: empty a
 * namespace kind by kind (deletecollection where the kind serves it, else delete; list is
 * the controller-manager's already), then write the namespace's status and finalize it.
 */
const NAMESPACE_CONTROLLER_RULES: Rule[] = [
  ...RESOURCES.filter((r) => r.namespaced).map((r) => ({
    verbs: [r.verbs.includes('deletecollection') ? 'deletecollection' : 'delete'],
    apiGroups: [r.group],
    resources: [r.plural],
  })),
  { verbs: ['update'], apiGroups: [CORE], resources: ['namespaces/finalize', 'namespaces/status'] },
];

const COMPONENT_RULES: Record<string, Rule[]> = {
  [COMPONENT_USERS.scheduler]: [
    { verbs: ['create', 'patch', 'update'], apiGroups: [CORE], resources: ['events'] },
    { verbs: ['create'], apiGroups: [COORD], resources: ['leases'] },
    { verbs: ['get', 'update'], apiGroups: [COORD], resources: ['leases'], names: ['kube-scheduler'] },
    { verbs: READ, apiGroups: [CORE], resources: ['nodes', 'namespaces'] },
    { verbs: [...READ, 'delete'], apiGroups: [CORE], resources: ['pods'] },
    { verbs: ['create'], apiGroups: [CORE], resources: ['pods/binding'] },
    { verbs: ['patch', 'update'], apiGroups: [CORE], resources: ['pods/status'] },
  ],
  [COMPONENT_USERS.controllerManager]: [
    { verbs: ['create', 'patch', 'update'], apiGroups: [CORE], resources: ['events'] },
    { verbs: ['create'], apiGroups: [COORD], resources: ['leases'] },
    { verbs: ['get', 'update'], apiGroups: [COORD], resources: ['leases'], names: ['kube-controller-manager'] },
    // Kubernetes' role also writes secrets, for the token controller; skiff runs none, so
    // none is granted until one needs it.
    { verbs: ['get'], apiGroups: [CORE], resources: ['namespaces', 'secrets', 'configmaps'] },
    { verbs: ['list', 'watch'], apiGroups: ['*'], resources: ['*'] },
    // system:controller:node-controller
    { verbs: ['get', 'list', 'update', 'delete', 'patch'], apiGroups: [CORE], resources: ['nodes'] },
    { verbs: ['patch', 'update'], apiGroups: [CORE], resources: ['nodes/status', 'pods/status'] },
    { verbs: ['list', 'get', 'delete'], apiGroups: [CORE], resources: ['pods'] },
    // system:controller:service-account-controller (its list and watch are the rule above)
    { verbs: ['create'], apiGroups: [CORE], resources: ['serviceaccounts'] },
    // system:controller:generic-garbage-collector, whose resource `*` skiff cuts down to the
    // objects themselves: no subresource (nodes/proxy, pods/log, .../status) is the collector's.
    { verbs: ['get', 'patch', 'update', 'delete'], apiGroups: ['*'], resources: RESOURCES.map((r) => r.plural) },
    // The workload controllers' roles let each set blockOwnerDeletion on what it makes
    // (OwnerReferencesPermissionEnforcement asks for update of the owner's finalizers).
    { verbs: ['update'], apiGroups: ['apps', 'batch'], resources: ['replicasets/finalizers', 'deployments/finalizers', 'daemonsets/finalizers', 'jobs/finalizers', 'cronjobs/finalizers'] },
    // system:controller:disruption-controller (pods and budgets read through the rule above)
    { verbs: ['update'], apiGroups: ['policy'], resources: ['poddisruptionbudgets/status'] },
    { verbs: ['get'], apiGroups: ['*'], resources: ['*/scale'] },
    // The workload controllers (system:controller:replicaset-, deployment-, daemon-set-,
    // job- and cronjob-controller): their kinds, with /status and /scale, and the pods they make.
    { verbs: [...READ, 'create', 'update', 'patch', 'delete'], apiGroups: ['apps'], resources: WORKLOADS.apps },
    { verbs: [...READ, 'create', 'update', 'patch', 'delete'], apiGroups: ['batch'], resources: WORKLOADS.batch },
    { verbs: ['update', 'patch'], apiGroups: ['apps'], resources: WORKLOADS.apps.map((r) => `${r}/status`) },
    { verbs: ['update', 'patch'], apiGroups: ['batch'], resources: WORKLOADS.batch.map((r) => `${r}/status`) },
    { verbs: ['get', 'update', 'patch'], apiGroups: ['apps'], resources: ['deployments/scale', 'replicasets/scale'] },
    { verbs: ['create', 'update', 'patch'], apiGroups: [CORE], resources: ['pods'] },
    // system:controller:endpoint-controller, endpointslice-controller (slices owned by their
    // Service with blockOwnerDeletion) and root-ca-cert-publisher; reads, updates and deletes
    // are the rules above.
    { verbs: ['create'], apiGroups: [CORE], resources: ['endpoints', 'configmaps'] },
    { verbs: ['create'], apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'] },
    { verbs: ['update'], apiGroups: [CORE], resources: ['services/finalizers'] },
    // system:controller:service-controller (k3s's ServiceLB): the load balancer's ingress.
    { verbs: ['patch', 'update'], apiGroups: [CORE], resources: ['services/status'] },
    ...NAMESPACE_CONTROLLER_RULES,
  ],
};

/** A non-resource rule: RBAC's nonResourceURLs, where a final `*` matches any rest of the path. */
export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs: string[];
}

// The bootstrap ClusterRoles system:public-info-viewer (everyone) and system:discovery (every
// authenticated user); the health paths with anything after them (/healthz/etcd, ?verbose).
const PUBLIC_INFO: NonResourceRule = { verbs: ['get'], nonResourceURLs: ['/version', '/version/', '/healthz*', '/readyz*', '/livez*'] };
const DISCOVERY: NonResourceRule = { verbs: ['get'], nonResourceURLs: [...PUBLIC_INFO.nonResourceURLs, '/api', '/api/*', '/apis', '/apis/*', '/openapi', '/openapi/*'] };
export const AUTHENTICATED_GROUP = 'system:authenticated';

/** The non-resource rules of this user (system:masters' `*` aside). */
export function nonResourceRulesOf(user: UserInfo): NonResourceRule[] {
  return [user.groups.includes(AUTHENTICATED_GROUP) ? DISCOVERY : PUBLIC_INFO];
}

function urlMatches(pattern: string, path: string): boolean {
  return pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern;
}

/**
 * system:basic-user: every authenticated user may ask what it may do and who it is (the
 * reviews in apiserver/handlers/reviews.ts).
 */
export const BASIC_USER_RULES: Rule[] = [
  { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
  { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
];

/** The RBAC-style rules of a user (system:masters aside): system:basic-user, and its component role if it is one (a node has none: nodeRules). */
export function roleRulesOf(user: UserInfo): Rule[] {
  return [...(user.groups.includes(AUTHENTICATED_GROUP) ? BASIC_USER_RULES : []), ...(COMPONENT_RULES[user.name] ?? [])];
}

/** Verbs that name no object: RBAC's resourceNames never match them (a create's name is in its body). */
const UNNAMED_VERBS = new Set(['create', 'list', 'watch', 'deletecollection']);

/** The rule is about this request's verb, API group and resource (names and namespaces aside). */
function ruleMatches(rule: Rule, a: RequestAttributes): boolean {
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return (
    (rule.verbs.includes('*') || rule.verbs.includes(a.verb)) &&
    (rule.apiGroups.includes('*') || rule.apiGroups.includes(a.apiGroup)) &&
    (rule.resources.includes('*') || (res !== undefined && rule.resources.includes(res)) || (a.subresource !== undefined && rule.resources.includes(`*/${a.subresource}`)))
  );
}

/** RBAC's match: resourceNames never match a request that names no object. */
function ruleAllows(rule: Rule, a: RequestAttributes): boolean {
  return (
    ruleMatches(rule, a) &&
    (!rule.names || (!UNNAMED_VERBS.has(a.verb) && a.name !== undefined && rule.names.includes(a.name))) &&
    (!rule.namespaces || (a.namespace !== undefined && rule.namespaces.includes(a.namespace)))
  );
}

/**
 * The value a field selector pins `field` to (`spec.nodeName=n`, `metadata.name=n`), decided on
 * the requirements the list handler will apply, parsed by the same parser: a string test of
 * its own once read `x!=a\\,spec.nodeName=n` as pinning the node when the handler read one
 * requirement on metadata.name. Requirements are ANDed: one pin bounds the whole selection.
 */
function pinned(fieldSelector: string | undefined, kind: string, field: string, value: string): boolean {
  return pinnedValues(fieldSelector, kind, field).includes(value);
}

/** Every value a field selector pins `field` to (fields.RequiresExactMatch); none when it does not parse. */
function pinnedValues(fieldSelector: string | undefined, kind: string, field: string): string[] {
  if (!fieldSelector) return [];
  let selector;
  try {
    selector = parseFieldSelector(fieldSelector, kind);
  } catch {
    return []; // the handler would refuse it too; refused here first
  }
  return selector.requirements.filter((r) => r.field === field && r.operator !== '!=').map((r) => r.value);
}

/** True when a field selector pins spec.nodeName to `node` (the only pod list a kubelet may make). */
export function selectsNode(fieldSelector: string | undefined, node: string): boolean {
  return pinned(fieldSelector, 'Pod', 'spec.nodeName', node);
}

// Kubernetes' Node authorizer (with AuthorizeNodeWithSelectors, the default since 1.32) and the
// node rules of its bootstrap policy, cut down to the kinds skiff serves; NodeRestriction's
// checks on objects are in node-restriction.ts and the handlers (boundToNode). Declared once as
// rules: the authorizer decides by them and the rules review (rules.ts) lists them.
export interface NodeRule extends Rule {
  /**
   * What the grant further depends on, beyond verb, group, resource, namespace and names (a
   * node's names bind creates too: NodeRestriction reads the body's name). A selector pinned to
   * the node, a pod bound to it, or an object its pods name: decided on the object, so a rules
   * review cannot list it (incomplete, as Kubernetes' Node authorizer reports).
   */
  requires?: 'ownNodeSelector' | 'podSelector' | 'boundPod' | 'referenced';
  /** Why a request this rule is about (verb, group, resource) is refused. */
  denial?: string;
}

export function nodeRules(node: string): NodeRule[] {
  return [
    { verbs: ['list', 'watch'], apiGroups: [CORE], resources: ['nodes'], requires: 'ownNodeSelector', denial: `node "${node}" can only list and watch its own Node, with fieldSelector metadata.name=${node}` },
    { verbs: ['get', 'create', 'update', 'patch'], apiGroups: [CORE], resources: ['nodes'], names: [node], denial: `node "${node}" can only access its own Node object` },
    { verbs: ['update', 'patch'], apiGroups: [CORE], resources: ['nodes/status'], names: [node], denial: `node "${node}" can only access its own Node object` },
    { verbs: ['get', 'create', 'update', 'patch', 'delete'], apiGroups: [COORD], resources: ['leases'], namespaces: ['kube-node-lease'], names: [node], denial: `node "${node}" can only access its own lease in kube-node-lease` },
    { verbs: ['list', 'watch'], apiGroups: [CORE], resources: ['pods'], requires: 'podSelector', denial: `node "${node}" can only list and watch pods with fieldSelector spec.nodeName=${node}` },
    { verbs: ['get', 'delete'], apiGroups: [CORE], resources: ['pods'], requires: 'boundPod' },
    { verbs: ['update', 'patch'], apiGroups: [CORE], resources: ['pods/status'], requires: 'boundPod' },
    { verbs: ['create'], apiGroups: [CORE], resources: ['pods/eviction'], requires: 'boundPod' },
    // AuthorizeNodeWithSelectors: a list or watch pinned to one name in one namespace is a read
    // of that object (what client-go's single-object informers send).
    { verbs: READ, apiGroups: [CORE], resources: ['configmaps', 'secrets'], requires: 'referenced', denial: `node "${node}" can only get, or list and watch with fieldSelector metadata.name=NAME, the objects its pods name` },
    // system:node-proxier's reads (the node proxy and the cluster DNS run with the node's
    // credentials here): the Services and their endpoints, cluster-wide; the Services also for
    // its pods' service-link variables.
    { verbs: READ, apiGroups: [CORE], resources: ['services', 'endpoints'] },
    { verbs: READ, apiGroups: [DISCOVERY_GROUP], resources: ['endpointslices'] },
    // The node's own endpoint of the kube-dns Service (dns/kube-dns-slice.ts), and no other slice.
    { verbs: ['create', 'update', 'patch', 'delete'], apiGroups: [DISCOVERY_GROUP], resources: ['endpointslices'], namespaces: ['kube-system'], names: [`kube-dns-${node}`], denial: `node "${node}" can only write its own EndpointSlice kube-system/kube-dns-${node}` },
    { verbs: ['create', 'update', 'patch'], apiGroups: [CORE], resources: ['events'] },
  ];
}

/** What a node rule that matches the request's verb, group and resource grants it, if anything. */
function nodeGrant(node: string, rule: NodeRule, a: RequestAttributes): Decision | undefined {
  if (rule.namespaces && (a.namespace === undefined || !rule.namespaces.includes(a.namespace))) return undefined;
  if (rule.names && (a.name === undefined || !rule.names.includes(a.name))) return undefined;
  switch (rule.requires) {
    case undefined:
      return { allowed: true };
    case 'ownNodeSelector':
      return pinned(a.fieldSelector, 'Node', 'metadata.name', node) ? { allowed: true } : undefined;
    case 'podSelector':
      return selectsNode(a.fieldSelector, node) ? { allowed: true } : undefined;
    case 'boundPod':
      return { allowed: true, boundToNode: node };
    case 'referenced': {
      if (a.verb === 'get') return a.name ? { allowed: true, referencedByNode: node } : undefined;
      // Requirements are ANDed, so any pinned name bounds the answer to that object.
      const [name] = pinnedValues(a.fieldSelector, a.resource === 'secrets' ? 'Secret' : 'ConfigMap', 'metadata.name');
      return a.namespace && name !== undefined ? { allowed: true, referencedByNode: node, referencedName: name } : undefined;
    }
  }
}

/** Each node's rules, made once: a kubelet's every request is decided by them. */
const rulesByNode = new Map<string, NodeRule[]>();

function nodeDecision(node: string, a: RequestAttributes): Decision {
  let rules = rulesByNode.get(node);
  if (!rules) rulesByNode.set(node, (rules = nodeRules(node)));
  const about = rules.filter((r) => ruleMatches(r, a));
  for (const rule of about) {
    const granted = nodeGrant(node, rule, a);
    if (granted) return granted;
  }
  const sub = a.subresource ? `/${a.subresource}` : '';
  return { allowed: false, reason: about.find((r) => r.denial)?.denial ?? `node "${node}" cannot ${a.verb} ${a.resource ?? a.path ?? ''}${sub}` };
}

export function authorize(user: UserInfo, a: RequestAttributes): Decision {
  if (user.groups.includes(MASTERS_GROUP)) return { allowed: true };
  if (a.resource === undefined) {
    const path = a.path ?? '';
    return nonResourceRulesOf(user).some((r) => (r.verbs.includes('*') || r.verbs.includes(a.verb)) && r.nonResourceURLs.some((u) => urlMatches(u, path)))
      ? { allowed: true }
      : { allowed: false, reason: `User "${user.name}" cannot ${a.verb} path "${path}"` };
  }
  const basic = user.groups.includes(AUTHENTICATED_GROUP) && BASIC_USER_RULES.some((r) => ruleAllows(r, a));
  if (basic) return { allowed: true };
  const node = nodeNameOf(user);
  if (node !== undefined) return nodeDecision(node, a);
  if (roleRulesOf(user).some((r) => ruleAllows(r, a))) return { allowed: true };
  return { allowed: false, reason: 'no rule allows it' };
}
