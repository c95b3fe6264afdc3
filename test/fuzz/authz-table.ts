// The spec of who may do what, as data: Kubernetes' Node authorizer (AuthorizeNodeWithSelectors,
// on by default since 1.32) with the NodeRestriction admission plugin, and the bootstrap
// ClusterRoles system:kube-scheduler and system:kube-controller-manager, cut down to the kinds
// skiff serves. skiff's controller-manager is one user doing the work of the controllers it
// runs, so it also gets the role of each of them (today: system:controller:node-controller,
// system:controller:service-account-controller, system:controller:namespace-controller,
// system:controller:disruption-controller, system:controller:generic-garbage-collector, the
// endpoint, endpointslice and root-ca-cert-publisher controllers' roles and the workload
// controllers').
// Anything the table does not name is admin only (group system:masters). Where skiff's
// authorizer (apiserver/auth/authorize.ts) differs, this table is right and skiff is reported.
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';
import type { Identity } from './runner.js';

export const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] as const;
export type Verb = (typeof VERBS)[number];

/** Every subresource Kubernetes has for the kinds here, and one that exists nowhere. */
export const SUBRESOURCES = ['', 'status', 'scale', 'binding', 'log', 'exec', 'attach', 'portforward', 'proxy', 'eviction', 'ephemeralcontainers', 'frobnicate'] as const;

const READ: Verb[] = ['get', 'list', 'watch'];
const COORD = 'coordination.k8s.io';
const DISCOVERY = 'discovery.k8s.io';

interface Rule {
  verbs: Verb[];
  /** "pods", "pods/status", or "*" (any resource and subresource) */
  resources: string[];
  /** API group; "" (core) when absent, "*" for any */
  group?: string;
  names?: string[];
  namespaces?: string[];
  /** node rules: only the node's own object (its Node, its Lease, a pod bound to it) */
  own?: boolean;
}

const events: Rule = { verbs: ['create', 'update', 'patch'], resources: ['events'] };
// system:basic-user, every authenticated user's: ask what it may do, and who it is.
const basicUser: Rule[] = [
  { verbs: ['create'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], group: 'authorization.k8s.io' },
  { verbs: ['create'], resources: ['selfsubjectreviews'], group: 'authentication.k8s.io' },
];

export const TABLE: Record<Exclude<Identity, 'admin' | 'no-token' | 'wrong-token'>, Rule[]> = {
  // plugin/pkg/auth/authorizer/node/node_authorizer.go (authorizeNode, authorizePod,
  // authorizeLease), NodeRules() in bootstrappolicy, plugin/pkg/admission/noderestriction.
  'node-a': [
    ...basicUser,
    { verbs: ['get', 'create', 'update', 'patch'], resources: ['nodes'], own: true },
    { verbs: ['update', 'patch'], resources: ['nodes/status'], own: true },
    // create: NodeRestriction admits mirror pods only, and these suites create none
    { verbs: ['get', 'delete'], resources: ['pods'], own: true },
    { verbs: ['update', 'patch'], resources: ['pods/status'], own: true },
    { verbs: ['create'], resources: ['pods/eviction'], own: true },
    events,
    { verbs: ['get', 'create', 'update', 'patch', 'delete'], resources: ['leases'], group: COORD, namespaces: ['kube-node-lease'], own: true },
    // authorizeReadNamespacedObject: a ConfigMap or Secret a pod bound to the node names. A
    // list or watch pinned by fieldSelector metadata.name=X is a read of X too; the grid's
    // carry no selector (test/apiserver/auth.test.ts has the pinned ones).
    { verbs: ['get'], resources: ['configmaps', 'secrets'], own: true },
    // NodeRules' system:node-proxier reads (the node proxy and the cluster DNS in the node
    // agent), and its own endpoint of the kube-dns Service (kube-system/kube-dns-<node>).
    { verbs: READ, resources: ['services', 'endpoints'] },
    { verbs: READ, resources: ['endpointslices'], group: DISCOVERY },
    // (The grid's creates carry names of their own, so none is this slice: test/dns creates it.)
    { verbs: ['create', 'update', 'patch', 'delete'], resources: ['endpointslices'], group: DISCOVERY, namespaces: ['kube-system'], names: ['kube-dns-node-a'] },
  ],
  // ClusterRole system:kube-scheduler
  scheduler: [
    ...basicUser,
    events,
    { verbs: ['create'], resources: ['leases'], group: COORD },
    { verbs: ['get', 'update'], resources: ['leases'], group: COORD, names: ['kube-scheduler'] },
    { verbs: READ, resources: ['nodes', 'namespaces'] },
    { verbs: [...READ, 'delete'], resources: ['pods'] },
    { verbs: ['create'], resources: ['pods/binding'] },
    { verbs: ['patch', 'update'], resources: ['pods/status'] },
  ],
  // ClusterRole system:kube-controller-manager, plus system:controller:node-controller and
  // system:controller:service-account-controller
  'controller-manager': [
    ...basicUser,
    events,
    { verbs: ['create'], resources: ['leases'], group: COORD },
    { verbs: ['get', 'update'], resources: ['leases'], group: COORD, names: ['kube-controller-manager'] },
    { verbs: ['get'], resources: ['namespaces', 'secrets', 'configmaps'] },
    { verbs: ['list', 'watch'], resources: ['*'], group: '*' },
    { verbs: ['get', 'list', 'update', 'delete', 'patch'], resources: ['nodes'] },
    { verbs: ['patch', 'update'], resources: ['nodes/status', 'pods/status'] },
    { verbs: ['list', 'get', 'delete'], resources: ['pods'] },
    // system:controller:service-account-controller: creates `default` in each namespace
    // (listing and watching namespaces and serviceaccounts is the rule for every resource above)
    { verbs: ['create'], resources: ['serviceaccounts'] },
    // system:controller:generic-garbage-collector: get, patch, update and delete of every kind's
    // objects (Kubernetes grants `*`; skiff leaves the subresources out), list and watch above
    { verbs: ['get', 'update', 'patch', 'delete'], resources: RESOURCES.map((r) => r.plural), group: '*' },
    // system:controller:replicaset-, deployment-, daemon-set-, job- and cronjob-controller
    { verbs: [...READ, 'create', 'update', 'patch', 'delete'], resources: ['deployments', 'replicasets', 'daemonsets', 'controllerrevisions'], group: 'apps' },
    { verbs: [...READ, 'create', 'update', 'patch', 'delete'], resources: ['jobs', 'cronjobs'], group: 'batch' },
    { verbs: ['update', 'patch'], resources: ['deployments/status', 'replicasets/status', 'daemonsets/status', 'controllerrevisions/status'], group: 'apps' },
    { verbs: ['update', 'patch'], resources: ['jobs/status', 'cronjobs/status'], group: 'batch' },
    { verbs: ['get', 'update', 'patch'], resources: ['deployments/scale', 'replicasets/scale'], group: 'apps' },
    { verbs: ['create', 'update', 'patch'], resources: ['pods'] },
    // system:controller:namespace-controller, as skiff's needs it: empties a namespace kind by
    // kind (deletecollection), then writes its status and finalizes it
    ...RESOURCES.filter((r) => r.namespaced).map((r): Rule => ({ verbs: ['deletecollection'], resources: [r.plural], group: r.group })),
    { verbs: ['update'], resources: ['namespaces/finalize', 'namespaces/status'] },
    // system:controller:disruption-controller: writes the budgets' status (reads them through
    // the rule for every resource above) and reads the scale of the pods' controllers
    { verbs: ['update'], resources: ['poddisruptionbudgets/status'], group: 'policy' },
    { verbs: ['get'], resources: ['*/scale'], group: '*' },
    // system:controller:endpoint-controller and endpointslice-controller: make the Endpoints and
    // EndpointSlices of Services (update and delete through the rule for every kind above) and
    // set finalizers on the Services they own; system:controller:root-ca-cert-publisher: makes
    // kube-root-ca.crt in every namespace
    { verbs: ['create'], resources: ['endpoints', 'configmaps'] },
    { verbs: ['create'], resources: ['endpointslices'], group: DISCOVERY },
    { verbs: ['update'], resources: ['services/finalizers'] },
    // system:controller:service-controller (k3s's ServiceLB): a LoadBalancer Service's ingress
    { verbs: ['patch', 'update'], resources: ['services/status'] },
  ],
};

