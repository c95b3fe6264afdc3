// Authorization against the spec in authz-table.ts: every verb x kind (from the registry) x
// subresource x identity, own object and another's, is allowed (anything but 401/403),
// forbidden (403, Status reason Forbidden) or unauthenticated (401) as the table says. Then the
// node-bound properties, fuzzed: a kubelet's pod list or watch with any field selector is
// refused or holds only its own pods; a kubelet may not set NodeRestriction's labels.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVIEW_RESOURCES } from '../../api/authorization/types.js';
import { resourcePath } from '../../api/resources.js';
import { cellRequest, NS, repairFixtures, targetOf } from './authz-fixtures.js';
import { expectedOutcome, nodeLabelForbidden, SUBRESOURCES, VERBS, type Cell, type Outcome } from './authz-table.js';
import { fieldSelectorFor } from './hostile.js';
import { checkHealthy, checkReply, FuzzFailure, peak, statusOf } from './invariants.js';
import { describeExchange, IDENTITIES, SEED, startFuzzTarget, type FuzzReply, type FuzzTarget } from './runner.js';
import { scenario, type FuzzEnv } from './scenario.js';
import { KINDS } from './schema-gen.js';

let target: FuzzTarget;
let env: FuzzEnv;
const started = Date.now();
const KUBELET_ROUTES = ['log', 'exec', 'attach', 'portforward', 'proxy'];

beforeAll(async () => {
  target = await startFuzzTarget();
  let n = 0;
  env = { client: target.client, admin: target.api.adminToken, ns: NS, pid: target.pid, fresh: (p = 'z') => `${p}-${(n++).toString(36)}` };
  await repairFixtures(target.client, target.api.adminToken);
  console.log(`authz fuzz: seed ${SEED} (FUZZ_SEED=${SEED} replays it)`);
});

afterAll(async () => {
  if (target) console.log(`authz fuzz: ${target.client.count} requests in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${SEED}, server RSS at most ${peak.rssMiB.toFixed(0)} MiB`);
  await target?.stop();
});

function outcomeOf(reply: FuzzReply): Outcome {
  if (reply.status === 401) return 'unauthenticated';
  if (reply.status === 403) return 'forbidden';
  return 'allowed';
}

/** Every cell of the grid: collection verbs on the main resource only; named ones on node-a's own object and another's. */
function cells(): Cell[] {
  const out: Cell[] = [];
  for (const identity of IDENTITIES) {
    for (const resource of KINDS) {
      // Below /namespaces/{name}/ any other segment names a collection in that namespace.
      for (const sub of resource.plural === 'namespaces' ? ['', 'status', 'finalize'] : SUBRESOURCES) {
        for (const verb of VERBS) {
          const collection = verb === 'list' || verb === 'watch' || verb === 'deletecollection';
          if (collection && sub) continue;
          for (const own of collection ? [true] : [true, false]) {
            const t = targetOf(identity, resource, own);
            out.push({ identity, verb, resource, sub, namespace: t.namespace, name: collection ? undefined : t.name, own });
          }
        }
      }
    }
  }
  return out;
}

interface Mismatch {
  key: string;
  where: string;
  what: string;
}

/**
 * Mismatches grouped: per identity and answer, the verbs per resource/subresource, and the
 * resources with the same verbs on one line.
 */
function report(ms: Mismatch[]): string {
  const groups = new Map<string, Map<string, Set<string>>>();
  for (const m of ms) {
    const g = groups.get(m.key) ?? new Map<string, Set<string>>();
    groups.set(m.key, g);
    g.set(m.where, (g.get(m.where) ?? new Set<string>()).add(m.what));
  }
  return [...groups]
    .map(([k, g]) => {
      const byVerbs = new Map<string, string[]>();
      for (const [where, whats] of g) {
        const verbs = [...whats].sort().join(', ');
        byVerbs.set(verbs, [...(byVerbs.get(verbs) ?? []), where]);
      }
      return `${k}:\n${[...byVerbs].map(([verbs, wheres]) => `  ${wheres.join(', ')}: ${verbs}`).join('\n')}`;
    })
    .join('\n\n');
}

