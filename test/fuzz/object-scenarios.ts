// Properties about object bodies, for every kind in the registry: a wrong type at any schema
// path is refused (and changes nothing), odd numbers, quantities and strings never break the
// server, names outside DNS-1123 are refused, deep nesting is refused, and duplicate keys are
// refused under fieldValidation=Strict; ConfigMap and Secret data keys and values are checked
// with their field paths, and no refusal echoes a Secret's value.
import fc from 'fast-check';
import type { ResourceInfo } from '../../api/resources.js';
import { badInteger, badName, badQuantity, deepJson, deepYaml, ODD_NUMBERS, ODD_QUANTITIES, oddString, segment } from './hostile.js';
import { exchange, exchangeUnchangedOnError, FuzzFailure, statusOf, type Expectation } from './invariants.js';
import type { FuzzReply, FuzzRequest } from './runner.js';
import { adminReq, collectionPath, followUp, freshObject, objectPath, scenario, type RunnableScenario } from './scenario.js';
import { baseObject, KINDS, pathText, Raw, schemaOf, setAt, toJsonText, typedPaths, valueFor, wrongValue, type SchemaPath } from './schema-gen.js';
import { WRITE_OPS, writeRequest, type WriteOp } from './write-ops.js';

const kind = fc.constantFrom(...KINDS);
const showKind = (r: ResourceInfo) => r.kind;

interface PathCase {
  kind: string;
  path: string;
  value: unknown;
}

function findKind(name: string): ResourceInfo {
  const r = KINDS.find((k) => k.kind === name);
  if (!r) throw new Error(`no kind ${name}`);
  return r;
}

function findPath(r: ResourceInfo, text: string): SchemaPath {
  const p = typedPaths(r).find((x) => pathText(x.segments) === text);
  if (!p) throw new Error(`no path ${text} in ${r.kind}`);
  return p;
}

/** (kind, path, value) with the value drawn for the path: shrinks to a small, readable case. */
function pathCase(filter: (p: SchemaPath) => boolean, value: (p: SchemaPath) => fc.Arbitrary<unknown>): fc.Arbitrary<PathCase> {
  return kind
    .filter((r) => typedPaths(r).some(filter))
    .chain((r) => fc.constantFrom(...typedPaths(r).filter(filter)).chain((p) => value(p).map((v) => ({ kind: r.kind, path: pathText(p.segments), value: v }))));
}

const isQuantity = (p: SchemaPath) => p.schema['x-skiff-definition'] === 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const isInteger = (p: SchemaPath) => p.types.includes('integer') && !p.types.includes('string');
const isString = (p: SchemaPath) => p.types.length === 1 && p.types[0] === 'string' && !p.schema.enum && !p.schema.format;

async function sendWrite(env: Parameters<RunnableScenario['check']>[0], c: PathCase, op: WriteOp, exp: Expectation): Promise<{ req: FuzzRequest; reply: FuzzReply }> {
  const r = findKind(c.kind);
  const req = await writeRequest(env, r, op, findPath(r, c.path).segments, c.value);
  const reply = await exchangeUnchangedOnError(env.client, env.admin, req, exp);
  return { req, reply };
}

function wrongTypeScenario(op: WriteOp): RunnableScenario {
  return scenario<PathCase>({
    name: `${op}: a wrong type at any schema path is refused and changes nothing`,
    arbitrary: pathCase(() => true, wrongValue),
    examples: [
      { kind: 'Pod', path: 'spec.containers[0].image', value: 7 },
      { kind: 'Pod', path: 'spec.terminationGracePeriodSeconds', value: new Raw('1e300') },
    ],
    async run(env, c) {
      // A resourceVersion in a patch is a precondition: refusing a wrong one as a conflict is refusing it too.
      const codes = c.path === 'metadata.resourceVersion' ? [400, 409, 422] : [400, 422];
      await sendWrite(env, c, op, { kind: 'reject', codes, why: `${c.kind} ${c.path} must not be ${toJsonText(c.value)}` });
    },
  });
}

