// Properties about requests rather than objects: broken patches of all four kinds, odd list
// parameters, forged continue tokens, malformed paths, unknown methods and odd content types.
import http from 'node:http';
import fc from 'fast-check';
import type { ResourceInfo } from '../../api/resources.js';
import { badInteger, fieldSelectorFor, ODD_CONTENT_TYPES, ODD_INTS, ODD_NUMBERS, ODD_SEGMENTS, ODD_WORDS, objectContentType, oddString } from './hostile.js';
import { checkReply, exchange, exchangeUnchangedOnError, FuzzFailure, type Expectation } from './invariants.js';
import type { FuzzRequest } from './runner.js';
import { adminReq, collectionPath, freshObject, objectPath, scenario, type FuzzEnv, type RunnableScenario } from './scenario.js';
import { baseObject, KINDS, Raw, toJsonText } from './schema-gen.js';
import { PATCH_TYPES } from './write-ops.js';

const kindName = fc.constantFrom(...KINDS.map((k) => k.kind));
const kindOf = (name: string): ResourceInfo => KINDS.find((k) => k.kind === name) ?? KINDS[0];
const nameOf = (o: Record<string, unknown>) => (o.metadata as { name: string }).name;
const VALID_DIRECTIVES = ['replace', 'merge', 'delete'];

/** Every `$patch` value in a strategic merge patch that is not one Kubernetes knows. */
function badDirectives(v: unknown): unknown[] {
  if (typeof v !== 'object' || v === null) return [];
  if (Array.isArray(v)) return v.flatMap(badDirectives);
  return Object.entries(v).flatMap(([k, x]) => (k === '$patch' && !VALID_DIRECTIVES.includes(x as string) ? [x] : badDirectives(x)));
}

const directive = fc.constantFrom<unknown>('delete', 'replace', 'merge', 'garbage', '', 7, null, 'Delete', ['delete']);
const POINTERS = ['/spec/containers/0/image', '/metadata/labels/a', '/spec/containers/99', '/spec/containers/-', '/~2', '', '/', '/metadata/labels/a~1b', '/spec/containers/01', '/spec/containers/-1', '/metadata/name', '/kind', '/metadata/resourceVersion'];
const jsonPatchOp = fc.record(
  { op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus', ''), path: fc.constantFrom<unknown>(...POINTERS, 7), value: fc.jsonValue({ maxDepth: 2 }), from: fc.constantFrom(...POINTERS) },
  { requiredKeys: ['op'] },
);

type PatchCase = { kind: string; type: 'merge-patch' | 'json-patch' | 'strategic' | 'apply'; body: unknown; fieldManager: boolean };

const patches = scenario<PatchCase>({
  name: 'patch: broken merge, JSON, strategic ($patch) and apply patches are refused or applied, never a server error',
  arbitrary: fc.oneof(
    fc.record({ kind: kindName, type: fc.constant('merge-patch' as const), body: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ metadata: fc.record({ labels: fc.dictionary(oddString, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }) }) })), fieldManager: fc.constant(true) }),
    fc.record({ kind: kindName, type: fc.constant('json-patch' as const), body: fc.oneof(fc.array(jsonPatchOp, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })), fieldManager: fc.constant(true) }),
    fc.record({
      kind: kindName,
      type: fc.constant('strategic' as const),
      body: fc.oneof(
        directive.map((d) => ({ spec: { containers: [{ name: 'fuzz', $patch: d }] } })),
        directive.map((d) => ({ metadata: { labels: { $patch: d, a: 'b' } } })),
        directive.map((d) => ({ $patch: d })),
        fc.jsonValue({ maxDepth: 2 }).map((v) => ({ spec: { $retainKeys: v, '$setElementOrder/containers': v } })),
        fc.jsonValue({ maxDepth: 2 }).map((v) => ({ metadata: { '$deleteFromPrimitiveList/finalizers': v } })),
      ),
      fieldManager: fc.constant(true),
    }),
    fc.record({ kind: kindName, type: fc.constant('apply' as const), body: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n', '---\n---\n', '\tkind: Pod', 'kind: [')), fieldManager: fc.boolean() }),
  ),
  examples: [{ kind: 'Pod', type: 'strategic', body: { spec: { containers: [{ name: 'fuzz', $patch: 'garbage' }] } }, fieldManager: true }],
  async run(env, c) {
    const r = kindOf(c.kind);
    const obj = await freshObject(env, r);
    const query = c.type === 'apply' && c.fieldManager ? '?fieldManager=fuzz' : '';
    const req = adminReq(env, 'PATCH', `${objectPath(env, r, nameOf(obj))}${query}`, typeof c.body === 'string' ? c.body : toJsonText(c.body), PATCH_TYPES[c.type]);
    let exp: Expectation = { kind: 'any' };
    const bad = c.type === 'strategic' ? badDirectives(c.body) : [];
    if (bad.length) exp = { kind: 'reject', codes: [400, 422], why: `$patch: ${JSON.stringify(bad[0])} is no patch directive` };
    if (c.type === 'apply' && !c.fieldManager) exp = { kind: 'reject', codes: [400, 422], why: 'apply needs fieldManager' };
    await exchangeUnchangedOnError(env.client, env.admin, req, exp);
  },
});

