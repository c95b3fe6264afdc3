import { describe, expect, it } from 'vitest';
import { buildOpenAPIV2, buildOpenAPIV3, buildOpenAPIV3Index, openAPIV3GroupVersions } from './openapi.js';

type Json = Record<string, unknown>;

/** Every $ref in a document, with where it points. */
function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

/** kubectl explain's walk: follow properties (and $refs) along a dotted path. */
function explain(defs: Record<string, Json>, prefix: string, root: string, path: string[]): Json {
  let cur = defs[root];
  for (const field of path) {
    let next = (cur.properties as Record<string, Json>)[field];
    if (next.type === 'array') next = next.items as Json;
    if (typeof next.$ref === 'string') next = defs[next.$ref.slice(prefix.length)];
    cur = next;
  }
  return cur;
}

describe('OpenAPI v2', () => {
  const doc = buildOpenAPIV2({ version: 'v1.30.0' });
  const defs = doc.definitions as Record<string, Json>;
  const paths = doc.paths as Record<string, Record<string, Json>>;

  it('is a swagger 2.0 document', () => {
    expect(doc.swagger).toBe('2.0');
    expect(doc.info).toEqual({ title: 'Kubernetes', version: 'v1.30.0' });
  });

  const kinds: [string, string, string, string][] = [
    ['io.k8s.api.core.v1.Pod', '', 'v1', 'Pod'],
    ['io.k8s.api.core.v1.PodList', '', 'v1', 'PodList'],
    ['io.k8s.api.core.v1.Node', '', 'v1', 'Node'],
    ['io.k8s.api.core.v1.Namespace', '', 'v1', 'Namespace'],
    ['io.k8s.api.core.v1.Event', '', 'v1', 'Event'],
    ['io.k8s.api.core.v1.Binding', '', 'v1', 'Binding'],
    ['io.k8s.api.coordination.v1.Lease', 'coordination.k8s.io', 'v1', 'Lease'],
  ];
  it.each(kinds)('defines %s with its group-version-kind', (name, group, version, kind) => {
    expect(defs[name]?.['x-kubernetes-group-version-kind']).toEqual([{ group, version, kind }]);
  });

  it('resolves every $ref and uses no JSON Schema type arrays', () => {
    for (const ref of refs(doc)) expect(defs[ref.replace('#/definitions/', '')], ref).toBeDefined();
    expect(JSON.stringify(doc)).not.toMatch(/"type":\[/);
  });

  it('lets explain walk pod.spec.containers.resources.limits', () => {
    const container = explain(defs, '#/definitions/', 'io.k8s.api.core.v1.Pod', ['spec', 'containers']);
    expect(Object.keys(container.properties as Json)).toEqual(expect.arrayContaining(['name', 'image', 'ports', 'resources']));
    expect(container.required).toEqual(['name']);
    const limits = explain(defs, '#/definitions/', 'io.k8s.api.core.v1.Pod', ['spec', 'containers', 'resources', 'limits']);
    expect(limits.additionalProperties).toEqual({ $ref: '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity' });
    expect(defs['io.k8s.apimachinery.pkg.api.resource.Quantity'].type).toBe('string');
    const port = explain(defs, '#/definitions/', 'io.k8s.api.core.v1.Pod', ['spec', 'containers', 'livenessProbe', 'httpGet']);
    expect((port.properties as Record<string, Json>).port).toEqual({ description: 'Number or IANA_SVC_NAME of the port.', type: 'string', format: 'int-or-string' });
  });

  const patchable: [string, string, string][] = [
    ['/api/v1/namespaces/{name}', '', 'Namespace'],
    ['/api/v1/namespaces/{namespace}/pods/{name}', '', 'Pod'],
    ['/api/v1/nodes/{name}', '', 'Node'],
    ['/api/v1/namespaces/{namespace}/events/{name}', '', 'Event'],
    ['/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}', 'coordination.k8s.io', 'Lease'],
  ];
  it.each(patchable)('PATCH %s advertises fieldValidation for its kind', (path, group, kind) => {
    const patch = paths[path]?.patch as Json;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group, version: 'v1', kind });
    expect((patch.parameters as Json[]).map((p) => p.name)).toContain('fieldValidation');
    expect(patch.consumes).toContain('application/strategic-merge-patch+json');
  });

  it('lists collections, all-namespace lists and subresources', () => {
    expect(paths['/api/v1/pods'].get['x-kubernetes-action']).toBe('list');
    expect(paths['/api/v1/namespaces/{namespace}/pods'].post.operationId).toBe('createCoreV1NamespacedPod');
    expect(paths['/api/v1/namespaces/{namespace}/pods/{name}/status'].put).toBeDefined();
    expect(paths['/api/v1/namespaces/{namespace}/pods/{name}/binding'].post['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'Binding' });
    expect(paths['/api/v1/namespaces']).toBeDefined();
    expect(paths['/api/v1/namespaces/{namespace}/namespaces']).toBeUndefined();
    expect(paths['/apis/coordination.k8s.io/v1/leases'].get.operationId).toBe('listCoordinationK8sIoV1LeaseForAllNamespaces');
  });
});

describe('OpenAPI v3', () => {
  it('serves one document per group version', () => {
    expect(openAPIV3GroupVersions()).toEqual(['api/v1', 'apis/apps/v1', 'apis/batch/v1', 'apis/coordination.k8s.io/v1', 'apis/policy/v1', 'apis/discovery.k8s.io/v1']);
    expect(buildOpenAPIV3('apis/extensions/v1beta1')).toBeUndefined();
  });

  it('keeps each group version to its own kinds and resolves its refs', () => {
    const core = buildOpenAPIV3('api/v1') as Json;
    const schemas = (core.components as Json).schemas as Record<string, Json>;
    expect(core.openapi).toBe('3.0.0');
    expect(schemas['io.k8s.api.core.v1.Pod']).toBeDefined();
    expect(schemas['io.k8s.api.coordination.v1.Lease']).toBeUndefined();
    for (const ref of refs(core)) expect(schemas[ref.replace('#/components/schemas/', '')], ref).toBeDefined();
    expect(schemas['io.k8s.apimachinery.pkg.api.resource.Quantity'].oneOf).toEqual([{ type: 'string' }, { type: 'number' }]);
    const patch = ((core.paths as Record<string, Json>)['/api/v1/namespaces/{name}'].patch as Json);
    expect((patch.parameters as Json[]).find((p) => p.name === 'fieldValidation')).toMatchObject({ in: 'query', schema: { type: 'string' } });
  });

  it('marks nullable fields', () => {
    const coord = buildOpenAPIV3('apis/coordination.k8s.io/v1') as Json;
    const spec = ((coord.components as Json).schemas as Record<string, Json>)['io.k8s.api.coordination.v1.LeaseSpec'];
    expect((spec.properties as Record<string, Json>).holderIdentity).toMatchObject({ type: 'string', nullable: true });
  });

  it('indexes the documents with a stable content hash', () => {
    const a = buildOpenAPIV3Index();
    const b = buildOpenAPIV3Index();
    expect(Object.keys(a.paths)).toEqual(['api/v1', 'apis/apps/v1', 'apis/batch/v1', 'apis/coordination.k8s.io/v1', 'apis/policy/v1', 'apis/discovery.k8s.io/v1']);
    expect(a.paths['api/v1'].serverRelativeURL).toMatch(/^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
    expect(a).toEqual(b);
    expect(buildOpenAPIV3Index({ version: 'other' }).paths['api/v1']).not.toEqual(a.paths['api/v1']);
  });
});
