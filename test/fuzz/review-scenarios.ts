// The reviews (authorization.k8s.io, authentication.k8s.io) take bodies and store nothing:
// any body, posted by any identity, is a 201 or a 4xx Status, never a server error; a 201
// answers the review's kind with a status, and a 422 names a field.
import fc from 'fast-check';
import { REVIEW_RESOURCES } from '../../api/authorization/types.js';
import { apiVersionOf, resourcePath } from '../../api/resources.js';
import { ODD_WORDS, oddString } from './hostile.js';
import { exchange, FuzzFailure, statusOf } from './invariants.js';
import { scenario, type RunnableScenario } from './scenario.js';

type ReviewCase = { review: number; body: unknown; node: boolean };

const odd = fc.oneof(fc.constantFrom<unknown>(...ODD_WORDS, null, true, 0, -1, [], {}, ['x', 1]), oddString);
const word = fc.oneof(fc.constantFrom('get', 'list', 'create', '*', '', 'pods', 'secrets', 'nodes', 'default', 'kube-system', 'node-a', 'status', '/api', '/healthz'), odd);
const attributes = (keys: string[]) => fc.oneof(odd, fc.record(Object.fromEntries(keys.map((k) => [k, word])), { requiredKeys: [] }));
const spec = fc.oneof(
  odd,
  fc.record(
    {
      resourceAttributes: attributes(['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name']),
      nonResourceAttributes: attributes(['path', 'verb']),
      user: word,
      groups: fc.oneof(odd, fc.array(fc.oneof(fc.constantFrom('system:masters', 'system:nodes', 'system:authenticated'), odd), { maxLength: 3 })),
      uid: word,
      extra: fc.oneof(odd, fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(odd, fc.array(fc.string(), { maxLength: 2 })), { maxKeys: 2 })),
      namespace: word,
    },
    { requiredKeys: [] },
  ),
);

const reviews = scenario<ReviewCase>({
  name: 'reviews: any body from the admin or a node is a 201 with a status or a 4xx Status, never a server error',
  arbitrary: fc.record({
    review: fc.integer({ min: 0, max: REVIEW_RESOURCES.length - 1 }),
    node: fc.boolean(),
    body: fc.oneof(
      odd,
      fc.record(
        { apiVersion: fc.oneof(fc.constantFrom('authorization.k8s.io/v1', 'authentication.k8s.io/v1', 'v1'), odd), kind: fc.oneof(fc.constantFrom('SelfSubjectAccessReview', 'SubjectAccessReview', 'Pod'), odd), metadata: fc.oneof(odd, fc.constant({ name: 'x' })), spec, status: odd },
        { requiredKeys: [] },
      ),
    ),
  }),
  examples: [
    { review: 0, node: true, body: { spec: { resourceAttributes: { verb: 'get', resource: 'pods', name: 'x', namespace: 'default' } } } },
    { review: 2, node: false, body: { spec: { user: 'system:node:node-a', groups: ['system:nodes'], resourceAttributes: { verb: 'get', resource: 'secrets', name: 'x', namespace: 'default' } } } },
    { review: 0, node: false, body: { spec: { resourceAttributes: {}, nonResourceAttributes: {} } } },
  ],
  async run(env, c) {
    const r = REVIEW_RESOURCES[c.review];
    const token = c.node ? env.nodeToken?.('node-a') : env.admin;
    const req = { method: 'POST', path: resourcePath(r), token, as: c.node ? 'node-a' : 'admin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(c.body) };
    const reply = await exchange(env.client, req, { kind: 'any' });
    if (reply.status === 201) {
      const got = reply.json as { kind?: string; apiVersion?: string; status?: unknown };
      if (got.kind !== r.kind || got.apiVersion !== apiVersionOf(r) || typeof got.status !== 'object') throw new FuzzFailure(`a 201 that is no ${r.kind} with a status`, req, reply);
    } else if (reply.status === 422 && !statusOf(reply)?.details?.causes?.every((cause) => cause.field)) {
      throw new FuzzFailure('a 422 without the field of each cause', req, reply);
    } else if (reply.status >= 300 && reply.status !== 400 && reply.status !== 403 && reply.status !== 422 && reply.status !== 415) {
      throw new FuzzFailure(`unexpected ${reply.status}`, req, reply);
    }
  },
});

export const REVIEW_SCENARIOS: RunnableScenario[] = [reviews];
