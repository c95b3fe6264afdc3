// A second lab, set up for failure experiments: three etcd members, a scheduler profile
// that packs (NodeResourcesFit MostAllocated, manifests/scheduler-most-allocated.yaml) and a
// 20 s node grace period. On it: six pods pack onto as few nodes as their requests allow
// (lab.test.ts shows the default spreading them 2/2/2); with the etcd leader stopped the
// API server keeps taking writes, the members speaking peer TLS with certificates from etcd's
// own CA; a partitioned node goes Unknown, new pods avoid it, and after heal-node it is Ready
// again. The lab's state is closed to other users.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { etcdClientCredentials, etcdPkiPaths } from '../../cluster/etcd-credentials.js';
import type { Node, Pod } from '../../api/types/core.js';
import type { RestClient } from '../../client/rest.js';
import { eventuallyInLab, skiff, startLab, type Lab } from './lab-fixture.js';
import { isAlive } from '../../cluster/state.js';
import { repoRoot } from '../fixtures/process.js';
import { tlsRequest } from '../fixtures/etcd.js';

function pod(name: string, image: string): Pod {
  return {
    metadata: { name, namespace: 'default', labels: { app: 'pack' } },
    // Four of these fill a node of 2 CPUs exactly.
    spec: { containers: [{ name: 'c', image, command: ['sleep', '3600'], resources: { requests: { cpu: '500m', memory: '64Mi' } } }] },
  };
}

const readyStatus = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;

