// The control plane the scheduler and workloads benchmarks start, as `skiff up` starts its
// parts: etcd with mutual TLS and a CA of its own, a `skiff apiserver` process serving HTTPS
// only with bearer tokens, an admin client and the scheduler's own client (its token and
// options, as cmd/server.ts makes them).
import { readFile } from 'node:fs/promises';
import { RestClient } from '../client/rest.js';
import { startApiServer, type ApiServerFixtureOptions } from '../test/fixtures/apiserver.js';
import { startEtcd } from '../test/fixtures/etcd.js';

/**
 * Starts them; each one's stop goes onto `stops` as soon as it runs (bench/measure.ts's stopAll).
 * `options`: the nodes given tokens and the service range, for benchmarks that need them.
 */
export async function startControlPlane(stops: (() => Promise<void> | void)[], options: Pick<ApiServerFixtureOptions, 'nodes' | 'serviceClusterIPRange'> = {}) {
  const etcd = await startEtcd({ tls: true });
  stops.push(() => etcd.stop());
  // SKIFF_BENCH_PROFILE_DIR=DIR: the API server writes a V8 CPU profile there when it stops.
  const profileDir = process.env.SKIFF_BENCH_PROFILE_DIR;
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : undefined;
  const api = await startApiServer({ etcd, tls: 'only', logLevel: 'warn', nodeArgs, ...options });
  stops.push(() => api.stop());
  const ca = await readFile(api.caFile as string);
  const admin = new RestClient({ server: api.url, token: api.adminToken, ca, namespace: 'default' }, { maxSockets: 128 });
  stops.push(() => admin.close());
  const schedulerClient = new RestClient({ server: api.url, token: api.schedulerToken, ca, namespace: 'default' }, { userAgent: 'skiff-scheduler' });
  stops.push(() => schedulerClient.close());
  return { etcd, api, ca, admin, schedulerClient };
}
