// The managed etcd as `skiff up` and labs run it: mutual TLS on every listener with a CA of its
// own. Real etcd members under the supervisor; real etcdctl, as root and as uid nobody.
import { afterEach, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { etcdComponent, planEtcdCluster } from '../../cluster/etcd.js';
import { ensureEtcdCredentials, etcdClientCredentials } from '../../cluster/etcd-credentials.js';
import { Supervisor } from '../../cluster/supervisor.js';
import { startApiServer } from '../fixtures/apiserver.js';
import { tlsRequest } from '../fixtures/etcd.js';
import { eventually } from '../fixtures/eventually.js';
import { freePortRun } from '../fixtures/ports.js';

const exec = promisify(execFile);

/** f's answer once it stops throwing (etcd members still finding each other, or electing). */
const retry = async <T>(f: () => Promise<T>, what = 'etcd to answer'): Promise<T> =>
  (await eventually(async () => ({ value: await f() }), what, 30_000, { intervalMs: 100 })).value;

/** etcdctl's exit and output; `asNobody` runs it as uid nobody with no groups. */
async function etcdctl(args: string[], asNobody = false): Promise<{ ok: boolean; out: string }> {
  const argv = ['--dial-timeout=2s', '--command-timeout=3s', ...args];
  const [cmd, ...rest] = asNobody ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', 'etcdctl', ...argv] : ['etcdctl', ...argv];
  try {
    const { stdout, stderr } = await exec(cmd, rest, { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 20_000 });
    return { ok: true, out: stdout + stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}${err.message}` };
  }
}


describe('managed etcd', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('plans 1 or 3 members, all on https, and refuses other sizes', () => {
    expect(planEtcdCluster({ clientPort: 2379 }).endpoints).toBe('https://127.0.0.1:2379');
    const three = planEtcdCluster({ clientPort: 2379, members: 3 });
    expect(three.members.map((m) => m.peerUrl)).toEqual(['https://127.0.0.1:2380', 'https://127.0.0.1:2382', 'https://127.0.0.1:2384']);
    expect(() => planEtcdCluster({ clientPort: 2379, members: 2 })).toThrow(/1 or 3/);
  });

  it('runs a three-member cluster that keeps taking writes with one member down', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-etcd3-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const sup = new Supervisor({ logDir: path.join(dir, 'logs'), initialBackoffMs: 60_000 });
    cleanups.push(() => sup.stopAll());
    const plan = planEtcdCluster({ clientPort: await freePortRun(6), members: 3, prefix: `t${process.pid}` });
    const pki = await ensureEtcdCredentials(dir);
    for (const m of plan.members) await sup.start(etcdComponent(plan, m, dir, pki));

    // The members find each other over peer TLS; the client comes with the API server's certificate.
    const client = new Etcd3({ hosts: plan.members.map((m) => m.clientUrl), dialTimeout: 2000, credentials: await etcdClientCredentials(pki.apiserverClient) });
    cleanups.push(async () => client.close());
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

  it('takes only clients with a certificate from its own CA, on client and peer ports alike', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-etcd-tls-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const sup = new Supervisor({ logDir: path.join(dir, 'logs'), initialBackoffMs: 60_000 });
    cleanups.push(() => sup.stopAll());
    const clientPort = await freePortRun(2);
    const plan = planEtcdCluster({ clientPort, prefix: `tls${process.pid}` });
    const pki = await ensureEtcdCredentials(dir);
    await sup.start(etcdComponent(plan, plan.members[0], path.join(dir, 'etcd'), pki));
    const endpoint = `--endpoints=${plan.endpoints}`;
    const api = pki.apiserverClient;
    const withCert = [endpoint, `--cacert=${api.caFile}`, `--cert=${api.certFile}`, `--key=${api.keyFile}`];

    // With the API server's client certificate, as root: reads and writes.
    await retry(async () => {
      const r = await etcdctl([...withCert, 'put', '/registry/namespaces/tls', 'v1']);
      if (!r.ok) throw new Error(r.out);
    });
    const got = await etcdctl([...withCert, 'get', '/registry', '--prefix']);
    expect(got.ok).toBe(true);
    expect(got.out).toContain('/registry/namespaces/tls');

    // As root, trusting etcd's CA but with no client certificate: nothing.
    const noCert = [endpoint, `--cacert=${api.caFile}`];
    for (const args of [['get', '/registry', '--prefix'], ['put', '/registry/x', 'y']]) {
      const r = await etcdctl([...noCert, ...args]);
      expect(r.ok, r.out).toBe(false);
      expect(r.out).not.toContain('/registry/namespaces/tls');
    }
    // As nobody: nothing without a certificate, and the API server's key is not nobody's to read.
    for (const args of [['get', '/registry', '--prefix'], ['put', '/registry/x', 'y']]) {
      const r = await etcdctl([endpoint, '--insecure-skip-tls-verify', ...args], true);
      expect(r.ok, r.out).toBe(false);
      expect(r.out).not.toContain('/registry/namespaces/tls');
      const stolen = await etcdctl([...withCert, ...args], true);
      expect(stolen.ok, stolen.out).toBe(false);
      expect(stolen.out).toMatch(/permission denied/);
    }
    // etcd itself says why: the TLS handshakes came with no certificate.
    const etcdLog = await readFile(path.join(dir, 'logs', `${plan.members[0].name}.log`), 'utf8');
    expect(etcdLog).toMatch(/rejected connection[^\n]*(didn't provide a certificate|certificate required)/);
    // Plain HTTP is not spoken at all.
    expect((await etcdctl([`--endpoints=http://127.0.0.1:${clientPort}`, 'get', '/registry', '--prefix'])).ok).toBe(false);
    expect((await etcdctl([...withCert, 'get', '/registry/x'])).out).not.toContain('/registry/x');

    // The peer port: a handshake without a peer certificate is refused; with one, etcd answers.
    const ca = await readFile(pki.caFile);
    const peerPort = clientPort + 1;
    // A certificate of another CA (the cluster CA, say) is refused just the same.
    const { createCA, issueCertificate } = await import('../../cluster/pki.js');
    const other = await issueCertificate(await createCA('other-ca'), { commonName: 'intruder', hosts: ['127.0.0.1'], usage: 'both' });
    await expect(tlsRequest(peerPort, { ca })).rejects.toThrow(/alert bad certificate|certificate required/);
    await expect(tlsRequest(clientPort, { ca })).rejects.toThrow(/alert bad certificate|certificate required/);
    await expect(tlsRequest(peerPort, { ca, cert: other.certPem, key: other.keyPem })).rejects.toThrow(/alert bad certificate|unknown ca/);
    const peer = { ca, cert: await readFile(pki.peer.certFile), key: await readFile(pki.peer.keyFile) };
    expect(await tlsRequest(peerPort, peer)).toMatch(/^HTTP\/1\.1 200/);

    // `skiff apiserver` with kube-apiserver's --etcd-cafile/--etcd-certfile/--etcd-keyfile keeps its objects there.
    const server = await startApiServer({ etcd: { endpoint: plan.endpoints, tls: api } });
    cleanups.push(() => server.stop());
    const res = await fetch(`${server.url}/api/v1/namespaces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'over-tls' } }),
    });
    expect(res.status).toBe(201);
    expect((await etcdctl([...withCert, 'get', '/registry/namespaces/over-tls', '--keys-only'])).out).toContain('/registry/namespaces/over-tls');
  }, 120_000);
});
