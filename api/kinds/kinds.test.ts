import { describe, expect, it } from 'vitest';
import { buildOpenAPIV2 } from '../openapi.js';
import { findResource, RESOURCES, resourceForKind, apiVersionOf } from '../resources.js';
import { supportedFields } from '../selectors/fields.js';
import { validateObject } from '../validation/index.js';
import { KINDS, kindDefinition, schemaFor } from './index.js';

// Each kind's facts live in its declaration alone; these read them back through the
// registries that derive from it, for every kind declared (no list of kinds here).
describe('kind declarations', () => {
  it.each(KINDS.map((k) => [k.resource.kind, k] as const))('%s: the registries derive from its declaration', (kind, k) => {
    const r = k.resource;
    expect(RESOURCES).toContain(r);
    expect(findResource(r.plural, r.group)).toBe(r);
    for (const short of r.shortNames) expect(findResource(short, r.group)).toBe(r);
    expect(resourceForKind(apiVersionOf(r), kind)).toBe(r);
    expect(kindDefinition(kind)).toBe(k);
    expect(schemaFor(kind)).toBe(k.schema);
    expect(k.schema['x-kubernetes-group-version-kind']).toEqual([{ group: r.group, version: r.version, kind }]);
    expect(buildOpenAPIV2().definitions).toHaveProperty([k.schema['x-skiff-definition'] as string]);
    expect(supportedFields(kind)).toEqual(expect.arrayContaining(r.namespaced ? ['metadata.name', 'metadata.namespace'] : ['metadata.name']));
    expect(k.columns.length).toBeGreaterThan(0);
    // The name rule is the declaration's: "a.b" is a subdomain, not a label.
    const causes = validateObject({ apiVersion: apiVersionOf(r), kind, metadata: { name: 'a.b', namespace: r.namespaced ? 'default' : undefined } }, { operation: 'create' });
    expect(causes.some((c) => c.field === 'metadata.name'), JSON.stringify(causes)).toBe(k.nameRule !== 'subdomain');
  });

  it('kinds and plurals are unique', () => {
    expect(new Set(KINDS.map((k) => k.resource.kind)).size).toBe(KINDS.length);
    expect(new Set(KINDS.map((k) => `${k.resource.group}/${k.resource.plural}`)).size).toBe(KINDS.length);
  });
});
