// OpenAPI documents for /openapi/v2 (swagger 2.0) and /openapi/v3 (one document per group
// version, plus the index), built from the same schemas validation uses (each kind's, api/kinds/). kubectl reads them
// for `explain` and to learn (from a PATCH operation's `fieldValidation` parameter and its
// x-kubernetes-group-version-kind) that the server validates fields itself, so its own
// client-side check steps aside. Named sub-schemas become definitions referenced by $ref.
import { createHash } from 'node:crypto';
import { RESOURCES, apiVersionOf } from './resources.js';
import type { ResourceInfo } from './resources.js';
import { kindDefinition, schemaFor } from './kinds/index.js';
import type { GroupVersionKind, JsonSchema } from './schemas/index.js';
import { objectMetaSchema } from './schemas/meta.js';

type Dialect = 'v2' | 'v3';
type Json = Record<string, unknown>;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

const refTo = (dialect: Dialect, name: string): Json => ({ $ref: dialect === 'v2' ? `#/definitions/${name}` : `#/components/schemas/${name}` });

/** Converts a JsonSchema to the dialect, hoisting named sub-schemas into `defs`. */
function convert(s: JsonSchema, dialect: Dialect, defs: Map<string, Json>, top = false): Json {
  const name = s['x-skiff-definition'];
  if (name && !top) {
    if (!defs.has(name)) {
      defs.set(name, {}); // placeholder first: breaks cycles and keeps first-seen order
      defs.set(name, convert(s, dialect, defs, true));
    }
    return refTo(dialect, name);
  }
  const out: Json = {};
  if (s.description) out.description = s.description;
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  const nonNull = types.filter((t) => t !== 'null');
  if (name === QUANTITY) {
    // What kube-openapi publishes for Quantity: a string (v2), a string or a number (v3).
    if (dialect === 'v2') out.type = 'string';
    else out.oneOf = [{ type: 'string' }, { type: 'number' }];
  } else if (s['x-kubernetes-int-or-string']) {
    if (dialect === 'v2') {
      out.type = 'string';
      out.format = 'int-or-string';
    } else {
      // As kube-openapi publishes it: a reference to intstr.IntOrString, which explain names.
      if (!defs.has(INT_OR_STRING)) {
        defs.set(INT_OR_STRING, {
          description: 'IntOrString is a type that can hold an int32 or a string. When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.',
          type: 'string',
          format: 'int-or-string',
          'x-kubernetes-int-or-string': true,
        });
      }
      out.allOf = [refTo(dialect, INT_OR_STRING)];
    }
  } else if (nonNull.length === 1) {
    out.type = nonNull[0];
    if (nonNull[0] === 'integer') out.format = 'int64';
    if (dialect === 'v3' && types.includes('null')) out.nullable = true;
  } else if (nonNull.length > 1) {
    if (dialect === 'v3') out.anyOf = nonNull.map((t) => ({ type: t }));
  }
  if (s.format) out.format = s.format;
  if (s.enum) out.enum = s.enum;
  if (s.required?.length) out.required = s.required;
  if (s.properties) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, convert(v, dialect, defs)]));
  }
  if (s.additionalProperties) out.additionalProperties = convert(s.additionalProperties, dialect, defs);
  if (s.items) out.items = convert(s.items, dialect, defs);
  if (s['x-kubernetes-group-version-kind']) out['x-kubernetes-group-version-kind'] = s['x-kubernetes-group-version-kind'];
  if (s['x-kubernetes-patch-strategy']) out['x-kubernetes-patch-strategy'] = s['x-kubernetes-patch-strategy'];
  if (s['x-kubernetes-patch-merge-key']) out['x-kubernetes-patch-merge-key'] = s['x-kubernetes-patch-merge-key'];
  return out;
}

function listDefinition(r: ResourceInfo, dialect: Dialect, itemName: string): Json {
  return {
    description: `${r.listKind} is a list of ${r.kind} objects.`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: refTo(dialect, `${META}.ListMeta`),
      items: { type: 'array', items: refTo(dialect, itemName) },
    },
    'x-kubernetes-group-version-kind': [{ group: r.group, version: r.version, kind: r.listKind }],
  };
}