/**
 * skiff reads a JSON number by its value: 1e2, 1.0 or 1e-400 (which is 0) is that integer,
 * where Go's decoder refuses the notation. Either answer is right for those; an integer out of
 * int64's range, a fraction or a string is refused.
 */
function integerByValue(text: string): boolean {
  return !/^-?\d+$/.test(text) && Number.isSafeInteger(Number(text));
}

function oddValueExpectation(c: PathCase, p: SchemaPath): Expectation {
  if (isInteger(p) && c.value instanceof Raw && badInteger(c.value.text) && !integerByValue(c.value.text)) return { kind: 'reject', codes: [400, 422], why: `${c.value.text} is no int64` };
  if (isQuantity(p) && typeof c.value === 'string' && badQuantity(c.value)) return { kind: 'reject', codes: [400, 422], why: `"${c.value}" is no quantity Kubernetes holds` };
  return { kind: 'any' };
}

function oddValueScenario(op: WriteOp): RunnableScenario {
  const value = (p: SchemaPath): fc.Arbitrary<unknown> =>
    isQuantity(p) ? fc.constantFrom(...ODD_QUANTITIES) : isInteger(p) ? fc.constantFrom(...ODD_NUMBERS) : oddString;
  return scenario<PathCase>({
    name: `${op}: odd numbers, quantities and strings at schema paths`,
    arbitrary: pathCase((p) => isQuantity(p) || isInteger(p) || isString(p), value),
    examples: [
      { kind: 'Pod', path: 'spec.terminationGracePeriodSeconds', value: new Raw('1e300') },
      { kind: 'Pod', path: 'spec.containers[0].resources.limits.memory', value: '1e400' },
      { kind: 'Pod', path: 'spec.containers[0].resources.requests.memory', value: '99999999999999999999999999Ei' },
    ],
    async run(env, c) {
      const r = findKind(c.kind);
      const { req, reply } = await sendWrite(env, c, op, oddValueExpectation(c, findPath(r, c.path)));
      if (reply.status < 300) await followUp(env, r, reply, req);
    },
  });
}

const randomObjects = scenario<{ kind: string; body: unknown }>({
  name: 'create: random objects of each schema never break the server',
  arbitrary: kind.chain((r) =>
    valueFor(schemaOf(r), fc.oneof(oddString, fc.constantFrom('fuzz', 'a', 'TCP', '2024-01-01T00:00:00Z'))).map((body) => ({ kind: r.kind, body })),
  ),
  async run(env, c) {
    const r = findKind(c.kind);
    const body = { ...(c.body as Record<string, unknown>), metadata: { ...((c.body as { metadata?: object }).metadata ?? {}), name: env.fresh('rnd') } };
    const req = adminReq(env, 'POST', collectionPath(env, r), body);
    const reply = await exchangeUnchangedOnError(env.client, env.admin, req, { kind: 'any' });
    if (reply.status < 300) await followUp(env, r, reply, req);
  },
});

const names = scenario<{ kind: string; name: string }>({
  name: 'names: odd unicode, NUL, RTL, lone surrogates and long names are refused, and never break a path',
  arbitrary: fc.record({ kind: kind.map(showKind), name: fc.oneof(oddString, fc.constantFrom('ok-name', 'a.b', 'a'.repeat(63))) }),
  examples: [{ kind: 'Pod', name: 'x\ud800' }, { kind: 'Namespace', name: '\u202eevil' }, { kind: 'Node', name: 'a\u0000b' }],
  async run(env, c) {
    const r = findKind(c.kind);
    const bad = badName(c.name) || (r.kind === 'Namespace' && (c.name.length > 63 || c.name.includes('.')));
    const body = baseObject(r, c.name, env.ns);
    const exp: Expectation = bad ? { kind: 'reject', codes: [400, 422], why: 'the name is not a DNS-1123 name' } : { kind: 'any' };
    const reply = await exchangeUnchangedOnError(env.client, env.admin, adminReq(env, 'POST', collectionPath(env, r), body), exp);
    const path = objectPath(env, r, '').slice(0, -1) + `/${segment(c.name)}`;
    for (const method of ['GET', 'DELETE']) {
      if (c.name === '' && method === 'DELETE') continue; // that is the collection
      await exchange(env.client, adminReq(env, method, path));
    }
    if (reply.status < 300) await exchange(env.client, adminReq(env, 'DELETE', `${path}?gracePeriodSeconds=0`));
  },
});

