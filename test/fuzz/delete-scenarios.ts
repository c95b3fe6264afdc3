// Properties about state: a dry run of any write or delete changes nothing, DELETE's query
// parameters and DeleteOptions bodies are checked (a wrong type or an unknown policy is
// refused, dryRun keeps the object), and a PUT's preconditions (uid, resourceVersion, name)
// are enforced.
import fc from 'fast-check';
import type { ResourceInfo } from '../../api/resources.js';
import { badInteger } from './hostile.js';
import { exchange, exchangeUnchangedOnError, FuzzFailure, type Expectation } from './invariants.js';
import { adminReq, collectionPath, freshObject, objectPath, removeObject, scenario, type RunnableScenario } from './scenario.js';
import { KINDS, Raw, toJsonText } from './schema-gen.js';
import { WRITE_OPS, writeRequest } from './write-ops.js';

const kindName = fc.constantFrom(...KINDS.map((k) => k.kind));
const kindOf = (name: string): ResourceInfo => KINDS.find((k) => k.kind === name) ?? KINDS[0];
const nameOf = (o: Record<string, unknown>) => (o.metadata as { name: string }).name;

type DryCase = { kind: string; op: (typeof WRITE_OPS)[number] | 'delete' | 'deletecollection'; where: 'query' | 'body'; bound: boolean; value: string };

const dryRun = scenario<DryCase>({
  name: 'dryRun: All changes nothing on any write, patch or delete (of one object or a collection); another value is refused',
  arbitrary: fc.record({
    kind: kindName,
    op: fc.constantFrom(...WRITE_OPS, 'delete' as const, 'deletecollection' as const),
    where: fc.constantFrom('query' as const, 'body' as const),
    bound: fc.boolean(),
    value: fc.oneof({ weight: 4, arbitrary: fc.constant('All') }, { weight: 1, arbitrary: fc.constantFrom('all', 'garbage', 'All,All', 'None') }),
  }),
  examples: [
    { kind: 'Pod', op: 'delete', where: 'query', bound: false, value: 'All' },
    { kind: 'Pod', op: 'delete', where: 'body', bound: true, value: 'All' },
    { kind: 'Namespace', op: 'delete', where: 'query', bound: false, value: 'All' },
  ],
  async run(env, c) {
    const r = kindOf(c.kind);
    let req;
    const query = `dryRun=${encodeURIComponent(c.value)}`;
    if (c.op === 'delete' || c.op === 'deletecollection') {
      const obj = await freshObject(env, r, (o) => {
        if (c.bound && r.kind === 'Pod') (o.spec as Record<string, unknown>).nodeName = 'node-a';
      });
      const path = c.op === 'delete' ? objectPath(env, r, nameOf(obj)) : collectionPath(env, r);
      // dryRun in the query, or in a DeleteOptions body as kubectl sends it
      req = c.where === 'query' ? adminReq(env, 'DELETE', `${path}?${query}`) : adminReq(env, 'DELETE', path, { kind: 'DeleteOptions', apiVersion: 'v1', dryRun: [c.value] });
    } else {
      req = await writeRequest(env, r, c.op, ['metadata', 'labels', 'dry'], 'run', query);
    }
    // A collection the kind cannot delete (namespaces) is 405 before its options are read, as in Kubernetes.
    const unsupported = c.op === 'deletecollection' && !r.verbs.includes('deletecollection');
    const exp: Expectation = unsupported
      ? { kind: 'code', code: 405, why: `${r.plural} has no deletecollection` }
      : c.value === 'All'
        ? { kind: 'any' }
        : { kind: 'reject', codes: [400, 422], why: `dryRun ${JSON.stringify(c.value)} is not All` };
    await exchangeUnchangedOnError(env.client, env.admin, req, exp, { unchanged: true });
  },
});

interface DeleteCase {
  kind: string;
  bound: boolean;
  query: { dryRun?: string; gracePeriodSeconds?: string; propagationPolicy?: string; orphanDependents?: string };
  body?: unknown;
}

