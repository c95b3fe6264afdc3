import { describe, expect, it } from 'vitest';
import { authorize, selectsNode, type RequestAttributes } from './authorize.js';
import { ANONYMOUS, type UserInfo } from './user.js';

const admin: UserInfo = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };
const n1: UserInfo = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const scheduler: UserInfo = { name: 'system:kube-scheduler', groups: ['system:authenticated'] };
const controllerManager: UserInfo = { name: 'system:kube-controller-manager', groups: ['system:authenticated'] };
const someone: UserInfo = { name: 'alice', groups: ['system:authenticated'] };

const pod = (verb: string, extra: Partial<RequestAttributes> = {}): RequestAttributes => ({
  verb, apiGroup: '', resource: 'pods', namespace: 'default', ...extra,
});

describe('authorize', () => {
  it('lets system:masters do anything', () => {
    expect(authorize(admin, { verb: 'delete', apiGroup: '', resource: 'nodes', name: 'n2' }).allowed).toBe(true);
  });

  it.each([
    ['own node status', { verb: 'update', apiGroup: '', resource: 'nodes', subresource: 'status', name: 'n1' }, true],
    ["another node's status", { verb: 'update', apiGroup: '', resource: 'nodes', subresource: 'status', name: 'n2' }, false],
    ['create own node', { verb: 'create', apiGroup: '', resource: 'nodes', name: 'n1' }, true],
    ['read its own node', { verb: 'get', apiGroup: '', resource: 'nodes', name: 'n1' }, true],
    ['read another node', { verb: 'get', apiGroup: '', resource: 'nodes', name: 'n2' }, false],
    ['list all nodes', { verb: 'list', apiGroup: '', resource: 'nodes' }, false],
    ['watch its own node by name', { verb: 'watch', apiGroup: '', resource: 'nodes', fieldSelector: 'metadata.name=n1' }, true],
    ['watch another node by name', { verb: 'watch', apiGroup: '', resource: 'nodes', fieldSelector: 'metadata.name=n2' }, false],
    ['delete its own node', { verb: 'delete', apiGroup: '', resource: 'nodes', name: 'n1' }, false],
    ['read namespaces', { verb: 'get', apiGroup: '', resource: 'namespaces', name: 'default' }, false],
    ['read a pod log', pod('get', { name: 'p', subresource: 'log' }), false],
    ['own lease', { verb: 'update', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease', name: 'n1' }, true],
    ["another node's lease", { verb: 'update', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease', name: 'n2' }, false],
    ['lease elsewhere', { verb: 'update', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-system', name: 'n1' }, false],
    ['watch own pods', pod('watch', { namespace: undefined, fieldSelector: 'spec.nodeName=n1' }), true],
    ['watch all pods', pod('watch', { namespace: undefined }), false],
    ["watch another node's pods", pod('list', { fieldSelector: 'spec.nodeName=n2' }), false],
    ['create a pod', pod('create', { name: 'p' }), false],
    ['update a pod spec', pod('update', { name: 'p' }), false],
    ['create events', { verb: 'create', apiGroup: '', resource: 'events', namespace: 'default' }, true],
    ['delete a namespace', { verb: 'delete', apiGroup: '', resource: 'namespaces', name: 'default' }, false],
    ['watch all services (node proxier)', { verb: 'watch', apiGroup: '', resource: 'services' }, true],
    ['list all endpointslices (node proxier)', { verb: 'list', apiGroup: 'discovery.k8s.io', resource: 'endpointslices' }, true],
    ['get endpoints', { verb: 'get', apiGroup: '', resource: 'endpoints', namespace: 'default', name: 'web' }, true],
    ['create a service', { verb: 'create', apiGroup: '', resource: 'services', namespace: 'default' }, false],
    ['update service status', { verb: 'update', apiGroup: '', resource: 'services', subresource: 'status', namespace: 'default', name: 'web' }, false],
    ['delete an endpointslice', { verb: 'delete', apiGroup: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'default', name: 'web-abc' }, false],
    ['endpointslices in the core group', { verb: 'list', apiGroup: '', resource: 'endpointslices' }, false],
    // Services for the pods' service-link variables too: read only.
    ['list services', { verb: 'list', apiGroup: '', resource: 'services' }, true],
    ['get a service', { verb: 'get', apiGroup: '', resource: 'services', namespace: 'default', name: 'web' }, true],
    ['update a service', { verb: 'update', apiGroup: '', resource: 'services', namespace: 'default', name: 'web' }, false],
    ['list services', { verb: 'list', apiGroup: '', resource: 'services' }, true],
    ['watch endpointslices', { verb: 'watch', apiGroup: 'discovery.k8s.io', resource: 'endpointslices' }, true],
    ['get an endpointslice', { verb: 'get', apiGroup: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'default', name: 'web-x' }, true],
    ['create a service', { verb: 'create', apiGroup: '', resource: 'services', namespace: 'default', name: 's' }, false],
    ['delete a service', { verb: 'delete', apiGroup: '', resource: 'services', namespace: 'default', name: 's' }, false],
    ['update service status', { verb: 'update', apiGroup: '', resource: 'services', subresource: 'status', namespace: 'default', name: 's' }, false],
    ['create its kube-dns slice', { verb: 'create', apiGroup: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'kube-system', name: 'kube-dns-n1' }, true],
    ['update its kube-dns slice', { verb: 'update', apiGroup: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'kube-system', name: 'kube-dns-n1' }, true],
    ['delete its kube-dns slice', { verb: 'delete', apiGroup: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'kube-system', name: 'kube-dns-n1' }, true],
    ["update another node's kube-dns slice", { verb: 'update', apiGroup: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'kube-system', name: 'kube-dns-n2' }, false],
    ['create its kube-dns slice elsewhere', { verb: 'create', apiGroup: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'default', name: 'kube-dns-n1' }, false],
    ['update any other slice', { verb: 'patch', apiGroup: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'default', name: 'web-x' }, false],
    ['delete slices by collection', { verb: 'deletecollection', apiGroup: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'kube-system' }, false],
    ['read endpointslices of another group', { verb: 'list', apiGroup: 'example.com', resource: 'endpointslices' }, false],
  ] as const)('node n1: %s -> %s', (_what, attrs, allowed) => {
    expect(authorize(n1, attrs as RequestAttributes).allowed).toBe(allowed);
  });

  it('marks pod reads and status writes by a node as bound to that node', () => {
    expect(authorize(n1, pod('get', { name: 'p' }))).toEqual({ allowed: true, boundToNode: 'n1' });
    expect(authorize(n1, pod('patch', { name: 'p', subresource: 'status' }))).toEqual({ allowed: true, boundToNode: 'n1' });
    expect(authorize(n1, pod('delete', { name: 'p' }))).toEqual({ allowed: true, boundToNode: 'n1' });
  });

  it("lets a node get only ConfigMaps and Secrets, by name, left for the handler to match against its pods", () => {
    const obj = (resource: string, verb: string, name?: string): RequestAttributes => ({ verb, apiGroup: '', resource, namespace: 'default', ...(name ? { name } : {}) });
    expect(authorize(n1, obj('secrets', 'get', 'db'))).toEqual({ allowed: true, referencedByNode: 'n1' });
    expect(authorize(n1, obj('configmaps', 'get', 'cfg'))).toEqual({ allowed: true, referencedByNode: 'n1' });
    expect(authorize(n1, obj('secrets', 'list')).allowed).toBe(false);
    expect(authorize(n1, obj('secrets', 'watch')).allowed).toBe(false);
    // Pinned to one name in one namespace: a read of that object (AuthorizeNodeWithSelectors).
    expect(authorize(n1, { ...obj('secrets', 'list'), fieldSelector: 'metadata.name=db' })).toEqual({ allowed: true, referencedByNode: 'n1', referencedName: 'db' });
    expect(authorize(n1, { ...obj('configmaps', 'watch'), fieldSelector: 'metadata.name=cfg' })).toMatchObject({ allowed: true, referencedName: 'cfg' });
    expect(authorize(n1, { ...obj('secrets', 'list'), fieldSelector: 'metadata.name!=db' }).allowed).toBe(false);
    expect(authorize(n1, { ...obj('secrets', 'list'), namespace: undefined, fieldSelector: 'metadata.name=db' }).allowed).toBe(false);
    expect(authorize(n1, obj('configmaps', 'update', 'cfg')).allowed).toBe(false);
    expect(authorize(n1, obj('secrets', 'delete', 'db')).allowed).toBe(false);
  });

  it('gives the scheduler its bootstrap role and nothing more', () => {
    expect(authorize(scheduler, pod('create', { name: 'p', subresource: 'binding' })).allowed).toBe(true);
    expect(authorize(scheduler, pod('watch')).allowed).toBe(true);
    expect(authorize(scheduler, pod('create', { name: 'p' })).allowed).toBe(false);
    expect(authorize(scheduler, { verb: 'update', apiGroup: '', resource: 'nodes', name: 'n1' }).allowed).toBe(false);
    // Its own leader-election lease by name; a create names nothing, so any lease may be created.
    const lease = (verb: string, name?: string): RequestAttributes => ({ verb, apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-system', name });
    expect(authorize(scheduler, lease('update', 'kube-scheduler')).allowed).toBe(true);
    expect(authorize(scheduler, lease('update', 'kube-controller-manager')).allowed).toBe(false);
    expect(authorize(scheduler, lease('create', 'anything')).allowed).toBe(true);
    expect(authorize(scheduler, lease('list')).allowed).toBe(false);
  });

  it("gives the controller-manager the garbage collector's role: every kind's objects, no subresource", () => {
    const cm: UserInfo = { name: 'system:kube-controller-manager', groups: ['system:authenticated'] };
    const can = (verb: string, apiGroup: string, resource: string, extra: Partial<RequestAttributes> = {}) => authorize(cm, { verb, apiGroup, resource, namespace: 'default', name: 'x', ...extra }).allowed;
    for (const resource of ['configmaps', 'secrets', 'pods', 'serviceaccounts']) {
      for (const verb of ['get', 'patch', 'update', 'delete']) expect(can(verb, '', resource), `${verb} ${resource}`).toBe(true);
    }
    expect(can('delete', 'coordination.k8s.io', 'leases')).toBe(true);
    expect(can('list', '', 'configmaps', { name: undefined })).toBe(true);
    expect(can('watch', '', 'secrets', { name: undefined, namespace: undefined })).toBe(true);
    // Not a subresource beyond its controllers' own (namespaces/finalize and deletecollection are
    // the namespace controller's, below), not a create beyond its controllers' own.
    expect(can('get', '', 'nodes', { subresource: 'proxy', namespace: undefined })).toBe(false);
    expect(can('get', '', 'pods', { subresource: 'log' })).toBe(false);
    expect(can('create', '', 'pods', { subresource: 'exec' })).toBe(false);
    expect(can('update', '', 'configmaps', { subresource: 'status' })).toBe(false);
    expect(can('create', '', 'secrets', { name: undefined })).toBe(false);
    // The finalizers of what the workload controllers own, for their blockOwnerDeletion references; no other kind's.
    expect(can('update', 'apps', 'replicasets', { subresource: 'finalizers' })).toBe(true);
    expect(can('update', 'batch', 'jobs', { subresource: 'finalizers' })).toBe(true);
    expect(can('update', '', 'configmaps', { subresource: 'finalizers' })).toBe(false);
  });

  it.each([
    // system:controller:namespace-controller: empty a namespace kind by kind, then finalize it
    ['deletecollection pods', pod('deletecollection'), true],
    ['deletecollection configmaps', { verb: 'deletecollection', apiGroup: '', resource: 'configmaps', namespace: 'x' }, true],
    ['deletecollection secrets', { verb: 'deletecollection', apiGroup: '', resource: 'secrets', namespace: 'x' }, true],
    ['deletecollection serviceaccounts', { verb: 'deletecollection', apiGroup: '', resource: 'serviceaccounts', namespace: 'x' }, true],
    ['deletecollection events', { verb: 'deletecollection', apiGroup: '', resource: 'events', namespace: 'x' }, true],
    ['deletecollection leases', { verb: 'deletecollection', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'x' }, true],
    ['deletecollection leases in the core group', { verb: 'deletecollection', apiGroup: '', resource: 'leases', namespace: 'x' }, false],
    ['deletecollection nodes', { verb: 'deletecollection', apiGroup: '', resource: 'nodes' }, false],
    ['finalize a namespace', { verb: 'update', apiGroup: '', resource: 'namespaces', subresource: 'finalize', name: 'x' }, true],
    ['update a namespace status', { verb: 'update', apiGroup: '', resource: 'namespaces', subresource: 'status', name: 'x' }, true],
    ['patch a namespace status', { verb: 'patch', apiGroup: '', resource: 'namespaces', subresource: 'status', name: 'x' }, false],
    // One object at a time: the garbage collector's role (get, patch, update, delete of every kind's objects).
    ['update a namespace', { verb: 'update', apiGroup: '', resource: 'namespaces', name: 'x' }, true],
    ['delete a namespace', { verb: 'delete', apiGroup: '', resource: 'namespaces', name: 'x' }, true],
    ['delete one secret', { verb: 'delete', apiGroup: '', resource: 'secrets', namespace: 'x', name: 's' }, true],
    ['delete one serviceaccount', { verb: 'delete', apiGroup: '', resource: 'serviceaccounts', namespace: 'x', name: 'default' }, true],
    // The endpoints, EndpointSlice and root CA publisher controllers.
    ['create endpoints', { verb: 'create', apiGroup: '', resource: 'endpoints', namespace: 'x' }, true],
    ['create endpointslices', { verb: 'create', apiGroup: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'x' }, true],
    ['create endpointslices in the core group', { verb: 'create', apiGroup: '', resource: 'endpointslices', namespace: 'x' }, false],
    ['create configmaps', { verb: 'create', apiGroup: '', resource: 'configmaps', namespace: 'x' }, true],
    ['update a configmap', { verb: 'update', apiGroup: '', resource: 'configmaps', namespace: 'x', name: 'kube-root-ca.crt' }, true],
    ['update service finalizers', { verb: 'update', apiGroup: '', resource: 'services', subresource: 'finalizers', namespace: 'x', name: 'web' }, true],
    ['create services', { verb: 'create', apiGroup: '', resource: 'services', namespace: 'x' }, false],
    ['create secrets', { verb: 'create', apiGroup: '', resource: 'secrets', namespace: 'x' }, false],
    ['watch services', { verb: 'watch', apiGroup: '', resource: 'services' }, true],
    // The ServiceLB controller (system:controller:service-controller): a Service's status, nothing more of it.
    ['servicelb: update service status', { verb: 'update', apiGroup: '', resource: 'services', subresource: 'status', namespace: 'x', name: 'web' }, true],
    ['servicelb: patch service status', { verb: 'patch', apiGroup: '', resource: 'services', subresource: 'status', namespace: 'x', name: 'web' }, true],
    ['servicelb: not delete a service status', { verb: 'delete', apiGroup: '', resource: 'services', subresource: 'status', namespace: 'x', name: 'web' }, false],
    ['servicelb: not services/status of another group', { verb: 'update', apiGroup: 'apps', resource: 'services', subresource: 'status', namespace: 'x', name: 'web' }, false],
    ['servicelb: list nodes', { verb: 'list', apiGroup: '', resource: 'nodes' }, true],
    // system:controller:pod-garbage-collector: mark a pod Failed, force-delete it, read a missing node live.
    ['pod-gc: patch a pod status', { verb: 'patch', apiGroup: '', resource: 'pods', subresource: 'status', namespace: 'x', name: 'p' }, true],
    ['pod-gc: delete a pod', { verb: 'delete', apiGroup: '', resource: 'pods', namespace: 'x', name: 'p' }, true],
    ['pod-gc: get a node', { verb: 'get', apiGroup: '', resource: 'nodes', name: 'n' }, true],
    ['pod-gc: list pods everywhere', { verb: 'list', apiGroup: '', resource: 'pods' }, true],
    ['pod-gc: not a pod binding', { verb: 'create', apiGroup: '', resource: 'pods', subresource: 'binding', namespace: 'x', name: 'p' }, false],
  ] as const)('controller-manager: %s -> %s', (_what, attrs, allowed) => {
    expect(authorize(controllerManager, attrs as RequestAttributes).allowed).toBe(allowed);
  });

  it("gives the controller-manager the workload controllers' rights and a node none of them", () => {
    const cm: UserInfo = { name: 'system:kube-controller-manager', groups: ['system:authenticated'] };
    const at = (apiGroup: string, resource: string, verb: string, subresource?: string): RequestAttributes => ({ verb, apiGroup, resource, namespace: 'default', name: 'w', subresource });
    for (const verb of ['get', 'create', 'update', 'patch', 'delete']) {
      for (const r of ['deployments', 'replicasets', 'daemonsets', 'controllerrevisions']) expect(authorize(cm, at('apps', r, verb)).allowed, `${verb} ${r}`).toBe(true);
      for (const r of ['jobs', 'cronjobs']) expect(authorize(cm, at('batch', r, verb)).allowed, `${verb} ${r}`).toBe(true);
    }
    expect(authorize(cm, at('apps', 'deployments', 'update', 'status')).allowed).toBe(true);
    expect(authorize(cm, at('batch', 'jobs', 'patch', 'status')).allowed).toBe(true);
    expect(authorize(cm, at('apps', 'replicasets', 'update', 'scale')).allowed).toBe(true);
    expect(authorize(cm, at('apps', 'deployments', 'get', 'scale')).allowed).toBe(true);
    expect(authorize(cm, at('', 'pods', 'create')).allowed).toBe(true);
    expect(authorize(cm, at('', 'pods', 'patch')).allowed).toBe(true);
    // Not the workloads of a group it does not run, nor a node's rights.
    expect(authorize(cm, at('batch', 'deployments', 'create')).allowed).toBe(false);
    expect(authorize(cm, at('', 'nodes', 'create')).allowed).toBe(false);
    for (const verb of ['get', 'create', 'update', 'delete']) expect(authorize(n1, at('apps', 'deployments', verb)).allowed, verb).toBe(false);
    expect(authorize(n1, at('apps', 'deployments', 'update', 'scale')).allowed).toBe(false);
    expect(authorize(scheduler, at('batch', 'jobs', 'create')).allowed).toBe(false);
  });

  it('gives metrics.k8s.io to the admin, and to the controller-manager through its roles on every resource; no node or scheduler', () => {
    // system:aggregated-metrics-reader goes to admin, edit and view; skiff's admin is system:masters.
    const metrics = (resource: 'nodes' | 'pods', verb: string, extra: Partial<RequestAttributes> = {}): RequestAttributes => ({
      verb,
      apiGroup: 'metrics.k8s.io',
      resource,
      ...(resource === 'pods' ? { namespace: 'default' } : {}),
      ...extra,
    });
    for (const resource of ['nodes', 'pods'] as const) {
      for (const verb of ['get', 'list']) {
        const named = verb === 'get' ? { name: resource === 'nodes' ? 'n1' : 'p' } : {};
        expect(authorize(admin, metrics(resource, verb, named)).allowed, `admin ${verb} ${resource}`).toBe(true);
        // Not even its own node's or its pods' numbers: Kubernetes' Node authorizer gives none.
        expect(authorize(n1, metrics(resource, verb, named)).allowed, `node ${verb} ${resource}`).toBe(false);
        expect(authorize(scheduler, metrics(resource, verb, named)).allowed, `scheduler ${verb} ${resource}`).toBe(false);
        expect(authorize(someone, metrics(resource, verb, named)).allowed, `someone ${verb} ${resource}`).toBe(false);
      }
      // system:kube-controller-manager lists and watches every resource of every group (its
      // shared informers), and system:controller:generic-garbage-collector gets every object of
      // every group: metrics.k8s.io is in both, as in Kubernetes. Nothing that writes is served.
      expect(authorize(controllerManager, metrics(resource, 'list')).allowed).toBe(true);
      expect(authorize(controllerManager, metrics(resource, 'get', { name: 'x' })).allowed).toBe(true);
      expect(authorize(controllerManager, metrics(resource, 'create')).allowed).toBe(false);
    }
  });

  it('allows discovery to authenticated users and only public info to anonymous ones', () => {
    expect(authorize(someone, { verb: 'get', apiGroup: '', path: '/api/v1' }).allowed).toBe(true);
    expect(authorize(someone, pod('list')).allowed).toBe(false);
    expect(authorize(ANONYMOUS, { verb: 'get', apiGroup: '', path: '/healthz' }).allowed).toBe(true);
    expect(authorize(ANONYMOUS, { verb: 'get', apiGroup: '', path: '/api/v1' }).allowed).toBe(false);
  });

  it('lets every authenticated user create the self reviews (system:basic-user); SubjectAccessReview only the admin; anonymous neither', () => {
    const review = (apiGroup: string, resource: string, verb = 'create'): RequestAttributes => ({ verb, apiGroup, resource });
    const self = [review('authorization.k8s.io', 'selfsubjectaccessreviews'), review('authorization.k8s.io', 'selfsubjectrulesreviews'), review('authentication.k8s.io', 'selfsubjectreviews')];
    for (const user of [admin, n1, scheduler, controllerManager, someone]) {
      for (const a of self) expect(authorize(user, a).allowed, `${user.name} ${a.resource}`).toBe(true);
      expect(authorize(user, review('authorization.k8s.io', 'selfsubjectaccessreviews', 'get')).allowed).toBe(user === admin);
    }
    for (const a of self) expect(authorize(ANONYMOUS, a).allowed).toBe(false);
    for (const user of [n1, scheduler, controllerManager, someone, ANONYMOUS]) expect(authorize(user, review('authorization.k8s.io', 'subjectaccessreviews')).allowed).toBe(false);
    expect(authorize(admin, review('authorization.k8s.io', 'subjectaccessreviews')).allowed).toBe(true);
  });

  it('reads a node pin out of field selectors', () => {
    expect(selectsNode('spec.nodeName=n1', 'n1')).toBe(true);
    expect(selectsNode('status.phase!=Succeeded, spec.nodeName==n1', 'n1')).toBe(true);
    expect(selectsNode('spec.nodeName!=n1', 'n1')).toBe(false);
    expect(selectsNode('spec.nodeName=n10', 'n1')).toBe(false);
    expect(selectsNode(undefined, 'n1')).toBe(false);
    // One requirement on metadata.name whose value holds an escaped comma: nothing pins the node.
    expect(selectsNode('metadata.name!=x\\,spec.nodeName=n1', 'n1')).toBe(false);
    expect(selectsNode('spec.nodeName=n1\\,x', 'n1')).toBe(false);
    expect(selectsNode('spec.nodeName=n1,spec.nodeName=n2', 'n1')).toBe(true); // ANDed: selects nothing
    expect(selectsNode('spec.nodeName=n1,bogus.field=1', 'n1')).toBe(false); // the list would be a 400
  });
});
