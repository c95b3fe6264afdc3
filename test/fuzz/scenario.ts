// A scenario is one property: an arbitrary of small, readable case descriptions (shrunk by
// fast-check on failure) and a run that turns one into requests and checks them. The env
// gives runs fresh objects of any kind and cleans them up, so runs do not see each other.
import fc from 'fast-check';
import { resourcePath, type ResourceInfo } from '../../api/resources.js';
import { checkHealthy, FuzzFailure } from './invariants.js';
import { RUNS, SEED, type FuzzClient, type FuzzReply, type FuzzRequest } from './runner.js';
import { baseObject, toJsonText } from './schema-gen.js';

export interface FuzzEnv {
  client: FuzzClient;
  admin: string;
  ns: string;
  pid: number;
  /** a name no earlier run used */
  fresh(prefix?: string): string;
  /** a node's token, for scenarios that ask as a node */
  nodeToken?(node: string): string;
}

export function collectionPath(env: FuzzEnv, r: ResourceInfo, ns = env.ns): string {
  return resourcePath(r, { namespace: r.namespaced ? ns : undefined });
}

export function objectPath(env: FuzzEnv, r: ResourceInfo, name: string, sub?: string): string {
  return resourcePath(r, { namespace: r.namespaced ? env.ns : undefined, name, subresource: sub });
}

export function adminReq(env: FuzzEnv, method: string, path: string, body?: unknown, contentType = 'application/json'): FuzzRequest {
  const req: FuzzRequest = { method, path, token: env.admin, as: 'admin' };
  if (body !== undefined) {
    req.body = typeof body === 'string' ? body : toJsonText(body);
    req.headers = { 'content-type': contentType };
  }
  return req;
}

/** Creates a fresh object of kind r (the base object, changed by `tweak`) and answers it as stored. */
export async function freshObject(env: FuzzEnv, r: ResourceInfo, tweak?: (o: Record<string, unknown>) => void): Promise<Record<string, unknown>> {
  const name = env.fresh(r.singular.slice(0, 3));
  const obj = baseObject(r, name, env.ns);
  tweak?.(obj);
  const req = adminReq(env, 'POST', collectionPath(env, r), obj);
  const reply = await env.client.send(req);
  if (reply.status !== 201) throw new FuzzFailure(`setup: creating a base ${r.kind} failed`, req, reply);
  return reply.json as Record<string, unknown>;
}

/** Removes an object for good (gracePeriodSeconds=0); gone already is fine; a 5xx is a failure. */
export async function removeObject(env: FuzzEnv, r: ResourceInfo, name: string): Promise<void> {
  const req = adminReq(env, 'DELETE', `${objectPath(env, r, name)}?gracePeriodSeconds=0`);
  const reply = await env.client.send(req);
  if (reply.status >= 500) throw new FuzzFailure('cleanup: deleting an object failed', req, reply);
  // An object with finalizers stays: drop them so it goes.
  if (reply.status === 200 && (reply.json as { metadata?: { finalizers?: string[] } })?.metadata?.finalizers?.length) {
    await env.client.send(adminReq(env, 'PATCH', objectPath(env, r, name), { metadata: { finalizers: null } }, 'application/merge-patch+json'));
  }
}

/** After a create that was accepted: the object reads back and deletes without a server error. */
export async function followUp(env: FuzzEnv, r: ResourceInfo, created: FuzzReply, cause: FuzzRequest): Promise<void> {
  const name = (created.json as { metadata?: { name?: string } })?.metadata?.name;
  if (!name) return;
  const get = adminReq(env, 'GET', objectPath(env, r, name));
  const got = await env.client.send(get);
  if (got.status >= 500) throw new FuzzFailure(`reading back what was accepted fails (after ${cause.method} ${cause.path})`, get, got);
  const del = adminReq(env, 'DELETE', objectPath(env, r, name));
  const deleted = await env.client.send(del);
  if (deleted.status >= 500) throw new FuzzFailure(`deleting what was accepted fails (after ${cause.method} ${cause.path} with ${cause.body?.slice(0, 300) ?? ''})`, del, deleted);
  await removeObject(env, r, name);
}

export interface Scenario<T> {
  name: string;
  arbitrary: fc.Arbitrary<T>;
  /** cases always run first: the shapes of bugs seen before */
  examples?: T[];
  /** a share of FUZZ_RUNS, for scenarios whose cases are slow (100,000-deep bodies) */
  runShare?: number;
  run(env: FuzzEnv, input: T): Promise<void>;
}

/** A scenario with its input type hidden, so one list can hold them all. */
export interface RunnableScenario {
  name: string;
  check(env: FuzzEnv, opts?: { runs?: number; timeLimitMs?: number }): Promise<void>;
}

/**
 * Runs a scenario in two passes. The survey runs every case and keeps the first failure of
 * each category (so one property shows every bug it met, not only the first); then the first
 * failure is shrunk by fast-check to a minimal case. The error shows both.
 */
export function scenario<T>(s: Scenario<T>): RunnableScenario {
  return {
    name: s.name,
    async check(env, opts = {}) {
      const runs = opts.runs ?? Math.max(5, Math.round(RUNS * (s.runShare ?? 1)));
      const failures = new Map<string, { input: T; message: string }>();
      await fc.assert(
        fc.asyncProperty(s.arbitrary, async (input) => {
          try {
            await s.run(env, input);
          } catch (e) {
            if (!(e instanceof FuzzFailure)) throw e;
            if (!failures.has(e.category)) failures.set(e.category, { input, message: e.message });
          }
        }),
        { seed: SEED, numRuns: runs, examples: (s.examples ?? []).map((e) => [e] as [T]) },
      );
      await checkHealthy(env.client, env.admin, env.pid);
      if (failures.size === 0) return;
      const survey = [...failures.values()].map((f, i) => `(${i + 1}) case ${fc.stringify(f.input)}\n${f.message}`).join('\n\n');
      const summary = `${failures.size} kind(s) of failure in ${runs} runs (seed ${SEED}):\n\n${survey}`;
      const first = [...failures.values()][0].input;
      try {
        await fc.assert(
          fc.asyncProperty(s.arbitrary, async (input) => {
            await s.run(env, input);
          }),
          // Shrinking sends requests too: bound the time it may take.
          { seed: SEED, numRuns: 1, examples: [[first]], plugins: [fc.interruptAfterTimeLimit(opts.timeLimitMs ?? 8_000)] },
        );
      } catch (e) {
        const shrunk = (e as Error).cause instanceof Error ? `\n${((e as Error).cause as Error).message}` : '';
        throw new Error(`${summary}\n\nThe first, shrunk by fast-check:\n${(e as Error).message}${shrunk}`, { cause: e });
      }
      throw new Error(summary);
    },
  };
}
