// A cluster for scheduler suites: one real etcd per file, and per test its own in-process API
// server on its own etcd prefix (so node counts in messages are exactly the test's nodes),
// an admin client, hollow nodes and an in-process scheduler, all stopped afterwards.
import { randomBytes } from 'node:crypto';
import { isApiError } from '../../api/errors.js';
import type { Event, Pod } from '../../api/types/core.js';
import { RestClient } from '../../client/rest.js';
import type { SchedulerConfig } from '../../scheduler/framework/profile.js';
import { Scheduler } from '../../scheduler/scheduler.js';
import type { ApiServerFixture } from '../fixtures/apiserver.js';
import { eventually as sharedEventually } from '../fixtures/eventually.js';
import { startApiServer } from '../fixtures/apiserver.js';
import type { EtcdFixture } from '../fixtures/etcd.js';
import { startHollowNodes, type HollowNodes, type HollowNodesOptions } from '../fixtures/hollow-nodes.js';

export interface TestCluster {
  api: ApiServerFixture;
  client: RestClient;
  namespace: string;
  nodes(o: Omit<HollowNodesOptions, 'client'>): Promise<HollowNodes>;
  startScheduler(o?: { config?: SchedulerConfig }): Promise<Scheduler>;
  stop(): Promise<void>;
}

export async function startTestCluster(etcd: EtcdFixture): Promise<TestCluster> {
  const id = randomBytes(4).toString('hex');
  const api = await startApiServer({ etcd, inProcess: true, etcdPrefix: `/skiff-sched-${id}` });
  const client = new RestClient({ server: api.url, token: api.adminToken, namespace: `sched-${id}` }, { maxSockets: 32 });
  const namespace = `sched-${id}`;
  await client.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const hollow: HollowNodes[] = [];
  const clients: RestClient[] = [];
  const schedulers: { s: Scheduler; ac: AbortController; done: Promise<void> }[] = [];
  return {
    api,
    client,
    namespace,
    async nodes(o) {
      const h = await startHollowNodes({ client, leaseRenewMs: 60_000, ...o });
      hollow.push(h);
      return h;
    },
    async startScheduler(o = {}) {
      // The scheduler runs as system:kube-scheduler, so the API server's authorization applies.
      const schedClient = new RestClient({ server: api.url, token: api.schedulerToken, namespace: 'default' });
      clients.push(schedClient);
      const s = new Scheduler({ client: schedClient, config: o.config, identity: `test-${id}` });
      const ac = new AbortController();
      const done = s.run(ac.signal);
      schedulers.push({ s, ac, done });
      // Wait for the informers to have listed, so tests start from a known state.
      await sharedEventually(() => s.pods.hasSynced && s.nodes.hasSynced, "the scheduler's informers to list", 30_000, { intervalMs: 10 });
      return s;
    },
    async stop() {
      for (const { ac } of schedulers) ac.abort();
      await Promise.allSettled(schedulers.map((x) => x.done));
      await Promise.allSettled(hollow.map((h) => h.stop()));
      client.close();
      for (const c of clients) c.close();
      await api.stop();
    },
  };
}

export function pod(name: string, o: { cpu?: string; memory?: string; hostPort?: number; schedulerName?: string; nodeSelector?: Record<string, string> } = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      schedulerName: o.schedulerName,
      nodeSelector: o.nodeSelector,
      containers: [
        {
          name: 'app',
          image: 'busybox',
          resources: { requests },
          ports: o.hostPort ? [{ containerPort: o.hostPort, hostPort: o.hostPort }] : undefined,
        },
      ],
    },
  };
}

/** The shared `eventually`, in this harness's argument order: an API error means "not yet", any other fails at once. */
export const eventually = <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> =>
  sharedEventually(check, what, timeoutMs, { intervalMs: 50, retryOn: isApiError });

export async function podEvents(client: RestClient, namespace: string, podName: string): Promise<Event[]> {
  const list = await client.events.list({ namespace });
  return list.items.filter((e) => e.involvedObject.name === podName);
}
