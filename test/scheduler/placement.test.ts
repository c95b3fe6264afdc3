// The scheduler against a real etcd and API server, with hollow nodes: where pods land, the
// FailedScheduling message, placement once room appears, host ports, cordoned and NotReady
// nodes, and LeastAllocated spreading versus MostAllocated packing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Quantity } from '../../api/quantity.js';
import type { Pod } from '../../api/types/core.js';
import { parseExplainAnnotation } from '../../scheduler/explain.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { eventually, pod, podEvents, startTestCluster, type TestCluster } from './harness.js';

let etcd: EtcdFixture;
let cluster: TestCluster;

beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});
afterEach(async () => {
  await cluster?.stop();
});

async function boundNodeOf(c: TestCluster, name: string): Promise<string | undefined> {
  const p = await c.client.pods.get(name, { namespace: c.namespace });
  return p.spec.nodeName || undefined;
}

describe('scheduler placement', () => {
  it('puts pods only where they fit, and says why the rest fit nowhere', async () => {
    cluster = await startTestCluster(etcd);
    const c = cluster;
    const nodes = await c.nodes({ count: 3, cpu: '1', memory: '1Gi', prefix: 'small' });
    await c.startScheduler();
    await c.client.pods.create(pod('fits', { cpu: '500m', memory: '512Mi' }));
    const host = await eventually('fits to be bound', () => boundNodeOf(c, 'fits'));
    expect(nodes.names).toContain(host);

    // Two nodes lack memory, one lacks cpu: make them so by filling them first.
    const other = nodes.names.filter((n) => n !== host);
    await c.client.pods.create(pod('mem-hog', { cpu: '100m', memory: '900Mi' }));
    await c.client.pods.create(pod('cpu-hog', { cpu: '900m', memory: '100Mi' }));
    const memHost = await eventually('mem-hog bound', () => boundNodeOf(c, 'mem-hog'));
    const cpuHost = await eventually('cpu-hog bound', () => boundNodeOf(c, 'cpu-hog'));
    expect(new Set([host, memHost, cpuHost]).size).toBeGreaterThanOrEqual(2);
    expect(other.length).toBe(2);

    // Whatever the layout, a pod needing 600m and 600Mi fits none of them now.
    await c.client.pods.create(pod('too-big', { cpu: '600m', memory: '600Mi' }));
    const failed = await eventually('FailedScheduling for too-big', async () => {
      const evs = await podEvents(c.client, c.namespace, 'too-big');
      return evs.find((e) => e.reason === 'FailedScheduling');
    });
    expect(failed.type).toBe('Warning');
    expect(failed.message).toMatch(/^0\/3 nodes are available: /);
    // Kubernetes counts each reason over the nodes and sorts "N reason" strings.
    const reasons = (failed.message ?? '').replace(/^0\/3 nodes are available: /, '').replace(/\.$/, '').split(', ');
    expect([...reasons].sort()).toEqual(reasons);
    const cond = await eventually('PodScheduled=False', async () => {
      const p = await c.client.pods.get('too-big', { namespace: c.namespace });
      return p.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False');
    });
    expect(cond).toMatchObject({ reason: 'Unschedulable', message: failed.message });
    const explained = await eventually('explain annotation', async () => {
      const p = await c.client.pods.get('too-big', { namespace: c.namespace });
      return parseExplainAnnotation(p.metadata.annotations);
    });
    expect(explained).toMatchObject({ result: 'Unschedulable', nodes: 3, evaluated: 3, feasible: 0 });
    expect(Object.keys(explained.rejected).sort()).toEqual([...nodes.names].sort());
    expect(Object.values(explained.rejected).every((r) => r.plugin === 'NodeResourcesFit')).toBe(true);
  });

  it('gives the exact Kubernetes summary, then places the pod as soon as a node with room registers', async () => {
    cluster = await startTestCluster(etcd);
    const c = cluster;
    // Two nodes too small in memory, one too small in cpu.
    const nodes = await c.nodes({ count: 2, cpu: '4', memory: '256Mi', prefix: 'lowmem' });
    await nodes.add('lowcpu-0', { cpu: '250m', memory: '8Gi' });
    await c.startScheduler();
    await c.client.pods.create(pod('waiting', { cpu: '1', memory: '1Gi' }));
    const failed = await eventually('FailedScheduling', async () => (await podEvents(c.client, c.namespace, 'waiting')).find((e) => e.reason === 'FailedScheduling'));
    expect(failed.message).toBe('0/3 nodes are available: 1 Insufficient cpu, 2 Insufficient memory.');

    await nodes.add('roomy-0', { cpu: '2', memory: '2Gi' });
    expect(await eventually('waiting bound', () => boundNodeOf(c, 'waiting'), 10_000)).toBe('roomy-0');
    const scheduled = await eventually('Scheduled event', async () => (await podEvents(c.client, c.namespace, 'waiting')).find((e) => e.reason === 'Scheduled'));
    expect(scheduled).toMatchObject({ type: 'Normal', message: `Successfully assigned ${c.namespace}/waiting to roomy-0` });
    expect(scheduled.source?.component).toBe('default-scheduler');
  });

  it("binds docker's --memory 200m --memory-swap 1G --cpu-shares 1024: memory+swap is a limit, not a request", async () => {
    cluster = await startTestCluster(etcd);
    const c = cluster;
    // The node has 1 cpu and 512Mi: the pod fits only if its 1Gi of memory+swap is no request.
    const nodes = await c.nodes({ count: 1, cpu: '1', memory: '512Mi', prefix: 'swap' });
    await c.startScheduler();
    const web = pod('web', { cpu: '1' });
    const ctr = web.spec.containers[0];
    if (ctr) ctr.resources = { requests: { cpu: '1' }, limits: { memory: '200Mi', 'skiff.dev/memory-swap': '1Gi' } };
    await c.client.pods.create(web);
    expect(await eventually('web bound', () => boundNodeOf(c, 'web'), 10_000)).toBe(nodes.names[0]);
    const events = await podEvents(c.client, c.namespace, 'web');
    expect(events.filter((e) => e.reason === 'FailedScheduling')).toEqual([]);
    const stored = await c.client.pods.get('web', { namespace: c.namespace });
    expect(stored.spec.containers[0]?.resources).toEqual({ requests: { cpu: '1', memory: '200Mi' }, limits: { memory: '200Mi', 'skiff.dev/memory-swap': '1Gi' } });
  });

  it('never overcommits a node when 500 pods arrive at once', async () => {
    cluster = await startTestCluster(etcd);
    const c = cluster;
    // 10 nodes x 4 cpu = 40 cpu; 500 pods x 100m = 50 cpu: 400 fit, 100 must wait.
    const nodes = await c.nodes({ count: 10, cpu: '4', memory: '64Gi', pods: 110, prefix: 'burst', markRunning: false });
    const s = await c.startScheduler();
    const names = Array.from({ length: 500 }, (_, i) => `burst-${i}`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < names.length) await c.client.pods.create(pod(names[next++] as string, { cpu: '100m', memory: i2mem(next) }));
      }),
    );
    await eventually('400 bound', async () => (s.stats.scheduled >= 400 ? true : undefined), 100_000);
    await s.drain();
    const list = await c.client.pods.listAll({ namespace: c.namespace });
    const perNode = new Map<string, { cpu: number; mem: number; n: number }>();
    for (const p of list.items) {
      if (!p.spec.nodeName) continue;
      const r = requestsOf(p);
      const acc = perNode.get(p.spec.nodeName) ?? { cpu: 0, mem: 0, n: 0 };
      acc.cpu += r.cpu;
      acc.mem += r.mem;
      acc.n++;
      perNode.set(p.spec.nodeName, acc);
    }
    const bound = [...perNode.values()].reduce((a, b) => a + b.n, 0);
    expect(bound).toBe(400);
    for (const name of nodes.names) expect(perNode.get(name)?.cpu ?? 0).toBeLessThanOrEqual(4000);
    const pending = list.items.filter((p) => !p.spec.nodeName);
    expect(pending).toHaveLength(100);
    const ev = await eventually('FailedScheduling for a pending pod', async () =>
      (await podEvents(c.client, c.namespace, pending[0]?.metadata.name ?? '')).find((e) => e.reason === 'FailedScheduling'),
    );
    expect(ev.message).toBe('0/10 nodes are available: 10 Insufficient cpu.');
  }, 150_000);

  it('keeps hostPort users apart, and skips cordoned and NotReady nodes', async () => {
    cluster = await startTestCluster(etcd);
    const c = cluster;
    const nodes = await c.nodes({ count: 4, prefix: 'mixed' });
    const [cordoned, notReady, a, b] = nodes.names as [string, string, string, string];
    await nodes.cordon(cordoned);
    await nodes.setReady(notReady, 'False');
    await c.startScheduler();
    for (let i = 0; i < 3; i++) await c.client.pods.create(pod(`web-${i}`, { hostPort: 8080, cpu: '100m' }));
    const hosts = await eventually('two web pods bound', async () => {
      const ps = await c.client.pods.list({ namespace: c.namespace });
      const bound = ps.items.filter((p) => p.spec.nodeName).map((p) => p.spec.nodeName);
      return bound.length === 2 ? bound : undefined;
    });
    expect(new Set(hosts)).toEqual(new Set([a, b]));
    const unplaced = (await c.client.pods.list({ namespace: c.namespace })).items.find((p) => !p.spec.nodeName) as Pod;
    const ev = await eventually('FailedScheduling', async () => (await podEvents(c.client, c.namespace, unplaced.metadata.name ?? '')).find((e) => e.reason === 'FailedScheduling'));
    expect(ev.message).toBe(
      "0/4 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable, 2 node(s) didn't have free ports for the requested pod ports.",
    );
    // Plain pods also avoid the cordoned and NotReady nodes.
    for (let i = 0; i < 6; i++) await c.client.pods.create(pod(`plain-${i}`, { cpu: '100m' }));
    await eventually('plain pods bound', async () => {
      const ps = await c.client.pods.list({ namespace: c.namespace });
      const plain = ps.items.filter((p) => p.metadata.name?.startsWith('plain-'));
      return plain.every((p) => p.spec.nodeName) ? plain : undefined;
    }).then((plain) => {
      for (const p of plain) expect([a, b]).toContain(p.spec.nodeName);
    });
    // Uncordoning lets the waiting web pod in.
    await nodes.cordon(cordoned, false);
    expect(await eventually('third web pod bound', () => boundNodeOf(c, unplaced.metadata.name ?? ''))).toBe(cordoned);
  });

  it('spreads with LeastAllocated and packs with MostAllocated', async () => {
    cluster = await startTestCluster(etcd);
    const c = cluster;
    const scoreOnlyFit = (type: 'LeastAllocated' | 'MostAllocated', schedulerName: string) => ({
      schedulerName,
      plugins: { score: { disabled: [{ name: '*' }], enabled: [{ name: 'NodeResourcesFit', weight: 1 }] } },
      pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type } } }],
    });
    const spread = await c.nodes({ count: 4, cpu: '4', memory: '8Gi', prefix: 'spread', labels: { group: 'spread' } });
    const pack = await c.nodes({ count: 4, cpu: '4', memory: '8Gi', prefix: 'pack', labels: { group: 'pack' } });
    await c.startScheduler({ config: { profiles: [scoreOnlyFit('LeastAllocated', 'spreader'), scoreOnlyFit('MostAllocated', 'packer')] } });
    // One at a time, so each decision sees the previous one.
    for (let i = 0; i < 8; i++) {
      await c.client.pods.create(pod(`s-${i}`, { cpu: '250m', memory: '256Mi', schedulerName: 'spreader', nodeSelector: { group: 'spread' } }));
      await eventually(`s-${i} bound`, () => boundNodeOf(c, `s-${i}`));
      await c.client.pods.create(pod(`p-${i}`, { cpu: '250m', memory: '256Mi', schedulerName: 'packer', nodeSelector: { group: 'pack' } }));
      await eventually(`p-${i} bound`, () => boundNodeOf(c, `p-${i}`));
    }
    const ps = (await c.client.pods.list({ namespace: c.namespace })).items;
    const count = (prefix: string) => {
      const m = new Map<string, number>();
      for (const p of ps.filter((x) => x.metadata.name?.startsWith(prefix))) m.set(p.spec.nodeName ?? '', (m.get(p.spec.nodeName ?? '') ?? 0) + 1);
      return m;
    };
    const spreadCounts = count('s-');
    expect(spreadCounts.size).toBe(4);
    expect([...spreadCounts.values()]).toEqual([2, 2, 2, 2]);
    expect([...spreadCounts.keys()].every((n) => spread.names.includes(n))).toBe(true);
    const packCounts = count('p-');
    expect(packCounts.size).toBe(1);
    expect(pack.names).toContain([...packCounts.keys()][0]);
  });
});

function i2mem(i: number): string {
  return `${64 + (i % 4) * 32}Mi`;
}

function requestsOf(p: Pod): { cpu: number; mem: number } {
  let cpu = 0;
  let mem = 0;
  for (const c of p.spec.containers) {
    const r = c.resources?.requests ?? {};
    if (r.cpu !== undefined) cpu += Quantity.parse(r.cpu).milliValue();
    if (r.memory !== undefined) mem += Quantity.parse(r.memory).value();
  }
  return { cpu, mem };
}