/** The meta/v1 shapes every path answers with. */
function metaDefinitions(dialect: Dialect): Record<string, Json> {
  const str = { type: 'string' };
  return {
    [`${META}.ListMeta`]: { type: 'object', properties: { resourceVersion: str, continue: str, remainingItemCount: { type: 'integer', format: 'int64' } } },
    [`${META}.Status`]: {
      type: 'object',
      properties: { apiVersion: str, kind: str, status: str, message: str, reason: str, code: { type: 'integer', format: 'int32' }, details: { type: 'object' }, metadata: refTo(dialect, `${META}.ListMeta`) },
      'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'Status' }],
    },
    [`${META}.DeleteOptions`]: {
      type: 'object',
      properties: { apiVersion: str, kind: str, gracePeriodSeconds: { type: 'integer', format: 'int64' }, propagationPolicy: str, dryRun: { type: 'array', items: str }, preconditions: { type: 'object', properties: { uid: str, resourceVersion: str } } },
    },
    [`${META}.WatchEvent`]: { type: 'object', required: ['type', 'object'], properties: { type: str, object: { type: 'object' } } },
    [`${META}.Patch`]: { type: 'object', description: 'A JSON patch, merge patch, strategic merge patch or apply configuration.' },
  };
}

function definitionName(schema: JsonSchema): string {
  return schema['x-skiff-definition'] as string;
}

/** io.k8s.api.core.v1.Pod -> io.k8s.api.core.v1.PodList */
const listDefinitionName = (r: ResourceInfo, kindName: string): string => kindName.replace(/[^.]+$/, r.listKind);

interface Param {
  name: string;
  in: 'path' | 'query' | 'body';
  description: string;
  type?: string;
  required?: boolean;
}

const QUERY = {
  pretty: { name: 'pretty', in: 'query', description: "If 'true', then the output is pretty printed.", type: 'string' },
  dryRun: { name: 'dryRun', in: 'query', description: 'When present, modifications are not persisted (All).', type: 'string' },
  fieldManager: { name: 'fieldManager', in: 'query', description: 'A name associated with the actor making these changes.', type: 'string' },
  fieldValidation: {
    name: 'fieldValidation',
    in: 'query',
    description: 'How the server treats unknown fields: Ignore, Warn (the default) or Strict.',
    type: 'string',
  },
  labelSelector: { name: 'labelSelector', in: 'query', description: 'A selector to restrict the list of returned objects by their labels.', type: 'string' },
  fieldSelector: { name: 'fieldSelector', in: 'query', description: 'A selector to restrict the list of returned objects by their fields.', type: 'string' },
  limit: { name: 'limit', in: 'query', description: 'The maximum number of responses to return for a list call.', type: 'integer' },
  continue: { name: 'continue', in: 'query', description: 'The continue token of a previous paged list.', type: 'string' },
  resourceVersion: { name: 'resourceVersion', in: 'query', description: 'Where a list or watch starts.', type: 'string' },
  watch: { name: 'watch', in: 'query', description: 'Watch for changes to the described resources.', type: 'boolean' },
  allowWatchBookmarks: { name: 'allowWatchBookmarks', in: 'query', description: 'Requests watch events with type BOOKMARK.', type: 'boolean' },
  timeoutSeconds: { name: 'timeoutSeconds', in: 'query', description: 'Timeout for the list/watch call.', type: 'integer' },
  gracePeriodSeconds: { name: 'gracePeriodSeconds', in: 'query', description: 'Seconds before the object should be deleted.', type: 'integer' },
} satisfies Record<string, Param>;

/** The PATCH bodies the API server accepts, by Content-Type. */
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

const LIST_PARAMS = [QUERY.labelSelector, QUERY.fieldSelector, QUERY.limit, QUERY.continue, QUERY.resourceVersion, QUERY.watch, QUERY.allowWatchBookmarks, QUERY.timeoutSeconds];
const WRITE_PARAMS = [QUERY.dryRun, QUERY.fieldManager, QUERY.fieldValidation];

