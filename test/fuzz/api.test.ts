// The API server under property-based fuzzing: every scenario of object-scenarios.ts,
// request-scenarios.ts, delete-scenarios.ts, eviction-scenarios.ts and review-scenarios.ts runs
// against one `skiff apiserver` process on its own etcd, with the
// seed printed (FUZZ_SEED=<seed> replays a run; FUZZ_RUNS=<n> sets the runs per property).
// A failure shows the shrunk case and the request and answer that broke the invariant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, peak } from './invariants.js';
import { OBJECT_SCENARIOS } from './object-scenarios.js';
import { REQUEST_SCENARIOS } from './request-scenarios.js';
import { STATE_SCENARIOS } from './delete-scenarios.js';
import { EVICTION_SCENARIOS } from './eviction-scenarios.js';
import { REVIEW_SCENARIOS } from './review-scenarios.js';
import { RUNS, SEED, startFuzzTarget, type FuzzTarget } from './runner.js';
import { adminReq, collectionPath, type FuzzEnv } from './scenario.js';
import { baseObject, KINDS } from './schema-gen.js';

let target: FuzzTarget;
let env: FuzzEnv;
const started = Date.now();

beforeAll(async () => {
  target = await startFuzzTarget();
  let n = 0;
  const run = Math.floor(Math.random() * 1e6).toString(36);
  env = { client: target.client, admin: target.api.adminToken, ns: `fuzz-${process.pid}`, pid: target.pid, fresh: (p = 'f') => `${p}-${run}-${(n++).toString(36)}`, nodeToken: (node) => target.api.nodeToken(node) };
  await exchange(env.client, adminReq(env, 'POST', '/api/v1/namespaces', { metadata: { name: env.ns } }), { kind: 'code', code: 201, why: 'setup' });
  console.log(`API fuzz: seed ${SEED} (FUZZ_SEED=${SEED} replays it), ${RUNS} runs per property (FUZZ_RUNS)`);
});

afterAll(async () => {
  if (target) console.log(`API fuzz: ${target.client.count} requests in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${SEED}, server RSS at most ${peak.rssMiB.toFixed(0)} MiB`);
  await target?.stop();
});

describe('API fuzz', () => {
  it('the base object of every kind in the registry is accepted (so mutations of it test what they change)', async () => {
    for (const r of KINDS) {
      const reply = await env.client.send(adminReq(env, 'POST', `${collectionPath(env, r)}?dryRun=All`, baseObject(r, env.fresh('base'), env.ns)));
      expect(reply.status, `${r.kind}: ${reply.text.slice(0, 500)}`).toBe(201);
    }
  });

  // A longer run (npm run fuzz) gets time in proportion.
  it.each([...OBJECT_SCENARIOS, ...REQUEST_SCENARIOS, ...STATE_SCENARIOS, ...EVICTION_SCENARIOS, ...REVIEW_SCENARIOS].map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    await s.check(env);
  }, Math.max(60_000, RUNS * 1_500));
});