interface ListCase {
  kind: string;
  params: Partial<Record<'limit' | 'continue' | 'labelSelector' | 'fieldSelector' | 'resourceVersion' | 'resourceVersionMatch' | 'timeoutSeconds' | 'watch' | 'allowWatchBookmarks', string>>;
}

const listParams = scenario<ListCase>({
  name: 'list and watch: odd limit, selectors, resourceVersion(Match), timeoutSeconds are refused or served, never a server error',
  arbitrary: fc.record({
    kind: kindName,
    params: fc.record(
      {
        limit: fc.constantFrom(...ODD_INTS),
        continue: fc.oneof(oddString, fc.constantFrom('eyJydiI6MX0', '%ZZ')),
        labelSelector: fc.oneof(oddString, fc.constantFrom('a in (b', 'a,,b', 'a!=', '!a,b', 'a=b\\,c', 'x notin (a,b),y', `${'a,'.repeat(5000)}a`)),
        fieldSelector: fc.oneof(oddString, fieldSelectorFor('node-a')),
        resourceVersion: fc.constantFrom(...ODD_INTS, '999999999'),
        resourceVersionMatch: fc.constantFrom(...ODD_WORDS),
        timeoutSeconds: fc.constantFrom(...ODD_INTS),
        watch: fc.constantFrom('true', '1', 'false', 'garbage'),
        allowWatchBookmarks: fc.constantFrom('true', 'garbage'),
      },
      { requiredKeys: [] },
    ),
  }),
  examples: [{ kind: 'Pod', params: { resourceVersionMatch: 'garbage', resourceVersion: '0' } }, { kind: 'Pod', params: { resourceVersionMatch: 'garbage' } }],
  async run(env, c) {
    const r = kindOf(c.kind);
    const q = Object.entries(c.params).map(([k, v]) => `${k}=${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '?'))}`).join('&');
    const req = adminReq(env, 'GET', `${collectionPath(env, r)}${q ? `?${q}` : ''}`);
    const watching = c.params.watch === 'true' || c.params.watch === '1';
    const reply = await env.client.send(req, { maxBodyMs: watching ? 300 : undefined });
    checkReply(req, reply);
    const m = c.params.resourceVersionMatch;
    if (m && !['NotOlderThan', 'Exact'].includes(m) && reply.status < 400) throw new FuzzFailure(`resourceVersionMatch=${JSON.stringify(m)} is no value Kubernetes knows, yet answered ${reply.status}`, req, reply);
    const limit = c.params.limit;
    if (limit && badInteger(limit.trim() === limit ? limit : `"${limit}"`) && !watching && reply.status < 400) throw new FuzzFailure(`limit=${JSON.stringify(limit)} is no int64, yet answered ${reply.status}`, req, reply);
  },
});

type TokenCase = { rv: 'current' | 'future' | 'zero' | 'negative' | 'huge' | 'float' | 'string' | 'missing'; start: 'valid' | 'other-prefix' | 'garbage' | 'number'; enc: 'base64url' | 'base64' | 'plain' | 'truncated' };

