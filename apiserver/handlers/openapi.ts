// A minimal OpenAPI v3 (/openapi/v3 and /openapi/v3/<group-version>): for each kind, its
// object path's PATCH operation tagged with x-kubernetes-group-version-kind and declaring
// the fieldValidation query parameter. That is what kubectl (1.27+) reads to decide the
// server validates fields itself, so `kubectl apply/create` validates server-side instead
// of refusing to work without schemas. No schemas are published.
import { createHash } from 'node:crypto';
import { RESOURCES, resourcePath, type ResourceInfo } from '../../api/resources.js';

function gvPath(r: ResourceInfo): string {
  return r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
}

function document(gv: string): unknown | undefined {
  const rs = RESOURCES.filter((r) => gvPath(r) === gv);
  if (rs.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const r of rs) {
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    const params = [
      { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
    ];
    const op = (verb: string) => ({ operationId: `${verb}${r.kind}`, 'x-kubernetes-action': verb, 'x-kubernetes-group-version-kind': gvk, parameters: params, responses: {} });
    const objectPath = resourcePath(r, { namespace: r.namespaced ? '{namespace}' : undefined, name: '{name}' }).replace(/%7B/g, '{').replace(/%7D/g, '}');
    const collection = resourcePath(r, { namespace: r.namespaced ? '{namespace}' : undefined }).replace(/%7B/g, '{').replace(/%7D/g, '}');
    paths[collection] = { post: op('post') };
    paths[objectPath] = { put: op('put'), patch: op('patch') };
  }
  return { openapi: '3.0.0', info: { title: 'skiff', version: 'v1.30.0' }, paths, components: { schemas: {} } };
}

const docs = new Map<string, { json: string; hash: string }>();
for (const gv of new Set(RESOURCES.map(gvPath))) {
  const json = JSON.stringify(document(gv));
  docs.set(gv, { json, hash: createHash('sha256').update(json).digest('hex').slice(0, 32).toUpperCase() });
}

export function openApiIndex(): unknown {
  return { paths: Object.fromEntries([...docs].map(([gv, d]) => [gv, { serverRelativeURL: `/openapi/v3/${gv}?hash=${d.hash}` }])) };
}

/** The document of one group-version ("api/v1", "apis/coordination.k8s.io/v1") as JSON. */
export function openApiDocument(gv: string): string | undefined {
  return docs.get(gv)?.json;
}
