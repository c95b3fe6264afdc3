// Two `skiff scheduler --leader-elect` processes against a real API server: only the holder
// of the Lease binds pods, and SIGKILLing it hands the work to the other within a lease.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import { RestClient } from '../../client/rest.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { startHollowNodes, type HollowNodes } from '../fixtures/hollow-nodes.js';
import { startSkiff, type Proc } from '../fixtures/process.js';
import { eventually, pod, podEvents } from './harness.js';

let etcd: EtcdFixture;
let api: ApiServerFixture;
let client: RestClient;
let nodes: HollowNodes;
let dir: string;
const procs: Proc[] = [];
const ns = `le-${randomBytes(3).toString('hex')}`;
// The scheduler's bootstrap role may get and update only the lease of this name; the suite's
// etcd is its own, so no other run shares it.
const lease = 'kube-scheduler';

beforeAll(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcd, inProcess: true });
  client = new RestClient({ server: api.url, token: api.adminToken, namespace: ns });
  await client.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  nodes = await startHollowNodes({ client, count: 2, leaseRenewMs: 60_000 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-le-'));
});

afterAll(async () => {
  await Promise.allSettled(procs.map((p) => p.stop(3000)));
  await nodes?.stop();
  client?.close();
  await api?.stop();
  await etcd?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function startReplica(identity: string): Promise<Proc> {
  const file = path.join(dir, `${identity}.kubeconfig`);
  await writeKubeconfig(file, buildKubeconfig({ server: api.url, token: api.schedulerToken }));
  const p = startSkiff([
    'scheduler',
    `--kubeconfig=${file}`,
    '--leader-elect',
    `--identity=${identity}`,
    `--leader-elect-resource-name=${lease}`,
    '--leader-elect-lease-duration=2',
    '--leader-elect-renew-deadline=1.5',
    '--leader-elect-retry-period=0.25',
  ]);
  procs.push(p);
  return p;
}

async function holder(): Promise<string | undefined> {
  const l = await client.leases.get(lease, { namespace: 'kube-system' });
  return l.spec?.holderIdentity ?? undefined;
}

describe('scheduler leader election', () => {
  it('binds only through the leader, and hands over when the leader is killed', async () => {
    const replicas = new Map([
      ['sched-a', await startReplica('sched-a')],
      ['sched-b', await startReplica('sched-b')],
    ]);
    // Generous waits: two tsx processes starting on a busy 2-core machine can take a while.
    const leader = await eventually('a lease holder', holder, 60_000);
    expect(replicas.has(leader)).toBe(true);
    const follower = leader === 'sched-a' ? 'sched-b' : 'sched-a';

    for (let i = 0; i < 3; i++) await client.pods.create(pod(`before-${i}`, { cpu: '100m' }));
    for (let i = 0; i < 3; i++) {
      const ev = await eventually(`before-${i} Scheduled`, async () => (await podEvents(client, ns, `before-${i}`)).find((e) => e.reason === 'Scheduled'), 45_000);
      expect(ev.reportingInstance).toBe(leader);
    }

    await replicas.get(leader)?.kill9();
    await client.pods.create(pod('after', { cpu: '100m' }));
    const ev = await eventually('after Scheduled', async () => (await podEvents(client, ns, 'after')).find((e) => e.reason === 'Scheduled'), 45_000);
    expect(ev.reportingInstance).toBe(follower);
    expect(await holder()).toBe(follower);
    const bound = await client.pods.get('after');
    expect(nodes.names).toContain(bound.spec.nodeName);
  }, 180_000);
});
