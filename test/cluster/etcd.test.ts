import { afterEach, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { etcdComponent, planEtcdCluster } from '../../cluster/etcd.js';
import { Supervisor } from '../../cluster/supervisor.js';
import { freePortRun } from '../fixtures/ports.js';

describe('managed etcd', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('plans 1 or 3 members and refuses other sizes', () => {
    expect(planEtcdCluster({ clientPort: 2379 }).endpoints).toBe('http://127.0.0.1:2379');
    const three = planEtcdCluster({ clientPort: 2379, members: 3 });
    expect(three.members.map((m) => m.peerUrl)).toEqual(['http://127.0.0.1:2380', 'http://127.0.0.1:2382', 'http://127.0.0.1:2384']);
    expect(() => planEtcdCluster({ clientPort: 2379, members: 2 })).toThrow(/1 or 3/);
  });

  it('runs a three-member cluster that keeps taking writes with one member down', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-etcd3-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const sup = new Supervisor({ logDir: path.join(dir, 'logs'), initialBackoffMs: 60_000 });
    cleanups.push(() => sup.stopAll());
    const plan = planEtcdCluster({ clientPort: await freePortRun(6), members: 3, prefix: `t${process.pid}` });
    for (const m of plan.members) await sup.start(etcdComponent(plan, m, dir));

    const client = new Etcd3({ hosts: plan.members.map((m) => m.clientUrl), dialTimeout: 2000 });
    cleanups.push(async () => client.close());
    const retry = async <T>(f: () => Promise<T>): Promise<T> => {
      for (let i = 0; ; i++) {
        try {
          return await f();
        } catch (e) {
          if (i > 100) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    await retry(async () => {
      await client.put('/skiff/a').value('1');
    });
    await sup.stopComponent(plan.members[0].name);
    await retry(async () => {
      await client.put('/skiff/b').value('2');
    });
    expect(await retry(() => client.get('/skiff/a').string())).toBe('1');
    expect(await retry(() => client.get('/skiff/b').string())).toBe('2');
  });
});
