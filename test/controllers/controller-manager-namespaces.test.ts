// `skiff controller-manager` (the built process, with its own kubeconfig and token) runs the
// namespace controller: a deleted namespace is emptied and removed, and one the process was
// killed -9 in the middle of is finished by the next process. `skiff server` (what `skiff up`
// supervises) runs it too.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types/meta.js';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import { RestClient } from '../../client/rest.js';
import { startApiCluster, type ApiCluster } from '../fixtures/apiserver.js';
import { startEtcd } from '../fixtures/etcd.js';
import { eventually } from '../fixtures/eventually.js';
import { freePort, waitForPort } from '../fixtures/ports.js';
import { startSkiff, type Proc } from '../fixtures/process.js';

describe('skiff controller-manager and namespaces', () => {
  let cluster: ApiCluster;
  let admin: RestClient;
  let dir: string;
  let kubeconfig: string;
  let proc: Proc | undefined;

  const start = () => startSkiff(['controller-manager', `--kubeconfig=${kubeconfig}`]);
  const gone = (ns: string) => admin.namespaces.get(ns).then(
    () => false,
    (e: unknown) => (isApiError(e, 'NotFound') ? true : Promise.reject(e)),
  );

  beforeAll(async () => {
    cluster = await startApiCluster();
    admin = cluster.admin;
    dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-cm-ns-'));
    kubeconfig = path.join(dir, 'controller-manager.kubeconfig');
    await writeKubeconfig(kubeconfig, buildKubeconfig({ server: cluster.api.url, token: cluster.api.controllerManagerToken, name: 'cm' }));
  }, 60_000);

  afterAll(async () => {
    await proc?.stop();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('empties and removes a deleted namespace, and a restarted process finishes what a killed one began', async () => {
    proc = start();
    const ns = `cm-${process.pid}`;
    await admin.namespaces.create({ metadata: { name: ns } });
    await admin.pods.create({ metadata: { name: 'p', namespace: ns }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const cms = admin.resourceByName('configmaps', '');
    await cms.create({ metadata: { name: 'held', namespace: ns, finalizers: ['example.com/hold'] } } as KubeObject, { namespace: ns });
    await cms.create({ metadata: { name: 'free', namespace: ns } } as KubeObject, { namespace: ns });
    await admin.namespaces.delete(ns);

    // The process empties what it can and says what holds the namespace.
    await eventually(async () => {
      const n = await admin.namespaces.get(ns);
      return n.status?.conditions?.some((c) => c.type === 'NamespaceFinalizersRemaining' && c.status === 'True');
    }, `the namespace's conditions written (${proc.output().slice(-2000)})`);
    expect((await cms.list({ namespace: ns })).items.map((o) => o.metadata.name)).toEqual(['held']);
    expect((await admin.pods.list({ namespace: ns })).items).toEqual([]);

    await proc.kill9();
    await cms.patch('held', { metadata: { finalizers: null } }, { namespace: ns });
    expect(await gone(ns)).toBe(false);
    proc = start();
    await eventually(() => gone(ns), `namespace ${ns} removed by the restarted controller-manager (${proc.output().slice(-2000)})`);
    expect((await cms.list({ namespace: ns })).items).toEqual([]);
  }, 90_000);
});

describe('skiff server and namespaces', () => {
  it("empties and removes a deleted namespace with the server's own controller-manager", async () => {
    const etcd = await startEtcd();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-server-ns-'));
    let server: Proc | undefined;
    let admin: RestClient | undefined;
    try {
      const tokens = { admin: randomBytes(18).toString('base64url'), scheduler: randomBytes(18).toString('base64url'), cm: randomBytes(18).toString('base64url') };
      const tokenFile = path.join(dir, 'tokens.csv');
      await writeFile(
        tokenFile,
        `${tokens.admin},admin,admin-uid,"system:masters"\n${tokens.scheduler},system:kube-scheduler,scheduler-uid\n${tokens.cm},system:kube-controller-manager,cm-uid\n`,
        { mode: 0o600 },
      );
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const kc = async (name: string, token: string) => {
        const file = path.join(dir, `${name}.kubeconfig`);
        await writeKubeconfig(file, buildKubeconfig({ server: url, token, name }));
        return file;
      };
      server = startSkiff([
        'server',
        `--kube-apiserver-arg=--etcd-servers=${etcd.endpoint}`,
        `--kube-apiserver-arg=--port=${port}`,
        `--kube-apiserver-arg=--token-auth-file=${tokenFile}`,
        `--kube-scheduler-arg=--kubeconfig=${await kc('scheduler', tokens.scheduler)}`,
        `--kube-controller-manager-arg=--kubeconfig=${await kc('controller-manager', tokens.cm)}`,
      ]);
      await waitForPort(port, '127.0.0.1', 30_000);
      admin = new RestClient({ server: url, token: tokens.admin, namespace: 'default' });
      const client = admin;
      const ns = `server-${process.pid}`;
      await client.namespaces.create({ metadata: { name: ns } });
      await client.resourceByName('configmaps', '').create({ metadata: { name: 'c', namespace: ns } } as KubeObject, { namespace: ns });
      await client.pods.create({ metadata: { name: 'p', namespace: ns }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
      await client.namespaces.delete(ns);
      const proc = server;
      await eventually(
        () => client.namespaces.get(ns).then(() => false, (e: unknown) => (isApiError(e, 'NotFound') ? true : Promise.reject(e))),
        `namespace ${ns} removed (${proc.output().slice(-2000)})`,
      );
      expect((await client.resourceByName('configmaps', '').list({ namespace: ns })).items).toEqual([]);
      expect((await client.pods.list({ namespace: ns })).items).toEqual([]);
    } finally {
      admin?.close();
      await server?.stop();
      await etcd.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