const POLICIES = ['Orphan', 'Background', 'Foreground'];
const deleteBody = fc.constantFrom<unknown>(
  undefined, {}, { dryRun: ['All'] }, { dryRun: 'All' }, { dryRun: ['garbage'] }, { dryRun: [7] }, { gracePeriodSeconds: 'x' }, { gracePeriodSeconds: new Raw('1e300') },
  { gracePeriodSeconds: -1 }, { gracePeriodSeconds: new Raw('9223372036854775808') }, { propagationPolicy: 7 }, { propagationPolicy: 'garbage' }, { propagationPolicy: 'Background' },
  { propagationPolicy: 'Foreground' }, { propagationPolicy: 'Orphan' }, { orphanDependents: true }, { propagationPolicy: 'Orphan', orphanDependents: false },
  { preconditions: 'x' }, { preconditions: { uid: 7 } }, { preconditions: { uid: 'not-the-uid' } }, { orphanDependents: 'yes' }, [1], 'not json', { kind: 'DeleteOptions', apiVersion: 'v1' },
);

/** A query parameter that is no int64 in decimal digits (Go's strconv.ParseInt refuses it). */
function badIntegerParam(v: string): boolean {
  return !/^[-+]?\d+$/.test(v) || BigInt(v) > 9223372036854775807n || BigInt(v) < -9223372036854775808n;
}

/**
 * What skiff does with a DELETE: refuse it (and why), run it dry, or run it. DeleteOptions come
 * from the query and the body, the body's fields winning one by one. (Kubernetes ignores the
 * query once a body is present; skiff keeps a query's dryRun=All beside a body that does not
 * mention dryRun, so that no dry run deletes.) A query parameter that does not parse is
 * refused either way.
 */
function deleteExpectation(c: DeleteCase): { exp: Expectation; dry: boolean } {
  const reject = (why: string): { exp: Expectation; dry: boolean } => ({ exp: { kind: 'reject', codes: [400, 422], why }, dry: false });
  const q = c.query;
  if (q.gracePeriodSeconds !== undefined && q.gracePeriodSeconds !== '' && badIntegerParam(q.gracePeriodSeconds)) return reject(`gracePeriodSeconds=${q.gracePeriodSeconds}`);
  if (q.orphanDependents !== undefined && !['true', 'false', ''].includes(q.orphanDependents)) return reject(`orphanDependents=${q.orphanDependents}`);
  const o: Record<string, unknown> = {};
  if (q.propagationPolicy) o.propagationPolicy = q.propagationPolicy;
  if (q.orphanDependents) o.orphanDependents = q.orphanDependents === 'true';
  if (q.dryRun) o.dryRun = [q.dryRun];
  const b = c.body;
  if (b !== undefined) {
    if (typeof b !== 'object' || b === null || Array.isArray(b)) return reject('the body is no DeleteOptions object');
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) if (k !== 'kind' && k !== 'apiVersion') o[k] = v;
  }
  if (o.dryRun !== undefined && (!Array.isArray(o.dryRun) || o.dryRun.some((x) => x !== 'All'))) return reject(`dryRun: ${toJsonText(o.dryRun)}`);
  if (o.gracePeriodSeconds !== undefined && (o.gracePeriodSeconds instanceof Raw ? badInteger(o.gracePeriodSeconds.text) : typeof o.gracePeriodSeconds !== 'number')) return reject(`gracePeriodSeconds: ${toJsonText(o.gracePeriodSeconds)}`);
  if (o.propagationPolicy !== undefined && !POLICIES.includes(o.propagationPolicy as string)) return reject(`propagationPolicy: ${toJsonText(o.propagationPolicy)}`);
  if (o.propagationPolicy !== undefined && o.orphanDependents !== undefined) return reject('orphanDependents and propagationPolicy both set');
  if (o.preconditions !== undefined && (typeof o.preconditions !== 'object' || typeof (o.preconditions as { uid?: unknown }).uid !== 'string')) return reject(`preconditions: ${toJsonText(o.preconditions)}`);
  if (o.orphanDependents !== undefined && typeof o.orphanDependents !== 'boolean') return reject(`orphanDependents: ${toJsonText(o.orphanDependents)}`);
  if ((o.preconditions as { uid?: string } | undefined)?.uid === 'not-the-uid') return { exp: { kind: 'code', code: 409, why: 'the uid precondition fails' }, dry: false };
  return { exp: { kind: 'any' }, dry: Array.isArray(o.dryRun) && o.dryRun.length > 0 };
}

