// The client against the real API server on a real etcd: kubeconfig -> RestClient, CRUD and
// patch flavours, errors as ApiError with the server's Status, watch, the informer (including
// a relist after a real 410), and leader election through a real Lease.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../api/errors.js';
import type { Pod } from '../../api/types/core.js';
import { Informer, listWatch, type ListWatch } from '../../client/informer.js';
import { buildKubeconfig, connectionFromKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import { LeaderElector } from '../../client/leader-election.js';
import { RestClient } from '../../client/rest.js';
import type { WatchEventOf } from '../../client/watch.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { eventually } from '../fixtures/eventually.js';

let etcd: EtcdFixture;
let api: ApiServerFixture;
let client: RestClient;
let dir: string;
const ns = `client-${randomBytes(3).toString('hex')}`;

const pod = (name: string, labels: Record<string, string> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'app', image: 'busybox' }] },
});

/** Compacts etcd's history up to now, so old resourceVersions are really gone. */
async function compactEtcd(): Promise<void> {
  const e = new Etcd3({ hosts: etcd.endpoint });
  try {
    const rv = (await client.pods.list()).metadata.resourceVersion ?? '1';
    await e.kv.compact({ revision: rv, physical: true });
  } finally {
    e.close();
  }
}

const until = <T>(what: string, f: () => T | undefined, ms = 10_000): Promise<T> => eventually(f, what, ms, { intervalMs: 20 });

beforeAll(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcd, inProcess: true });
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-client-'));
  const file = path.join(dir, 'kubeconfig');
  await writeKubeconfig(file, buildKubeconfig({ server: api.url, token: api.adminToken, namespace: ns }));
  client = new RestClient(connectionFromKubeconfig({ kubeconfig: file }));
  await client.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});