const continueTokens = scenario<TokenCase>({
  name: 'list: forged continue tokens (future revisions, other prefixes, bad encodings) are refused',
  arbitrary: fc.record({
    rv: fc.constantFrom('current', 'future', 'zero', 'negative', 'huge', 'float', 'string', 'missing'),
    start: fc.constantFrom('valid', 'other-prefix', 'garbage', 'number'),
    enc: fc.constantFrom('base64url', 'base64', 'plain', 'truncated'),
  }),
  examples: [{ rv: 'future', start: 'valid', enc: 'base64url' }],
  async run(env, c) {
    const r = kindOf('Pod');
    for (let i = 0; i < 2; i++) await freshObject(env, r);
    const first = await exchange(env.client, adminReq(env, 'GET', `${collectionPath(env, r)}?limit=1`), { kind: 'code', code: 200, why: 'a first page' });
    const real = (first.json as { metadata: { continue?: string; resourceVersion: string } }).metadata;
    if (!real.continue) throw new FuzzFailure('a list of two with limit=1 has no continue token', adminReq(env, 'GET', `${collectionPath(env, r)}?limit=1`), first);
    const decoded = JSON.parse(Buffer.from(real.continue, 'base64url').toString('utf8')) as Record<string, unknown>;
    const current = Number(real.resourceVersion);
    const rv = { current, future: current + 1_000_000, zero: 0, negative: -5, huge: 1e300, float: current + 0.5, string: String(current), missing: undefined }[c.rv];
    const start = { valid: decoded.start, 'other-prefix': '/registry/nodes/', garbage: '\u0000', number: 7 }[c.start];
    const json = JSON.stringify({ ...decoded, rv, start });
    const token = { base64url: Buffer.from(json).toString('base64url'), base64: Buffer.from(json).toString('base64'), plain: json, truncated: Buffer.from(json).toString('base64url').slice(0, 10) }[c.enc];
    const wellFormed = c.start === 'valid' && c.enc !== 'plain' && c.enc !== 'truncated';
    const exp: Expectation = wellFormed && ['current', 'zero', 'float', 'string'].includes(c.rv) ? { kind: 'any' } : { kind: 'reject', codes: [400, 410], why: 'a forged continue token' };
    await exchange(env.client, adminReq(env, 'GET', `${collectionPath(env, r)}?limit=1&continue=${encodeURIComponent(token)}`), exp);
  },
});

type PathCase = { kind: string; at: 'name' | 'namespace' | 'resource' | 'after-status' | 'after-name' | 'version'; odd: string; method: 'GET' | 'PUT' | 'DELETE' | 'PATCH' };
const MALFORMED_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

const paths = scenario<PathCase>({
  name: 'paths: malformed percent-escapes and extra segments (after /status too) are refused, never a server error',
  arbitrary: fc.record({
    kind: kindName,
    at: fc.constantFrom('name', 'namespace', 'resource', 'after-status', 'after-name', 'version'),
    odd: fc.constantFrom(...ODD_SEGMENTS, 'extra'),
    method: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH'),
  }),
  examples: [{ kind: 'Pod', at: 'name', odd: '%ZZ', method: 'GET' }, { kind: 'Pod', at: 'after-status', odd: 'extra', method: 'GET' }, { kind: 'Pod', at: 'name', odd: '%', method: 'GET' }],
  async run(env, c) {
    const r = kindOf(c.kind);
    const obj = await freshObject(env, r);
    const real = objectPath(env, r, nameOf(obj));
    const path = {
      name: objectPath(env, r, 'x').replace(/\/x$/, `/${c.odd}`),
      namespace: r.namespaced ? real.replace(`/namespaces/${env.ns}/`, `/namespaces/${c.odd}/`) : real.replace(/\/[^/]+$/, `/${c.odd}`),
      resource: real.replace(`/${r.plural}/`, `/${c.odd}/`),
      'after-status': `${real}/status/${c.odd}`,
      'after-name': `${real}/${c.odd}/more`,
      version: real.replace(`/${r.version}/`, `/${c.odd}/`),
    }[c.at];
    const body = c.method === 'PUT' || c.method === 'PATCH' ? (c.method === 'PUT' ? obj : { metadata: { labels: { a: 'b' } } }) : undefined;
    const req = adminReq(env, c.method, path, body, c.method === 'PATCH' ? PATCH_TYPES['merge-patch'] : 'application/json');
    let exp: Expectation = { kind: 'any' };
    if (MALFORMED_ESCAPE.test(c.odd)) exp = { kind: 'reject', codes: [400, 404], why: `${JSON.stringify(c.odd)} is a malformed percent-escape` };
    // (a well-formed escape of bytes that are no UTF-8, "%C0%AF", may be a 400 as well)
    else if (c.at === 'after-status' && c.odd !== '') exp = { kind: 'reject', codes: c.odd.includes('%') ? [400, 404] : [404], why: 'nothing is served below /status' };
    await exchangeUnchangedOnError(env.client, env.admin, req, exp);
  },
});

