// A cluster for scheduler suites: one real etcd per file, and per test its own in-process API
// server on its own etcd prefix (so node counts in messages are exactly the test's nodes),
// an admin client, hollow nodes and an in-process scheduler, all stopped afterwards.
import { randomBytes } from 'node:crypto';
import { isApiError } from '../../api/errors.js';
import type { Event, Pod } from '../../api/types/core.js';
import type { RestClient } from '../../client/rest.js';
import type { SchedulerConfig } from '../../scheduler/framework/profile.js';
import type { Scheduler } from '../../scheduler/scheduler.js';
import { startApiCluster, type ApiServerFixture } from '../fixtures/apiserver.js';
import { eventually as sharedEventually } from '../fixtures/eventually.js';
import type { EtcdFixture } from '../fixtures/etcd.js';
import type { HollowNodes, HollowNodesOptions } from '../fixtures/hollow-nodes.js';

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
  const namespace = `sched-${id}`;
  // etcd is the file's: stop() leaves it running.
  const cluster = await startApiCluster({ etcd, etcdPrefix: `/skiff-sched-${id}`, namespace });
  return {
    api: cluster.api,
    client: cluster.client(cluster.api.adminToken, { namespace, maxSockets: 32 }),
    namespace,
    nodes: (o) => cluster.hollowNodes(o),
    startScheduler: (o = {}) => cluster.startScheduler({ ...o, identity: `test-${id}` }),
    stop: () => cluster.stop(),
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