const pathParam = (name: string, description: string): Param => ({ name, in: 'path', description, type: 'string', required: true });

function operationId(verb: string, r: ResourceInfo, namespaced: boolean, suffix = ''): string {
  const group = r.group ? r.group.split('.').map((p) => p[0].toUpperCase() + p.slice(1)).join('') : 'Core';
  const version = r.version[0].toUpperCase() + r.version.slice(1);
  return `${verb}${group}${version}${namespaced ? 'Namespaced' : ''}${r.kind}${suffix}`;
}

/** The operations of one resource, as kube-apiserver's OpenAPI lists them. */
function resourcePaths(r: ResourceInfo, dialect: Dialect, kindName: string): Record<string, Json> {
  const gvk: GroupVersionKind = { group: r.group, version: r.version, kind: r.kind };
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const collection = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}` : `${base}/${r.plural}`;
  const item = `${collection}/{name}`;
  const nsParam = r.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : [];
  const nameParam = pathParam('name', `name of the ${r.kind}`);
  const listName = listDefinitionName(r, kindName);

  const response = (name: string): Json =>
    dialect === 'v2'
      ? { description: 'OK', schema: refTo(dialect, name) }
      : { description: 'OK', content: { 'application/json': { schema: refTo(dialect, name) } } };
  const op = (verb: string, action: string, id: string, responseName: string, params: Param[], body?: string): Json => {
    const o: Json = {
      description: `${verb} ${action === 'list' ? r.plural : `the specified ${r.kind}`}`,
      operationId: id,
      tags: [r.group ? `${r.group.split('.')[0]}_${r.version}` : `core_${r.version}`],
      responses: { '200': response(responseName), '401': { description: 'Unauthorized' } },
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
    };
    const query = params.map((p) => (dialect === 'v2' ? p : { name: p.name, in: p.in, description: p.description, schema: { type: p.type }, ...(p.required ? { required: true } : {}) }));
    if (body) {
      const types = action === 'patch' ? PATCH_TYPES : ['application/json', 'application/yaml'];
      if (dialect === 'v2') {
        query.push({ name: 'body', in: 'body', required: true, schema: refTo(dialect, body) } as unknown as Param);
        o.consumes = types;
      } else {
        o.requestBody = { required: true, content: Object.fromEntries(types.map((t) => [t, { schema: refTo(dialect, body) }])) };
      }
    }
    if (query.length) o.parameters = query;
    return o;
  };
  const pathLevel = (params: Param[]): Json[] =>
    params.map((p) => (dialect === 'v2' ? { ...p, uniqueItems: true } : { name: p.name, in: p.in, description: p.description, required: true, schema: { type: 'string', uniqueItems: true } }));
  const ns = r.namespaced;
  const has = (v: string): boolean => r.verbs.includes(v);

  const paths: Record<string, Json> = {};
  const coll: Json = { parameters: pathLevel(nsParam) };
  if (has('list')) coll.get = op('list', 'list', operationId('list', r, ns), listName, LIST_PARAMS);
  if (has('create')) coll.post = op('create', 'post', operationId('create', r, ns), kindName, [QUERY.pretty, ...WRITE_PARAMS], kindName);
  if (has('deletecollection')) coll.delete = op('delete collection of', 'deletecollection', operationId('deleteCollection', r, ns), `${META}.Status`, [QUERY.labelSelector, QUERY.fieldSelector, QUERY.gracePeriodSeconds]);
  paths[collection] = coll;

  const one: Json = { parameters: pathLevel([nameParam, ...nsParam]) };
  if (has('get')) one.get = op('read', 'get', operationId('read', r, ns), kindName, [QUERY.pretty]);
  if (has('update')) one.put = op('replace', 'put', operationId('replace', r, ns), kindName, [QUERY.pretty, ...WRITE_PARAMS], kindName);
  if (has('patch')) one.patch = op('partially update', 'patch', operationId('patch', r, ns), kindName, [QUERY.pretty, ...WRITE_PARAMS], `${META}.Patch`);
  if (has('delete')) one.delete = op('delete', 'delete', operationId('delete', r, ns), `${META}.Status`, [QUERY.gracePeriodSeconds, QUERY.dryRun], `${META}.DeleteOptions`);
  paths[item] = one;

  if (ns && has('list')) paths[`${base}/${r.plural}`] = { get: op('list', 'list', operationId('list', r, false, 'ForAllNamespaces'), listName, LIST_PARAMS) };
  if (r.subresources.includes('status')) {
    paths[`${item}/status`] = {
      parameters: pathLevel([nameParam, ...nsParam]),
      get: op('read status of', 'get', operationId('read', r, ns, 'Status'), kindName, [QUERY.pretty]),
      put: op('replace status of', 'put', operationId('replace', r, ns, 'Status'), kindName, [QUERY.pretty, ...WRITE_PARAMS], kindName),
      patch: op('partially update status of', 'patch', operationId('patch', r, ns, 'Status'), kindName, [QUERY.pretty, ...WRITE_PARAMS], `${META}.Patch`),
    };
  }
  if (r.subresources.includes('binding')) {
    const binding = definitionName(schemaFor('Binding') as JsonSchema);
    paths[`${item}/binding`] = {
      parameters: pathLevel([nameParam, ...nsParam]),
      post: { ...op('create binding of', 'post', operationId('create', r, ns, 'Binding'), binding, [QUERY.pretty, ...WRITE_PARAMS], binding), 'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind: 'Binding' } },
    };
  }
  return paths;
}

function build(dialect: Dialect, resources: readonly ResourceInfo[]): { paths: Record<string, Json>; schemas: Record<string, Json> } {
  const defs = new Map<string, Json>();
  convert(objectMetaSchema, dialect, defs);
  const paths: Record<string, Json> = {};
  for (const r of resources) {
    const kind = kindDefinition(r.kind);
    if (!kind) continue;
    const schema = kind.schema;
    convert(schema, dialect, defs);
    for (const body of Object.values(kind.subresourceSchemas ?? {})) convert(body, dialect, defs);
    const name = definitionName(schema);
    defs.set(listDefinitionName(r, name), listDefinition(r, dialect, name));
    Object.assign(paths, resourcePaths(r, dialect, name));
  }
  for (const [k, v] of Object.entries(metaDefinitions(dialect))) defs.set(k, v);
  const schemas = Object.fromEntries([...defs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  return { paths, schemas };
}

export interface OpenAPIOptions {
  /** the version string kube-apiserver reports in info.version, e.g. "v1.30.0" */
  version?: string;
}

/** The swagger 2.0 document served at /openapi/v2. */
export function buildOpenAPIV2(opts: OpenAPIOptions = {}): Json {
  const { paths, schemas } = build('v2', RESOURCES);
  return { swagger: '2.0', info: { title: 'Kubernetes', version: opts.version ?? 'unversioned' }, paths, definitions: schemas };
}

/** Group versions served, as /openapi/v3 names them: "api/v1", "apis/coordination.k8s.io/v1". */
export function openAPIV3GroupVersions(): string[] {
  return [...new Set(RESOURCES.map((r) => (r.group ? `apis/${apiVersionOf(r)}` : `api/${r.version}`)))];
}

/** The OpenAPI 3.0 document of one group version ("api/v1"), or undefined if none is served. */
export function buildOpenAPIV3(groupVersion: string, opts: OpenAPIOptions = {}): Json | undefined {
  const resources = RESOURCES.filter((r) => (r.group ? `apis/${apiVersionOf(r)}` : `api/${r.version}`) === groupVersion);
  if (!resources.length) return undefined;
  const { paths, schemas } = build('v3', resources);
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: opts.version ?? 'unversioned' }, paths, components: { schemas } };
}

/** The /openapi/v3 index: each group version's URL, with a content hash clients cache by. */
export function buildOpenAPIV3Index(opts: OpenAPIOptions = {}): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of openAPIV3GroupVersions()) {
    const hash = createHash('sha512').update(JSON.stringify(buildOpenAPIV3(gv, opts))).digest('hex').toUpperCase();
    paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
  }
  return { paths };
}