const deletes = scenario<DeleteCase>({
  name: 'delete: odd query parameters and DeleteOptions bodies are refused, dryRun keeps the object',
  arbitrary: fc.record({
    kind: kindName,
    bound: fc.boolean(),
    query: fc.record(
      {
        dryRun: fc.constantFrom('All', 'all', 'garbage', '', 'All,All'),
        gracePeriodSeconds: fc.constantFrom('0', '30', '-1', '1e300', '9223372036854775808', 'abc', '1.5', ''),
        propagationPolicy: fc.constantFrom(...POLICIES, 'garbage', '', 'orphan'),
        orphanDependents: fc.constantFrom('true', 'garbage'),
      },
      { requiredKeys: [] },
    ),
    body: deleteBody,
  }),
  examples: [
    { kind: 'Pod', bound: true, query: { dryRun: 'All' } },
    { kind: 'Pod', bound: false, query: {}, body: { dryRun: ['All'] } },
    { kind: 'Pod', bound: false, query: { propagationPolicy: 'garbage' } },
  ],
  async run(env, c) {
    const r = kindOf(c.kind);
    const obj = await freshObject(env, r, (o) => {
      if (c.bound && r.kind === 'Pod') (o.spec as Record<string, unknown>).nodeName = 'node-a';
    });
    const path = objectPath(env, r, nameOf(obj));
    const q = Object.entries(c.query).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    const req = adminReq(env, 'DELETE', q ? `${path}?${q}` : path, c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : toJsonText(c.body));
    const { exp, dry } = deleteExpectation(c);
    await exchangeUnchangedOnError(env.client, env.admin, req, exp, { unchanged: dry });
    if (dry) {
      const after = await env.client.send(adminReq(env, 'GET', path));
      const meta = (after.json as { metadata?: { deletionTimestamp?: string } } | undefined)?.metadata;
      if (after.status !== 200 || meta?.deletionTimestamp) throw new FuzzFailure(`a dry-run DELETE removed or marked the object (GET answers ${after.status})`, req, after);
    }
    await removeObject(env, r, nameOf(obj));
  },
});

type PreconditionCase = { kind: string; change: 'uid' | 'stale-resourceVersion' | 'name' | 'namespace' | 'kind' | 'apiVersion' };

const preconditions = scenario<PreconditionCase>({
  name: "update: a PUT with another object's uid or a stale resourceVersion is 409, another name or kind 400",
  arbitrary: fc.record({ kind: kindName, change: fc.constantFrom('uid', 'stale-resourceVersion', 'name', 'namespace', 'kind', 'apiVersion') }),
  examples: [{ kind: 'Pod', change: 'uid' }],
  async run(env, c) {
    const r = kindOf(c.kind);
    const obj = await freshObject(env, r);
    const path = objectPath(env, r, nameOf(obj));
    // Move the object on one write, so its first resourceVersion is stale.
    const patched = await exchange(env.client, adminReq(env, 'PATCH', path, { metadata: { labels: { moved: 'yes' } } }, 'application/merge-patch+json'), { kind: 'code', code: 200, why: 'setup' });
    const current = patched.json as Record<string, unknown>;
    const meta = current.metadata as Record<string, unknown>;
    const changed: Record<string, unknown> = { ...current, metadata: { ...meta } };
    const m = changed.metadata as Record<string, unknown>;
    let exp: Expectation;
    switch (c.change) {
      case 'uid':
        m.uid = '00000000-0000-0000-0000-000000000000';
        exp = { kind: 'code', code: 409, why: 'the uid is not the stored object\'s' };
        break;
      case 'stale-resourceVersion':
        m.resourceVersion = (obj.metadata as { resourceVersion: string }).resourceVersion;
        exp = { kind: 'code', code: 409, why: 'a stale resourceVersion' };
        break;
      case 'name':
        m.name = `${nameOf(obj)}-other`;
        exp = { kind: 'code', code: 400, why: 'the name differs from the path' };
        break;
      case 'namespace':
        m.namespace = r.namespaced ? 'other' : undefined;
        exp = r.namespaced ? { kind: 'code', code: 400, why: 'the namespace differs from the path' } : { kind: 'any' };
        break;
      case 'kind':
        changed.kind = r.kind === 'Pod' ? 'Node' : 'Pod';
        exp = { kind: 'code', code: 400, why: 'the kind differs from the path' };
        break;
      default:
        changed.apiVersion = 'v9';
        exp = { kind: 'code', code: 400, why: 'the apiVersion differs from the path' };
    }
    await exchangeUnchangedOnError(env.client, env.admin, adminReq(env, 'PUT', path, changed), exp);
    await removeObject(env, r, nameOf(obj));
  },
});

export const STATE_SCENARIOS: RunnableScenario[] = [dryRun, deletes, preconditions];