describe('skiff lab: packing, etcd quorum, partition', () => {
  const lab = `ha${process.pid % 100000}`;
  let base = '';
  let dir = '';
  let client: RestClient;
  let image = '';
  let etcdUrls: string[] = [];
  let etcdPeerUrls: string[] = [];
  const byNode = new Map<string, string[]>();

  let L: Lab | undefined;

  beforeAll(async () => {
    L = await startLab(lab, [
      '--nodes', '3', '--node-capacity', 'cpu=2,memory=4Gi',
      '--etcd-members', '3',
      '--scheduler-config', path.join(repoRoot, 'manifests', 'scheduler-most-allocated.yaml'),
      '--node-monitor-grace-period', '20s',
    ]);
    expect(L.upOutput).toContain(`lab ${lab} is up`);
    ({ base, dir, client, image } = L);
    etcdUrls = L.state.etcd.members.map((m) => m.clientUrl);
    etcdPeerUrls = L.state.etcd.members.map((m) => m.peerUrl);
  }, 300_000);

  afterAll(async () => {
    await L?.down();
  }, 300_000);

  it('packs six pods onto as few nodes as their requests allow under MostAllocated', async () => {
    for (let i = 1; i <= 6; i++) await client.pods.create(pod(`pack-${i}`, image), { namespace: 'default' });
    const running = await eventuallyInLab('6 pods running', async () => {
      const pods = (await client.pods.list({ namespace: 'default' })).items;
      return pods.length === 6 && pods.every((p) => p.status?.phase === 'Running') && pods;
    });
    for (const p of running) byNode.set(p.spec.nodeName ?? '', [...(byNode.get(p.spec.nodeName ?? '') ?? []), p.metadata.name ?? '']);
    // 4 x 500m fill one node; the other two go together on a second; the third node stays empty.
    expect([...byNode.values()].map((ps) => ps.length).sort()).toEqual([2, 4]);
  }, 180_000);

  it('keeps its state private: node roots closed, no key, token or kubeconfig readable by others', async () => {
    for (const d of ['.', 'nodes/1', 'nodes/2', 'nodes/3', 'pki/etcd', 'etcd', 'kubeconfigs']) expect((await stat(path.join(dir, d))).mode & 0o777, d).toBe(0o700);
    const { stdout } = await promisify(execFile)('find', [dir, '-xdev', '-type', 'f', '-perm', '/o+r']);
    // Keys, tokens, kubeconfigs, registry configuration, containers' specs and records (pods' env).
    const secret = /(\.key|\.csv|\.token|kubeconfig|\.ya?ml|\/config\.json|\/meta\.\d+\.json)$/;
    expect(stdout.split('\n').filter((f) => secret.test(f))).toEqual([]);
  });

  it('runs etcd with peer TLS: a handshake to a peer port without a peer certificate is refused', async () => {
    const pki = etcdPkiPaths(dir);
    const ca = await readFile(pki.caFile);
    const handshake = (port: number, cert?: { cert: Buffer; key: Buffer }) => tlsRequest(port, { ca, ...cert });
    expect(etcdPeerUrls).toHaveLength(3);
    for (const url of etcdPeerUrls) {
      expect(url).toMatch(/^https:/);
      const port = Number(new URL(url).port);
      await expect(handshake(port)).rejects.toThrow(/alert bad certificate|certificate required/);
      expect(await handshake(port, { cert: await readFile(pki.peer.certFile), key: await readFile(pki.peer.keyFile) })).toMatch(/^HTTP\/1\.1 200/);
    }
  });

  it('keeps serving writes through the API with the etcd leader stopped, and the member catches up', async () => {
    const credentials = await etcdClientCredentials(etcdPkiPaths(dir).apiserverClient);
    const members = etcdUrls.map((url) => new Etcd3({ hosts: url, dialTimeout: 2000, credentials }));
    try {
      const statuses = await Promise.all(members.map((m) => m.maintenance.status()));
      const leader = statuses.findIndex((s) => s.header.member_id === s.leader);
      expect(leader).toBeGreaterThanOrEqual(0);
      const componentPid = () =>
        (JSON.parse(readFileSync(path.join(dir, 'status.json'), 'utf8')) as { components: { name: string; pid?: number }[] }).components.find(
          (c) => c.name === `lab-${lab}-etcd-${leader}`,
        )?.pid;
      const pid = componentPid();
      expect(pid && isAlive(pid)).toBe(true);

      await skiff(['lab', 'stop-etcd', lab, String(leader), '--state-dir', base]);
      await eventuallyInLab('the etcd leader gone', async () => !isAlive(pid as number), 30_000);
      // Two members of three still make a quorum: a new namespace and a pod in it go in and read back.
      const ns = `quorum-${process.pid}`;
      await eventuallyInLab('a namespace created', () => client.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }), 30_000);
      const created = await eventuallyInLab('a pod created', () => client.pods.create({ ...pod('while-down', image), metadata: { name: 'while-down', namespace: ns } }, { namespace: ns }), 30_000);
      expect((await client.pods.get('while-down', { namespace: ns })).metadata.uid).toBe(created.metadata.uid);
      expect((await client.namespaces.get(ns)).metadata.name).toBe(ns);
      await client.pods.delete('while-down', { namespace: ns, gracePeriodSeconds: 0 }).catch(() => undefined);

      // Restored, the stopped member serves what was written without it.
      await skiff(['lab', 'start-etcd', lab, String(leader), '--state-dir', base]);
      const value = await eventuallyInLab(
        'the restarted member caught up',
        () => members[leader].getAll().prefix('/registry/namespaces/').keys().then((keys) => keys.find((k) => k.endsWith(`/${ns}`))),
        30_000,
      );
      expect(value).toBeTruthy();
      expect(componentPid()).not.toBe(pid);
    } finally {
      for (const m of members) m.close();
    }
  }, 120_000);

  it('marks a partitioned node Unknown, places new pods elsewhere, and has it Ready again after heal', async () => {
    // The node with two pods is where MostAllocated would put the next one, had it not been cut off.
    const [half] = [...byNode.entries()].find(([, ps]) => ps.length === 2) ?? [''];
    const [full] = [...byNode.entries()].find(([, ps]) => ps.length === 4) ?? [''];
    const k = half.slice(lab.length + 1);
    await skiff(['lab', 'partition-node', lab, k, '--state-dir', base]);
    try {
      await eventuallyInLab(`node ${half} Unknown`, async () => readyStatus(await client.nodes.get(half)) === 'Unknown', 90_000);
      await client.pods.create(pod('after-partition', image), { namespace: 'default' });
      const placed = await eventuallyInLab('after-partition bound', async () => {
        const p = await client.pods.get('after-partition', { namespace: 'default' });
        return p.spec.nodeName ? p : undefined;
      });
      // Not the partitioned node, not the full one: the empty third node.
      expect(placed.spec.nodeName).not.toBe(half);
      expect(placed.spec.nodeName).not.toBe(full);
    } finally {
      await skiff(['lab', 'heal-node', lab, k, '--state-dir', base]);
    }
    const healed = await eventuallyInLab(`node ${half} Ready again`, async () => {
      const n = await client.nodes.get(half);
      return readyStatus(n) === 'True' && !(n.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/unreachable') && n;
    }, 120_000);
    expect(readyStatus(healed)).toBe('True');
  }, 300_000);
});