describe('authorization', () => {
  const mismatches: Mismatch[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    let n = 0;
    for (const c of cells()) {
      const { req, watch } = cellRequest(c, target.tokens[c.identity], `authz-new-${n++}`);
      const reply = await target.client.send(req, { headersOnly: watch });
      const want = expectedOutcome(c);
      const got = outcomeOf(reply);
      if (reply.status >= 500 && !(KUBELET_ROUTES.includes(c.sub) && [502, 503, 504].includes(reply.status))) {
        errors.push(`server error:\n${describeExchange(req, reply)}`);
      } else if (reply.status >= 400 && !statusOf(reply)) {
        errors.push(`no Status body:\n${describeExchange(req, reply)}`);
      } else if (got === 'forbidden' && statusOf(reply)?.reason !== 'Forbidden') {
        errors.push(`403 without reason Forbidden:\n${describeExchange(req, reply)}`);
      }
      if (got !== want) {
        const where = `${c.resource.plural}${c.sub ? `/${c.sub}` : ''}`;
        const what = `${c.verb}${c.name ? (c.own ? ' own' : ` ${c.name}`) : ''}`;
        mismatches.push({ key: `${c.identity}: ${want} by the table, ${got === 'allowed' ? `answered ${reply.status}` : got} by skiff`, where, what });
      }
      // A write that got through may have changed a fixture (a dry run that is not one, too).
      if (reply.status < 300 && !['get', 'list', 'watch'].includes(c.verb)) await repairFixtures(target.client, target.api.adminToken);
    }
  }, 240_000);

  it('no cell answers a server error, every refusal is a Status (403: reason Forbidden), and the server is still well', async () => {
    expect(errors, errors.slice(0, 10).join('\n\n')).toEqual([]);
    await checkHealthy(target.client, target.api.adminToken, target.pid);
  });

  it('every verb x kind x subresource x identity is allowed, forbidden or unauthenticated as the table says', () => {
    const real = mismatches.filter((m) => !/forbidden by the table, answered 40[45]/.test(m.key));
    expect(real.length, `cells where skiff and the table (Kubernetes) disagree:\n\n${report(real)}`).toBe(0);
  });

  it('what the table forbids is 403 even where skiff serves no such path or verb (Kubernetes authorizes before routing)', () => {
    const routed = mismatches.filter((m) => /forbidden by the table, answered 40[45]/.test(m.key));
    expect(routed.length, `skiff answered 404/405 before authorizing:\n\n${report(routed)}`).toBe(0);
  });

  it('the reviews (answered, never stored): every verb x review x identity is allowed, forbidden or unauthenticated as the table says', async () => {
    const bodies: Record<string, unknown> = {
      SelfSubjectAccessReview: { spec: { resourceAttributes: { verb: 'get', resource: 'pods', namespace: NS } } },
      SelfSubjectRulesReview: { spec: { namespace: NS } },
      SubjectAccessReview: { spec: { user: 'someone', resourceAttributes: { verb: 'get', resource: 'pods' } } },
      SelfSubjectReview: {},
    };
    const wrong: string[] = [];
    for (const identity of IDENTITIES) {
      for (const resource of REVIEW_RESOURCES) {
        for (const verb of VERBS) {
          const named = !['create', 'list', 'watch', 'deletecollection'].includes(verb);
          const cell: Cell = { identity, verb, resource, sub: '', name: named ? 'x' : undefined, own: false };
          // The grid's requests, but bodies of these kinds (they have no schema to build one from).
          const body = verb === 'create' ? bodies[resource.kind] : verb === 'update' ? { ...(bodies[resource.kind] as object), metadata: { name: 'x' } } : undefined;
          const { req, watch } = body === undefined ? cellRequest(cell, target.tokens[identity], 'x') : { req: { method: verb === 'create' ? 'POST' : 'PUT', path: resourcePath(resource, { name: cell.name }), token: target.tokens[identity], as: identity, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, watch: false };
          const reply = await target.client.send(req, { headersOnly: watch });
          checkReply(req, reply);
          const want = expectedOutcome(cell);
          if (outcomeOf(reply) !== want || (verb === 'create' && want === 'allowed' && reply.status !== 201)) wrong.push(`${identity} ${verb} ${resource.group}/${resource.version} ${resource.plural}: ${want} by the table, answered ${reply.status}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it("a kubelet's pod list or watch, with any field selector, is refused or holds only its own pods", async () => {
    await scenario<{ selector: string; allNamespaces: boolean; watch: boolean }>({
      name: 'kubelet field selectors',
      arbitrary: fc.record({ selector: fieldSelectorFor('node-a'), allNamespaces: fc.boolean(), watch: fc.boolean() }),
      examples: [
        { selector: 'metadata.name!=x\\,spec.nodeName=node-a', allNamespaces: true, watch: false },
        { selector: 'metadata.name!=x\\,spec.nodeName=node-a', allNamespaces: true, watch: true },
      ],
      async run(e, c) {
        const path = `${c.allNamespaces ? '/api/v1/pods' : `/api/v1/namespaces/${NS}/pods`}?fieldSelector=${encodeURIComponent(c.selector)}${c.watch ? '&watch=1&timeoutSeconds=1' : ''}`;
        const req = { method: 'GET', path, token: target.tokens['node-a'], as: 'node-a' };
        const reply = await e.client.send(req, { maxBodyMs: c.watch ? 400 : undefined });
        checkReply(req, reply);
        if (reply.status !== 200) return;
        const objects = c.watch
          ? reply.text.split('\n').filter((l) => l.trim()).map((l) => (JSON.parse(l) as { object?: unknown }).object)
          : ((reply.json as { items?: unknown[] }).items ?? []);
        const foreign = objects.filter((o) => (o as { kind?: string }).kind === 'Pod' && (o as { spec?: { nodeName?: string } }).spec?.nodeName !== 'node-a');
        if (foreign.length) throw new FuzzFailure(`node-a ${c.watch ? 'watched' : 'listed'} pods not bound to it: ${foreign.map((o) => (o as { metadata: { name: string } }).metadata.name).join(', ')}`, req, reply);
      },
    }).check(env);
  });

  it('a kubelet may not set node-restriction.kubernetes.io/* (or other kubernetes.io) labels on its own Node', async () => {
    const keys = [
      'node-restriction.kubernetes.io/a', 'x.node-restriction.kubernetes.io/a', 'node-role.kubernetes.io/master', 'kubernetes.io/hostname', 'topology.kubernetes.io/zone',
      'kubelet.kubernetes.io/a', 'node.kubernetes.io/a', 'example.com/a', 'plain', 'k8s.io/a', 'node-restriction.kubernetes.io.example.com/a',
    ];
    await scenario<{ key: string; op: 'merge' | 'strategic' | 'json' | 'put' }>({
      name: 'kubelet node labels',
      arbitrary: fc.record({ key: fc.constantFrom(...keys), op: fc.constantFrom('merge' as const, 'strategic' as const, 'json' as const, 'put' as const) }),
      examples: [{ key: 'node-restriction.kubernetes.io/a', op: 'merge' }],
      async run(e, c) {
        const path = resourcePath(KINDS.find((r) => r.kind === 'Node') ?? KINDS[0], { name: 'node-a' });
        const token = target.tokens['node-a'];
        let req;
        if (c.op === 'put') {
          const cur = await e.client.send({ method: 'GET', path, token, as: 'node-a' });
          const node = cur.json as { metadata: { labels?: Record<string, string> } };
          node.metadata.labels = { ...node.metadata.labels, [c.key]: 'v' };
          req = { method: 'PUT', path, token, as: 'node-a', headers: { 'content-type': 'application/json' }, body: JSON.stringify(node) };
        } else if (c.op === 'json') {
          req = { method: 'PATCH', path, token, as: 'node-a', headers: { 'content-type': 'application/json-patch+json' }, body: JSON.stringify([{ op: 'add', path: '/metadata/labels', value: { [c.key]: 'v' } }]) };
        } else {
          const ct = c.op === 'merge' ? 'application/merge-patch+json' : 'application/strategic-merge-patch+json';
          req = { method: 'PATCH', path, token, as: 'node-a', headers: { 'content-type': ct }, body: JSON.stringify({ metadata: { labels: { [c.key]: 'v' } } }) };
        }
        const reply = await e.client.send(req);
        checkReply(req, reply);
        if (nodeLabelForbidden(c.key) && reply.status !== 403) throw new FuzzFailure(`a kubelet set the label ${c.key} on its own Node (NodeRestriction forbids it)`, req, reply);
        if (!nodeLabelForbidden(c.key) && reply.status === 403) throw new FuzzFailure(`a kubelet was refused the label ${c.key}, which NodeRestriction allows`, req, reply);
        // Put the Node back as it was, so the next case starts alike.
        await e.client.send({ method: 'PATCH', path, token: target.api.adminToken, as: 'admin', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ metadata: { labels: null } }) });
      },
    }).check(env);
  });
  it('a kubelet may not change the taints of its own Node (NodeRestriction), by any kind of write', async () => {
    await scenario<{ op: 'merge' | 'strategic' | 'json'; taint: { key: string; effect: string } }>({
      name: 'kubelet node taints',
      arbitrary: fc.record({
        op: fc.constantFrom('merge' as const, 'strategic' as const, 'json' as const),
        taint: fc.record({ key: fc.constantFrom('x', 'node.kubernetes.io/unschedulable', 'example.com/t'), effect: fc.constantFrom('NoSchedule', 'NoExecute', 'PreferNoSchedule') }),
      }),
      async run(e, c) {
        const path = resourcePath(KINDS.find((r) => r.kind === 'Node') ?? KINDS[0], { name: 'node-a' });
        const ct = { merge: 'application/merge-patch+json', strategic: 'application/strategic-merge-patch+json', json: 'application/json-patch+json' }[c.op];
        const body = c.op === 'json' ? JSON.stringify([{ op: 'add', path: '/spec', value: { taints: [c.taint] } }]) : JSON.stringify({ spec: { taints: [c.taint] } });
        const req = { method: 'PATCH', path, token: target.tokens['node-a'], as: 'node-a', headers: { 'content-type': ct }, body };
        const reply = await e.client.send(req);
        checkReply(req, reply);
        if (reply.status !== 403) throw new FuzzFailure(`a kubelet's change to the taints of its own Node was not refused as Forbidden (NodeRestriction)`, req, reply);
        await e.client.send({ method: 'PATCH', path, token: target.api.adminToken, as: 'admin', headers: { 'content-type': 'application/merge-patch+json' }, body: '{"spec":{"taints":null}}' });
      },
    }).check(env, { runs: 15 });
  });
});
