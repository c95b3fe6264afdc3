import { describe, expect, it } from 'vitest';
import { authorize, type RequestAttributes } from './authorize.js';
import { rulesFor, type ResourceRule } from './rules.js';
import { ANONYMOUS, type UserInfo } from './user.js';

const admin: UserInfo = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };
const n1: UserInfo = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const scheduler: UserInfo = { name: 'system:kube-scheduler', groups: ['system:authenticated'] };
const controllerManager: UserInfo = { name: 'system:kube-controller-manager', groups: ['system:authenticated'] };
const someone: UserInfo = { name: 'alice', groups: ['system:authenticated'] };

/** Every request a listed rule spells out (a `*` taken as a concrete value the rule names). */
function requestsOf(rule: ResourceRule, namespace: string): RequestAttributes[] {
  const out: RequestAttributes[] = [];
  for (const verb of rule.verbs) {
    for (const apiGroup of rule.apiGroups.map((g) => (g === '*' ? 'apps' : g))) {
      for (const res of rule.resources.map((r) => (r === '*' ? 'deployments' : r.replace(/^\*\//, 'deployments/')))) {
        const [resource, subresource] = res.split('/');
        for (const name of rule.resourceNames ?? [verb === 'create' || verb === 'list' || verb === 'watch' || verb === 'deletecollection' ? undefined : 'x']) {
          out.push({ verb, apiGroup, resource, subresource, namespace, name });
        }
      }
    }
  }
  return out;
}

describe('rulesFor', () => {
  it.each([
    ['a node', n1],
    ['the scheduler', scheduler],
    ['the controller-manager', controllerManager],
    ['someone', someone],
  ])('lists for %s only what the authorizer allows (one declaration read twice)', (_, user) => {
    for (const namespace of ['default', 'kube-node-lease', 'kube-system']) {
      for (const rule of rulesFor(user, namespace).resourceRules) {
        for (const a of requestsOf(rule, namespace)) expect(authorize(user, a).allowed, JSON.stringify(a)).toBe(true);
      }
    }
  });

  it('gives the admin everything, complete', () => {
    expect(rulesFor(admin, '')).toEqual({ resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false });
  });

  it("says a node's list is incomplete (pods bound to it, objects they name), names its own Node and lease, and drops rules of other namespaces", () => {
    const inLeases = rulesFor(n1, 'kube-node-lease');
    expect(inLeases.incomplete).toBe(true);
    expect(inLeases.resourceRules).toContainEqual({ verbs: ['get', 'create', 'update', 'patch'], apiGroups: [''], resources: ['nodes'], resourceNames: ['n1'] });
    expect(inLeases.resourceRules).toContainEqual(expect.objectContaining({ resources: ['leases'], resourceNames: ['n1'] }));
    expect(inLeases.resourceRules.some((r) => r.resources.includes('pods') || r.resources.includes('secrets'))).toBe(false);
    expect(rulesFor(n1, 'default').resourceRules.some((r) => r.resources.includes('leases'))).toBe(false);
  });

  it('lists a component complete, with the self reviews; public info only for anonymous', () => {
    const s = rulesFor(scheduler, 'default');
    expect(s.incomplete).toBe(false);
    expect(s.resourceRules).toContainEqual({ verbs: ['create'], apiGroups: [''], resources: ['pods/binding'] });
    expect(s.resourceRules).toContainEqual({ verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] });
    const anon = rulesFor(ANONYMOUS, 'default');
    expect(anon.resourceRules).toEqual([]);
    expect(anon.nonResourceRules).toEqual([{ verbs: ['get'], nonResourceURLs: ['/version', '/version/', '/healthz*', '/readyz*', '/livez*'] }]);
    for (const path of ['/version', '/healthz/etcd', '/readyz']) expect(authorize(ANONYMOUS, { verb: 'get', apiGroup: '', path }).allowed).toBe(true);
    expect(authorize(ANONYMOUS, { verb: 'get', apiGroup: '', path: '/versions' }).allowed).toBe(false);
  });
});
