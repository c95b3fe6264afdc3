import { describe, expect, it } from 'vitest';
import { findResource, resourceForKind, resourcePath } from './resources.js';

describe('resource table', () => {
  it('finds resources by plural, singular, kind and short name', () => {
    expect(findResource('po')?.plural).toBe('pods');
    expect(findResource('Pod')?.plural).toBe('pods');
    expect(findResource('nodes')?.kind).toBe('Node');
    expect(findResource('lease')?.group).toBe('coordination.k8s.io');
    expect(findResource('deploy')?.group).toBe('apps');
    expect(findResource('cj')?.kind).toBe('CronJob');
    expect(findResource('statefulsets')).toBeUndefined();
  });

  it('builds Kubernetes REST paths', () => {
    const pods = resourceForKind('v1', 'Pod')!;
    expect(resourcePath(pods, { namespace: 'default', name: 'kuard', subresource: 'status' })).toBe('/api/v1/namespaces/default/pods/kuard/status');
    expect(resourcePath(pods)).toBe('/api/v1/pods');
    const leases = resourceForKind('coordination.k8s.io/v1', 'Lease')!;
    expect(resourcePath(leases, { namespace: 'kube-node-lease', name: 'n1' })).toBe('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1');
    expect(resourcePath(findResource('no')!, { name: 'n1' })).toBe('/api/v1/nodes/n1');
  });
});