type SubresourceCase = { kind: string; sub: string; method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE' };

const subresources = scenario<SubresourceCase>({
  name: 'subresources a kind does not have (by the registry) are 404',
  // Below /namespaces/{name}/ another segment names a collection, not a subresource.
  arbitrary: fc.record({
    kind: fc.constantFrom(...KINDS.filter((k) => k.plural !== 'namespaces').map((k) => k.kind)),
    sub: fc.constantFrom('status', 'binding', 'log', 'exec', 'attach', 'portforward', 'proxy', 'eviction', 'ephemeralcontainers', 'scale', 'frobnicate'),
    method: fc.constantFrom('GET' as const, 'PUT' as const, 'PATCH' as const, 'POST' as const, 'DELETE' as const),
  }),
  examples: [{ kind: 'Lease', sub: 'status', method: 'GET' }],
  async run(env, c) {
    const r = kindOf(c.kind);
    const obj = await freshObject(env, r);
    const body = c.method === 'GET' || c.method === 'DELETE' ? undefined : c.method === 'PATCH' ? { metadata: { labels: { a: 'b' } } } : obj;
    const req = adminReq(env, c.method, objectPath(env, r, nameOf(obj), c.sub), body, c.method === 'PATCH' ? PATCH_TYPES['merge-patch'] : 'application/json');
    const exp: Expectation = r.subresources.includes(c.sub) ? { kind: 'any' } : { kind: 'reject', codes: c.method === 'GET' ? [404] : [404, 405], why: `${r.plural} has no ${c.sub} subresource` };
    await exchangeUnchangedOnError(env.client, env.admin, req, exp);
  },
});

type MethodCase = { kind: string; method: string; target: 'collection' | 'object' | 'status' | 'all-namespaces' };
const UNKNOWN_METHODS = ['FROB', 'PROPFIND', 'LOCK', 'M-SEARCH', 'PURGE'];

const methods = scenario<MethodCase>({
  name: 'methods: unknown methods, PUT and PATCH on collections, POST on objects are 405',
  arbitrary: fc.record({
    kind: kindName,
    method: fc.constantFrom(...UNKNOWN_METHODS, 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE', 'GET', 'HEAD'),
    target: fc.constantFrom('collection', 'object', 'status', 'all-namespaces'),
  }),
  examples: [{ kind: 'Pod', method: 'PUT', target: 'collection' }],
  async run(env, c) {
    const r = kindOf(c.kind);
    const obj = await freshObject(env, r);
    const path = { collection: collectionPath(env, r), object: objectPath(env, r, nameOf(obj)), status: objectPath(env, r, nameOf(obj), 'status'), 'all-namespaces': collectionPath(env, r).replace(`/namespaces/${env.ns}`, '') }[c.target];
    const withBody = ['PUT', 'PATCH', 'POST'].includes(c.method) || UNKNOWN_METHODS.includes(c.method);
    const req: FuzzRequest = adminReq(env, c.method, path, withBody ? (c.method === 'PATCH' ? { metadata: { labels: { a: 'b' } } } : baseObject(r, env.fresh('m'), env.ns)) : undefined, c.method === 'PATCH' ? PATCH_TYPES['merge-patch'] : 'application/json');
    const collection = c.target === 'collection' || c.target === 'all-namespaces';
    let exp: Expectation = { kind: 'any' };
    // A method node's HTTP parser does not know never reaches routing; any other learns first
    // whether the path exists (404), then whether it takes the method (405).
    if (UNKNOWN_METHODS.includes(c.method) && !http.METHODS.includes(c.method)) exp = { kind: 'code', code: 405, why: `${c.method} is no HTTP method` };
    else if (c.target === 'status' && !r.subresources.includes('status')) exp = { kind: 'code', code: 404, why: `${r.plural} has no status subresource` };
    else if (UNKNOWN_METHODS.includes(c.method)) exp = { kind: 'code', code: 405, why: `${c.method} is no HTTP method the API serves` };
    else if (collection && (c.method === 'PUT' || c.method === 'PATCH')) exp = { kind: 'code', code: 405, why: `${c.method} on a collection` };
    else if (!collection && c.method === 'POST') exp = { kind: 'code', code: 405, why: 'POST on an object' };
    if (c.method === 'HEAD') {
      // No body comes back for HEAD: only the status can be checked.
      const reply = await env.client.send(req);
      if (reply.status >= 500) throw new FuzzFailure(`server error ${reply.status}`, req, reply);
      return;
    }
    await exchangeUnchangedOnError(env.client, env.admin, req, exp);
  },
});

type ContentTypeCase = { kind: string; method: 'POST' | 'PUT' | 'PATCH'; contentType: string };

const contentTypes = scenario<ContentTypeCase>({
  name: 'content types: broken ones and patch types where an object belongs are 415',
  arbitrary: fc.record({ kind: kindName, method: fc.constantFrom('POST' as const, 'PUT' as const, 'PATCH' as const), contentType: fc.constantFrom(...ODD_CONTENT_TYPES, '') }),
  examples: [{ kind: 'Pod', method: 'POST', contentType: ';;;' }, { kind: 'Pod', method: 'POST', contentType: 'application/json-patch+json' }],
  async run(env: FuzzEnv, c) {
    const r = kindOf(c.kind);
    const existing = c.method === 'POST' ? undefined : await freshObject(env, r);
    const path = existing ? objectPath(env, r, nameOf(existing)) : collectionPath(env, r);
    const body = existing ? (c.method === 'PUT' ? existing : { metadata: { labels: { a: 'b' } } }) : baseObject(r, env.fresh('ct'), env.ns);
    const req = adminReq(env, c.method, path, body);
    if (c.contentType === '') delete req.headers;
    else req.headers = { 'content-type': c.contentType };
    let exp: Expectation = { kind: 'any' };
    if (c.method === 'PATCH') {
      if (!Object.values(PATCH_TYPES).includes(c.contentType.split(';')[0].trim().toLowerCase()) || c.contentType.includes(';;')) exp = { kind: 'code', code: 415, why: 'not a patch type' };
    } else if (objectContentType(c.contentType) === false && c.contentType !== '') {
      exp = { kind: 'code', code: 415, why: 'not a media type an object is decoded from' };
    }
    await exchangeUnchangedOnError(env.client, env.admin, req, exp);
  },
});

type ScaleCase = { kind: string; method: 'PUT' | 'PATCH'; replicas: unknown };
const SCALED_KINDS = KINDS.filter((k) => k.subresources.includes('scale')).map((k) => k.kind);

const scale = scenario<ScaleCase>({
  name: '/scale: a Scale body sets spec.replicas or is refused (422 for a negative count), never a server error',
  arbitrary: fc.record({
    kind: fc.constantFrom(...SCALED_KINDS),
    method: fc.constantFrom('PUT' as const, 'PATCH' as const),
    replicas: fc.oneof(fc.integer({ min: -3, max: 50 }), fc.constantFrom<unknown>(...ODD_NUMBERS, 'five', null, [3], { n: 1 })),
  }),
  examples: [{ kind: 'Deployment', method: 'PATCH', replicas: -1 }, { kind: 'ReplicaSet', method: 'PUT', replicas: new Raw('2147483648') }],
  async run(env, c) {
    const r = kindOf(c.kind);
    const obj = await freshObject(env, r);
    const path = objectPath(env, r, nameOf(obj), 'scale');
    const spec = { replicas: c.replicas };
    const req = c.method === 'PUT'
      ? adminReq(env, 'PUT', path, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: nameOf(obj) }, spec })
      : adminReq(env, 'PATCH', path, { spec }, PATCH_TYPES['merge-patch']);
    let exp: Expectation = { kind: 'any' };
    if (typeof c.replicas === 'number' && c.replicas < 0) exp = { kind: 'code', code: 422, why: 'a negative replica count' };
    else if (c.replicas instanceof Raw && badInteger(c.replicas.text)) exp = { kind: 'reject', why: 'replicas is no integer' };
    else if (typeof c.replicas === 'string' || Array.isArray(c.replicas) || (typeof c.replicas === 'object' && c.replicas !== null && !(c.replicas instanceof Raw))) exp = { kind: 'reject', why: 'replicas is no integer' };
    const reply = await exchangeUnchangedOnError(env.client, env.admin, req, exp);
    if (reply.status !== 200) return;
    // What the Scale answers is what the object now holds.
    const answered = (reply.json as { spec?: { replicas?: number } }).spec?.replicas;
    const stored = await env.client.send(adminReq(env, 'GET', objectPath(env, r, nameOf(obj))));
    const held = (stored.json as { spec?: { replicas?: number } }).spec?.replicas;
    if (held !== answered) throw new FuzzFailure(`the Scale answered replicas ${String(answered)} but the ${r.kind} holds ${String(held)}`, req, reply);
  },
});

export const REQUEST_SCENARIOS: RunnableScenario[] = [patches, listParams, continueTokens, paths, subresources, methods, contentTypes, scale];