interface DeepCase {
  depth: number;
  shape: 'array' | 'object';
  where: 'body' | 'labels' | 'spec' | 'annotations';
  format: 'json' | 'yaml';
  method: 'POST' | 'PATCH';
}

const deep = scenario<DeepCase>({
  name: 'deep nesting (JSON and YAML, up to 100,000 levels) is refused',
  runShare: 0.4,
  arbitrary: fc.record({
    depth: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 2, max: 200 }) }, { weight: 1, arbitrary: fc.constantFrom(1000, 10_000, 100_000) }),
    shape: fc.constantFrom('array' as const, 'object' as const),
    where: fc.constantFrom('body' as const, 'labels' as const, 'spec' as const, 'annotations' as const),
    format: fc.constantFrom('json' as const, 'yaml' as const),
    method: fc.constantFrom('POST' as const, 'PATCH' as const),
  }),
  examples: [
    { depth: 100_000, shape: 'array', where: 'body', format: 'json', method: 'POST' },
    { depth: 10_000, shape: 'object', where: 'labels', format: 'json', method: 'POST' },
    { depth: 100_000, shape: 'object', where: 'body', format: 'yaml', method: 'POST' },
  ],
  async run(env, c) {
    const r = findKind('Pod');
    const nested = c.format === 'json' ? deepJson(c.depth, c.shape) : deepYaml(c.depth, c.shape);
    // A patch goes to a pod that exists, under its own name; a create makes a new one.
    const target = c.method === 'PATCH' ? ((await freshObject(env, r)).metadata as { name: string }).name : undefined;
    const name = target ?? env.fresh('deep');
    const pod = (meta: string, spec: string) => `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"${name}"${meta}},"spec":{"containers":[{"name":"fuzz","image":"busybox"}]${spec}}}`;
    const body = c.where === 'body' ? nested : c.where === 'spec' ? pod('', `,"nodeSelector":${nested}`) : pod(`,"${c.where}":{"a":${nested}}`, '');
    const ct = c.method === 'PATCH' ? 'application/merge-patch+json' : c.format === 'json' ? 'application/json' : 'application/yaml';
    const path = target === undefined ? collectionPath(env, r) : objectPath(env, r, target);
    // A merge patch of unknown fields nested a little is harmless (they are dropped); past
    // Kubernetes' decoding depth limit (10,000) anything is refused, and nesting where a
    // string belongs (labels, annotations, nodeSelector) is refused at any depth.
    const harmless = c.method === 'PATCH' && c.where === 'body' && c.shape === 'object' && c.depth <= 10_000;
    const exp: Expectation = harmless ? { kind: 'any' } : { kind: 'reject', codes: [400, 422], why: `nested ${c.depth} deep` };
    await exchangeUnchangedOnError(env.client, env.admin, adminReq(env, c.method, path, body, ct), exp);
  },
});

