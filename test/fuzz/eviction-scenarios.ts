// pods/eviction takes a body (an Eviction with DeleteOptions) and reads the budget covering
// the pod: hostile bodies and budgets of any shape are a 201 or a 4xx, never a server error,
// and a refused eviction changes nothing. (Two budgets covering one pod are Kubernetes' own
// 500, tested in test/compat/kubectl-pdb.test.ts.)
import fc from 'fast-check';
import { findResource } from '../../api/resources.js';
import { ODD_INTS, ODD_WORDS } from './hostile.js';
import { exchangeUnchangedOnError } from './invariants.js';
import { adminReq, collectionPath, freshObject, objectPath, removeObject, scenario, type RunnableScenario } from './scenario.js';

type EvictionCase = {
  apiVersion: string | undefined;
  kind: string | undefined;
  name: 'same' | 'other' | 'none';
  deleteOptions: unknown;
  budget: { minAvailable?: number | string; maxUnavailable?: number | string } | undefined;
  phase: 'Pending' | 'Running' | 'Succeeded';
};

const odd = fc.oneof(fc.constantFrom<unknown>(...ODD_WORDS, ...ODD_INTS, null, true, [], {}), fc.string());
const deleteOptions = fc.oneof(
  fc.constant(undefined),
  odd,
  fc.record(
    {
      gracePeriodSeconds: fc.oneof(fc.integer({ min: -5, max: 100 }), odd),
      preconditions: fc.oneof(fc.record({ uid: fc.oneof(fc.string(), odd) }, { requiredKeys: [] }), odd),
      propagationPolicy: fc.oneof(fc.constantFrom('Orphan', 'Background', 'Foreground'), odd),
      dryRun: fc.oneof(fc.constant(['All']), fc.array(fc.string(), { maxLength: 2 }), odd),
      kind: fc.constantFrom('DeleteOptions', 'Eviction'),
    },
    { requiredKeys: [] },
  ),
);
const budgetCount = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom('0%', '50%', '100%'));

const evictions = scenario<EvictionCase>({
  name: 'pods/eviction: any Eviction body and budget are a 201 or a 4xx, a refusal changes nothing',
  arbitrary: fc.record({
    apiVersion: fc.constantFrom(undefined, 'policy/v1', 'policy/v1beta1', 'v1', 'policy/v2'),
    kind: fc.constantFrom(undefined, 'Eviction', 'DeleteOptions', 'Pod'),
    name: fc.constantFrom('same' as const, 'other' as const, 'none' as const),
    deleteOptions,
    budget: fc.option(fc.oneof(fc.record({ minAvailable: budgetCount }), fc.record({ maxUnavailable: budgetCount })), { nil: undefined }),
    phase: fc.constantFrom('Pending' as const, 'Running' as const, 'Succeeded' as const),
  }),
  examples: [{ apiVersion: 'policy/v1', kind: 'Eviction', name: 'same', deleteOptions: { gracePeriodSeconds: 'x' }, budget: { minAvailable: 1 }, phase: 'Running' }],
  async run(env, c) {
    const pods = findResource('pods', '');
    const pdbs = findResource('poddisruptionbudgets', 'policy');
    if (!pods || !pdbs) throw new Error('pods and poddisruptionbudgets are served');
    const app = env.fresh('app');
    const pod = await freshObject(env, pods, (o) => Object.assign(o.metadata as object, { labels: { app } }));
    const name = (pod.metadata as { name: string }).name;
    await env.client.send(adminReq(env, 'PATCH', objectPath(env, pods, name, 'status'), { status: { phase: c.phase, conditions: [{ type: 'Ready', status: 'True' }] } }, 'application/merge-patch+json'));
    const budget = env.fresh('pdb');
    if (c.budget) await env.client.send(adminReq(env, 'POST', collectionPath(env, pdbs), { metadata: { name: budget }, spec: { ...c.budget, selector: { matchLabels: { app } } } }));
    const body: Record<string, unknown> = { metadata: c.name === 'none' ? {} : { name: c.name === 'same' ? name : `${name}-other` } };
    if (c.apiVersion !== undefined) body.apiVersion = c.apiVersion;
    if (c.kind !== undefined) body.kind = c.kind;
    if (c.deleteOptions !== undefined) body.deleteOptions = c.deleteOptions;
    const req = adminReq(env, 'POST', objectPath(env, pods, name, 'eviction'), body);
    await exchangeUnchangedOnError(env.client, env.admin, req, { kind: 'any' });
    if (c.budget) await removeObject(env, pdbs, budget);
    await removeObject(env, pods, name);
  },
});

export const EVICTION_SCENARIOS: RunnableScenario[] = [evictions];
