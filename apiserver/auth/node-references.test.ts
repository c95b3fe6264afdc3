import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { podsReference } from './node-references.js';

const pod = (nodeName: string, spec: Partial<Pod['spec']>): Pod => ({ metadata: { name: 'p', namespace: 'default' }, spec: { nodeName, containers: [{ name: 'c', image: 'i' }], ...spec } });

describe("the Node authorizer's graph, from the pods", () => {
  const pods = [
    pod('n1', { containers: [{ name: 'c', image: 'i', env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'k' } } }], envFrom: [{ configMapRef: { name: 'env-cm' } }] }] }),
    pod('n1', { volumes: [{ name: 'v', projected: { sources: [{ secret: { name: 'projected-secret' } }, { configMap: { name: 'projected-cm' } }] } }, { name: 'w', secret: { secretName: 'vol-secret' } }], imagePullSecrets: [{ name: 'regcred' }] }),
    pod('n2', { volumes: [{ name: 'v', configMap: { name: 'other-node-cm' } }] }),
  ];

  it.each<[string, 'configmaps' | 'secrets', string, boolean]>([
    ['a Secret in env', 'secrets', 'env-secret', true],
    ['a ConfigMap in envFrom', 'configmaps', 'env-cm', true],
    ['a projected Secret', 'secrets', 'projected-secret', true],
    ['a projected ConfigMap', 'configmaps', 'projected-cm', true],
    ['a Secret volume', 'secrets', 'vol-secret', true],
    ['an image pull secret', 'secrets', 'regcred', true],
    ["another node's pod's ConfigMap", 'configmaps', 'other-node-cm', false],
    ['a Secret no pod names', 'secrets', 'unrelated', false],
    ['a ConfigMap name that is a Secret here', 'configmaps', 'env-secret', false],
  ])('%s: %s/%s -> %s', (_what, resource, name, ok) => {
    expect(podsReference(pods, 'n1', resource, name)).toBe(ok);
  });
});
