// A suite's kubectl 1.33 against its own real API server and etcd (kubectl-harness.ts),
// started before its tests and stopped after them, with the helpers its tests share.
import { afterAll, beforeAll } from 'vitest';
import { startKubectlCluster, type KubectlCluster, type KubectlResult } from './kubectl-harness.js';

export interface Kubectl133 {
  /** kubectl 1.33 with these arguments (and standard input); never throws. */
  run(args: string[], stdin?: string): Promise<KubectlResult>;
  /** Its standard output; throws with the standard error when it fails. */
  ok(...args: string[]): Promise<string>;
  /** `get WHAT -o jsonpath=PATH`. */
  jsonpath(what: string, path: string): Promise<string>;
}

/** Registers the suite's beforeAll and afterAll. */
export function kubectl133Suite(): Kubectl133 {
  let cluster: KubectlCluster | undefined;
  beforeAll(async () => {
    cluster = await startKubectlCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  const run = (args: string[], stdin?: string): Promise<KubectlResult> => {
    if (!cluster) throw new Error('the cluster has not started');
    return cluster.kubectl(args, { version: '1.33', stdin });
  };
  const ok = async (...args: string[]): Promise<string> => {
    const r = await run(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  return { run, ok, jsonpath: (what, path) => ok('get', what, '-o', `jsonpath=${path}`) };
}
