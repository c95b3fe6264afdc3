import { describe, expect, it } from 'vitest';
import { parseRequestInfo } from './request-info.js';

describe('parseRequestInfo', () => {
  it.each([
    ['GET', '/api/v1/namespaces/ns1/pods', {}, { verb: 'list', resource: 'pods', namespace: 'ns1', name: undefined }],
    ['GET', '/api/v1/namespaces/ns1/pods', { watch: 'true' }, { verb: 'watch', resource: 'pods', namespace: 'ns1' }],
    ['GET', '/api/v1/pods', { watch: '1' }, { verb: 'watch', resource: 'pods', namespace: undefined }],
    ['GET', '/api/v1/namespaces/ns1/pods/p', {}, { verb: 'get', name: 'p', subresource: undefined }],
    ['PUT', '/api/v1/namespaces/ns1/pods/p/status', {}, { verb: 'update', name: 'p', subresource: 'status' }],
    ['POST', '/api/v1/namespaces/ns1/pods/p/binding', {}, { verb: 'create', name: 'p', subresource: 'binding' }],
    ['PATCH', '/api/v1/nodes/n1/status', {}, { verb: 'patch', resource: 'nodes', name: 'n1', subresource: 'status', namespace: undefined }],
    ['DELETE', '/api/v1/namespaces/ns1/pods', {}, { verb: 'deletecollection' }],
    ['DELETE', '/api/v1/namespaces/ns1', {}, { verb: 'delete', resource: 'namespaces', name: 'ns1', namespace: 'ns1' }],
    ['PUT', '/api/v1/namespaces/ns1/status', {}, { verb: 'update', resource: 'namespaces', name: 'ns1', subresource: 'status' }],
    ['GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', {}, { verb: 'get', apiGroup: 'coordination.k8s.io', resource: 'leases', name: 'n1' }],
  ] as const)('%s %s %o', (method, path, query, want) => {
    const info = parseRequestInfo(method, path, query);
    expect(info.isResourceRequest).toBe(true);
    const picked = Object.fromEntries(Object.keys(want).map((k) => [k, (info as unknown as Record<string, unknown>)[k]]));
    expect(picked).toEqual(want);
    expect(info.resourceInfo?.plural).toBe(info.resource);
  });

  it('leaves non-resource paths alone and does not resolve unknown resources', () => {
    expect(parseRequestInfo('GET', '/version', {}).isResourceRequest).toBe(false);
    expect(parseRequestInfo('GET', '/api/v1', {}).isResourceRequest).toBe(false);
    expect(parseRequestInfo('GET', '/apis/coordination.k8s.io/v1', {}).isResourceRequest).toBe(false);
    const unknown = parseRequestInfo('GET', '/api/v1/widgets', {});
    expect(unknown.isResourceRequest).toBe(true);
    expect(unknown.resourceInfo).toBeUndefined();
    // Leases live in a group; the core path does not find them.
    expect(parseRequestInfo('GET', '/api/v1/namespaces/a/leases', {}).resourceInfo).toBeUndefined();
  });
});