afterAll(async () => {
  client?.close();
  await api?.stop();
  await etcd?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('RestClient on the real API server', () => {
  it('creates, reads, lists by label, updates with conflicts, patches three ways, deletes', async () => {
    const created = await client.pods.create(pod('crud', { app: 'web' }));
    expect(created.metadata).toMatchObject({ name: 'crud', namespace: ns });
    await client.pods.create(pod('other', { app: 'db' }));
    const web = await client.pods.list({ labelSelector: 'app=web' });
    expect(web.items.map((p) => p.metadata.name)).toEqual(['crud']);
    expect(Number(web.metadata.resourceVersion)).toBeGreaterThan(0);

    const fresh = await client.pods.get('crud');
    const updated = await client.pods.update({ ...fresh, metadata: { ...fresh.metadata, labels: { app: 'web', v: '2' } } });
    const stale = await client.pods.update({ ...fresh, metadata: { ...fresh.metadata, labels: { app: 'stale' } } }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ApiError);
    expect(stale).toMatchObject({ code: 409, reason: 'Conflict' });

    const merged = await client.pods.patch('crud', { metadata: { labels: { merged: 'yes' } } });
    expect(merged.metadata.labels).toMatchObject({ app: 'web', v: '2', merged: 'yes' });
    const json = await client.pods.patch('crud', [{ op: 'remove', path: '/metadata/labels/v' }], { type: 'json' });
    expect(json.metadata.labels?.v).toBeUndefined();
    const strategic = await client.pods.patch('crud', { metadata: { annotations: { note: 'smp' } } }, { type: 'strategic' });
    expect(strategic.metadata.annotations?.note).toBe('smp');
    expect(Number(strategic.metadata.resourceVersion)).toBeGreaterThan(Number(updated.metadata.resourceVersion));

    await client.pods.delete('other');
    const gone = await client.pods.get('other').catch((e: unknown) => e);
    expect(gone).toMatchObject({ code: 404, reason: 'NotFound' });
  });

  it('carries Invalid causes and AlreadyExists from the server', async () => {
    const dup = await client.pods.create(pod('crud')).catch((e: unknown) => e);
    expect(dup).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    const bad = await client.pods.create({ ...pod('bad'), spec: { containers: [] } }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ApiError);
    expect((bad as ApiError).code).toBe(422);
    expect((bad as ApiError).details?.causes?.length).toBeGreaterThan(0);
  });

  it('watches from a list resourceVersion and sees changes in order', async () => {
    const list = await client.pods.list();
    const ac = new AbortController();
    const seen: string[] = [];
    const events = await client.pods.watch({ resourceVersion: list.metadata.resourceVersion, signal: ac.signal });
    const reading = (async () => {
      for await (const ev of events) {
        if (ev.type === 'ERROR' || ev.type === 'BOOKMARK') continue;
        seen.push(`${ev.type} ${ev.object.metadata.name}`);
        if (seen.length === 3) ac.abort();
      }
    })();
    await client.pods.create(pod('watched'));
    await client.pods.patch('watched', { metadata: { labels: { x: '1' } } });
    await client.pods.delete('watched', { gracePeriodSeconds: 0 });
    await reading;
    expect(seen).toEqual(['ADDED watched', 'MODIFIED watched', 'DELETED watched']);
  });

  it('answers a compacted resourceVersion with 410 Expired', async () => {
    await client.pods.create(pod('before-compaction'));
    await compactEtcd();
    let err: unknown;
    try {
      for await (const ev of await client.pods.watch({ resourceVersion: '1' })) {
        if (ev.type === 'ERROR') err = ApiError.fromStatus(ev.object);
        break;
      }
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 410 });
  });
});

describe('Informer on the real API server', () => {
  it('mirrors the server, and relists after a real 410', async () => {
    const real = listWatch(client.pods, { namespace: ns });
    let watches = 0;
    let lists = 0;
    // The first watch asks for revision 1, long gone: the server answers 410 and the informer must list again.
    const lw: ListWatch<Pod> = {
      list: (s) => (lists++, real.list(s)),
      watch: (rv, s) => real.watch(watches++ === 0 ? '1' : rv, s),
    };
    const inf = new Informer(lw, { initialBackoffMs: 50 });
    const added: string[] = [];
    const deleted: string[] = [];
    inf.on('add', (p) => added.push(p.metadata.name ?? ''));
    inf.on('delete', (p) => deleted.push(p.metadata.name ?? ''));
    await inf.start();
    await until('relist', () => (lists >= 2 ? true : undefined));
    expect(inf.get('crud', ns)).toBeDefined();
    await client.pods.create(pod('inf-a'));
    await until('inf-a in cache', () => inf.get('inf-a', ns));
    await client.pods.delete('inf-a', { gracePeriodSeconds: 0 });
    await until('inf-a gone', () => (inf.get('inf-a', ns) ? undefined : true));
    expect(added).toContain('inf-a');
    expect(deleted).toContain('inf-a');
    await inf.stop();
  });
});

describe('LeaderElector on a real Lease', () => {
  it('elects one leader, and hands over when it stops', async () => {
    const name = `le-${randomBytes(3).toString('hex')}`;
    const leading: string[] = [];
    const make = (identity: string) =>
      new LeaderElector({
        client,
        namespace: 'kube-system',
        name,
        identity,
        leaseDurationSeconds: 2,
        renewDeadlineMs: 1500,
        retryPeriodMs: 200,
        onStartedLeading: () => void leading.push(identity),
      });
    const a = make('a');
    const b = make('b');
    const acA = new AbortController();
    const acB = new AbortController();
    const runA = a.run(acA.signal);
    await until('a leads', () => (a.isLeader ? true : undefined));
    const runB = b.run(acB.signal);
    await new Promise((r) => setTimeout(r, 600));
    expect(b.isLeader).toBe(false);
    expect(b.leader).toBe('a');
    acA.abort();
    await runA;
    await until('b leads', () => (b.isLeader ? true : undefined), 5000);
    const lease = await client.leases.get(name, { namespace: 'kube-system' });
    expect(lease.spec).toMatchObject({ holderIdentity: 'b', leaseDurationSeconds: 2 });
    expect(lease.spec?.leaseTransitions).toBeGreaterThanOrEqual(1);
    expect(leading).toEqual(['a', 'b']);
    acB.abort();
    await runB;
  });

  it('never has two leaders when both race for a fresh lease', async () => {
    const name = `race-${randomBytes(3).toString('hex')}`;
    const electors = ['x', 'y', 'z'].map(
      (identity) => new LeaderElector({ client, namespace: 'kube-system', name, identity, leaseDurationSeconds: 5, retryPeriodMs: 100, onStartedLeading: () => undefined }),
    );
    const acs = electors.map(() => new AbortController());
    const runs = electors.map((e, i) => e.run((acs[i] as AbortController).signal));
    await until('a leader', () => (electors.some((e) => e.isLeader) ? true : undefined));
    for (let i = 0; i < 10; i++) {
      expect(electors.filter((e) => e.isLeader).length).toBeLessThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const ac of acs) ac.abort();
    await Promise.all(runs);
  });
});

export type { WatchEventOf };