/** JSON text of `obj` with the first key of the object at `at` written twice. */
function withDuplicateKey(obj: unknown, at: string[]): string {
  const write = (v: unknown, path: string[]): string => {
    if (typeof v !== 'object' || v === null) return toJsonText(v);
    if (Array.isArray(v)) return `[${v.map((x, i) => write(x, [...path, String(i)])).join(',')}]`;
    const entries = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${write(x, [...path, k])}`);
    if (path.join('.') === at.join('.') && entries.length) entries.unshift(entries[0]);
    return `{${entries.join(',')}}`;
  };
  return write(obj, []);
}

const duplicateKeys = scenario<{ kind: string; at: string[]; fieldValidation: string; method: 'POST' | 'PUT' }>({
  name: 'duplicate JSON keys are refused under fieldValidation=Strict, and an unknown fieldValidation is a 400',
  arbitrary: fc.record({
    kind: kind.map(showKind),
    at: fc.constantFrom([], ['metadata'], ['spec'], ['spec', 'containers']),
    fieldValidation: fc.constantFrom('Strict', 'Warn', 'Ignore', '', 'strict', 'garbage'),
    method: fc.constantFrom('POST' as const, 'PUT' as const),
  }),
  examples: [{ kind: 'Pod', at: ['metadata'], fieldValidation: 'Strict', method: 'POST' }],
  async run(env, c) {
    const r = findKind(c.kind);
    const name = env.fresh('dup');
    const obj = baseObject(r, name, env.ns);
    const at = c.at[0] === 'spec' && !obj.spec ? ['metadata'] : c.at;
    const target = at.length === 2 ? [...at, '0'] : at;
    const text = withDuplicateKey(at.length === 2 ? setAt(obj, ['spec', 'containers', 0, 'name'], 'fuzz') : obj, target);
    if (c.method === 'PUT') await exchange(env.client, adminReq(env, 'POST', collectionPath(env, r), obj), { kind: 'code', code: 201, why: 'setup' });
    const path = c.method === 'POST' ? collectionPath(env, r) : objectPath(env, r, name);
    let exp: Expectation = { kind: 'any' };
    if (c.fieldValidation === 'Strict') exp = { kind: 'reject', codes: [400, 422], why: `duplicate key in ${target.join('.') || 'the top level'} under Strict` };
    else if (!['Warn', 'Ignore', ''].includes(c.fieldValidation)) exp = { kind: 'reject', codes: [400], why: `fieldValidation=${c.fieldValidation} is none of Strict, Warn, Ignore` };
    await exchangeUnchangedOnError(env.client, env.admin, adminReq(env, c.method, `${path}?fieldValidation=${c.fieldValidation}`, text), exp);
  },
});

/** What the server must say about a ConfigMap's or Secret's data key, by Kubernetes' rule (IsConfigMapKey). */
const badDataKey = (k: string) => k === '' || k === '.' || k === '..' || k.startsWith('..') || k.length > 253 || !/^[-._a-zA-Z0-9]+$/.test(k);

const dataValues = scenario<{ kind: 'ConfigMap' | 'Secret'; type: string; key: string; value: string; encode: boolean }>({
  name: 'ConfigMap and Secret data: bad keys, values that are not base64 and broken typed Secrets are 422 with the field path, and no Secret value is echoed',
  arbitrary: fc.record({
    kind: fc.constantFrom('ConfigMap' as const, 'Secret' as const),
    type: fc.constantFrom('Opaque', 'kubernetes.io/tls', 'kubernetes.io/dockerconfigjson', 'kubernetes.io/basic-auth'),
    key: fc.oneof(fc.constantFrom('a/b', '/', '..', '..a', 'a b', 'ok', 'tls.key', '.dockerconfigjson', 'x'.repeat(254)), fc.string({ maxLength: 12 })),
    // A marker no message would hold by chance, and what follows it as drawn.
    value: fc.string({ maxLength: 40 }).map((s) => `pw-Zq9${s}`),
    encode: fc.boolean(),
  }),
  examples: [
    { kind: 'Secret', type: 'Opaque', key: 'a/b', value: 'pw-Zq9', encode: true },
    { kind: 'ConfigMap', type: 'Opaque', key: 'a/b', value: 'pw-Zq9', encode: false },
    { kind: 'Secret', type: 'Opaque', key: 'ok', value: 'pw-Zq9!', encode: false },
    { kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', key: '.dockerconfigjson', value: 'pw-Zq9{"auths":', encode: true },
    { kind: 'Secret', type: 'kubernetes.io/tls', key: 'tls.crt', value: 'pw-Zq9', encode: true },
  ],
  async run(env, c) {
    const r = findKind(c.kind);
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: c.kind, metadata: { name: env.fresh('data') } };
    if (c.kind === 'ConfigMap') body.data = { [c.key]: c.value };
    else Object.assign(body, { type: c.type, data: { [c.key]: c.encode ? Buffer.from(c.value).toString('base64') : c.value } });
    const field = `data[${c.key}]`;
    const exp: Expectation = badDataKey(c.key) ? { kind: 'reject', codes: [422], why: `the key ${JSON.stringify(c.key)} is not a valid config key` } : { kind: 'any' };
    const req = adminReq(env, 'POST', collectionPath(env, r), body);
    const reply = await exchangeUnchangedOnError(env.client, env.admin, req, exp);
    if (reply.status === 422 && badDataKey(c.key)) {
      const fields = (statusOf(reply)?.details?.causes ?? []).map((x) => x.field);
      if (!fields.includes(field)) throw new FuzzFailure(`a bad key is refused without the cause ${field}`, req, reply);
    }
    if (c.kind === 'Secret' && c.type === 'Opaque' && !c.encode && /[^A-Za-z0-9+/=]/.test(c.value) && reply.status !== 422) {
      throw new FuzzFailure('a Secret value that is not base64 was not refused as Invalid', req, reply);
    }
    if (c.kind === 'Secret' && reply.status >= 400) {
      const leaked = [c.value, Buffer.from(c.value).toString('base64')].filter((v) => reply.text.includes(v));
      if (leaked.length) throw new FuzzFailure('a refusal echoes the Secret value', req, reply);
    }
    if (reply.status < 300) await followUp(env, r, reply, req);
  },
});

/**
 * PUT namespaces/<n>/finalize takes a whole Namespace: any body drawn from its schema is
 * refused with a 4xx (changing nothing) or accepted, and an accepted one changes the
 * namespace's spec.finalizers at most: its status (phase Active) stays the server's.
 */
const finalize = scenario<{ body: unknown }>({
  name: 'namespaces/finalize: random Namespace bodies never break the server and change only spec.finalizers',
  arbitrary: valueFor(schemaOf(findKind('Namespace')), fc.oneof(oddString, fc.constantFrom('kubernetes', 'example.com/x', 'Terminating', 'Active'))).map((body) => ({ body })),
  examples: [{ body: { spec: { finalizers: [] } } }, { body: { spec: { finalizers: ['not a name!'] } } }, { body: { status: { phase: 'Terminating' } } }],
  async run(env, c) {
    const r = findKind('Namespace');
    const ns = await freshObject(env, r);
    const name = (ns.metadata as { name: string }).name;
    const given = c.body as Record<string, unknown>;
    const body = { ...given, metadata: { ...((given.metadata as object | undefined) ?? {}), name } };
    const req = adminReq(env, 'PUT', objectPath(env, r, name, 'finalize'), body);
    const reply = await exchangeUnchangedOnError(env.client, env.admin, req, { kind: 'any' });
    if (reply.status < 300) {
      const after = await env.client.send(adminReq(env, 'GET', objectPath(env, r, name)));
      const phase = (after.json as { status?: { phase?: string } } | undefined)?.status?.phase;
      if (after.status !== 200 || phase !== 'Active') throw new FuzzFailure(`a finalize changed more than spec.finalizers (GET answers ${after.status}, phase ${phase})`, req, reply);
    }
    await followUp(env, r, { ...reply, status: 201, json: ns }, req);
  },
});

export const OBJECT_SCENARIOS: RunnableScenario[] = [
  finalize,
  ...WRITE_OPS.map(wrongTypeScenario),
  ...(['create', 'merge-patch', 'json-patch'] as const).map(oddValueScenario),
  randomObjects,
  names,
  deep,
  duplicateKeys,
  dataValues,
];