export interface Cell {
  identity: Identity;
  verb: Verb;
  resource: ResourceInfo;
  sub: string;
  /** the object asked about (for create: the one in the body) */
  namespace?: string;
  name?: string;
  /** it is node-a's own: its Node, its Lease, a pod bound to it */
  own: boolean;
}

export type Outcome = 'allowed' | 'forbidden' | 'unauthenticated';

function ruleAllows(rule: Rule, c: Cell): boolean {
  const res = c.sub ? `${c.resource.plural}/${c.sub}` : c.resource.plural;
  const group = rule.group ?? '';
  // RBAC matches names only on requests that carry one: never a create, list or watch.
  const named = !['create', 'list', 'watch', 'deletecollection'].includes(c.verb);
  return (
    rule.verbs.includes(c.verb) &&
    (group === '*' || group === c.resource.group) &&
    (rule.resources.includes('*') || rule.resources.includes(res) || (c.sub !== '' && rule.resources.includes(`*/${c.sub}`))) &&
    (!rule.names || (named && c.name !== undefined && rule.names.includes(c.name))) &&
    (!rule.namespaces || (c.namespace !== undefined && rule.namespaces.includes(c.namespace))) &&
    (!rule.own || c.own)
  );
}

export function expectedOutcome(c: Cell): Outcome {
  if (c.identity === 'no-token' || c.identity === 'wrong-token') return 'unauthenticated';
  if (c.identity === 'admin') return 'allowed';
  return TABLE[c.identity].some((r) => ruleAllows(r, c)) ? 'allowed' : 'forbidden';
}

/** NodeRestriction: label keys a kubelet may not set on its own Node. */
export function nodeLabelForbidden(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return false;
  const prefix = key.slice(0, slash);
  if (/(^|\.)node-restriction\.kubernetes\.io$/.test(prefix)) return true;
  const kubeNamespace = /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix);
  const allowed =
    ['kubernetes.io/hostname', 'kubernetes.io/arch', 'kubernetes.io/os', 'beta.kubernetes.io/arch', 'beta.kubernetes.io/os', 'beta.kubernetes.io/instance-type',
      'node.kubernetes.io/instance-type', 'failure-domain.beta.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/region', 'topology.kubernetes.io/zone',
      'topology.kubernetes.io/region'].includes(key) || /(^|\.)(kubelet|node)\.kubernetes\.io$/.test(prefix);
  return kubeNamespace && !allowed;
}
