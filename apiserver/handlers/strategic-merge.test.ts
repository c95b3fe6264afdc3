import { describe, expect, it } from 'vitest';
import { strategicMerge } from './strategic-merge.js';

const pod = {
  metadata: { name: 'p', labels: { a: '1' }, finalizers: ['x'] },
  spec: {
    containers: [
      { name: 'app', image: 'busybox:1', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] },
      { name: 'side', image: 'nginx' },
    ],
    tolerations: [{ key: 't1', operator: 'Exists' }],
  },
};

describe('strategicMerge', () => {
  it('merges containers by name, as kubectl apply sends them', () => {
    const out = strategicMerge(pod, {
      spec: { '$setElementOrder/containers': [{ name: 'app' }, { name: 'side' }], containers: [{ name: 'app', image: 'busybox:2' }] },
    }) as typeof pod;
    expect(out.spec.containers).toEqual([
      { name: 'app', image: 'busybox:2', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] },
      { name: 'side', image: 'nginx' },
    ]);
    expect(JSON.stringify(out)).not.toContain('$setElementOrder');
  });

  it('adds, deletes and replaces elements by directive', () => {
    const out = strategicMerge(pod, {
      spec: { containers: [{ name: 'side', $patch: 'delete' }, { name: 'new', image: 'x' }], tolerations: [{ key: 't2', operator: 'Exists' }] },
    }) as typeof pod;
    expect(out.spec.containers.map((c) => c.name)).toEqual(['app', 'new']);
    // tolerations have no merge key: replaced, as in Kubernetes
    expect(out.spec.tolerations).toEqual([{ key: 't2', operator: 'Exists' }]);
    const replaced = strategicMerge(pod, { metadata: { labels: { $patch: 'replace', b: '2' } } }) as typeof pod;
    expect(replaced.metadata.labels).toEqual({ b: '2' });
  });

  it('merges finalizers as a set and deletes from it', () => {
    expect((strategicMerge(pod, { metadata: { finalizers: ['y', 'x'] } }) as typeof pod).metadata.finalizers).toEqual(['x', 'y']);
    expect((strategicMerge(pod, { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] } }) as typeof pod).metadata.finalizers).toEqual([]);
  });

  it('behaves as a merge patch for maps and nulls', () => {
    const out = strategicMerge(pod, { metadata: { labels: { a: null, c: '3' } } }) as typeof pod;
    expect(out.metadata.labels).toEqual({ c: '3' });
    expect(pod.metadata.labels).toEqual({ a: '1' });
  });
});
