import { afterEach, describe, expect, it } from 'vitest';
import https from 'node:https';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureEtcdCredentials } from './etcd-credentials.js';
import { createCA, ensureCA, issueCertificate } from './pki.js';

function get(port: number, ca: string, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, ca, servername, path: '/' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
}

describe('cluster PKI', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('issues a serving certificate that a TLS client verifies against the CA, by IP and by name', async () => {
    const ca = await createCA('test-ca');
    const pair = await issueCertificate(ca, { commonName: 'kube-apiserver', hosts: ['127.0.0.1', 'localhost', '::1'], usage: 'server' });
    const server = https.createServer({ cert: pair.certPem, key: pair.keyPem }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const { port } = server.address() as AddressInfo;

    expect(await get(port, ca.certPem)).toBe('ok');
    expect(await get(port, ca.certPem, 'localhost')).toBe('ok');
    // Another CA's trust fails, and so does a name the certificate does not carry.
    const other = await createCA('other');
    await expect(get(port, other.certPem)).rejects.toThrow();
    await expect(get(port, ca.certPem, 'example.invalid')).rejects.toThrow(/altnames|Hostname/i);

    const cert = new X509Certificate(pair.certPem);
    expect(cert.subject).toContain('CN=kube-apiserver');
    expect(cert.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(tls.checkServerIdentity('localhost', { subjectaltname: cert.subjectAltName ?? '', subject: {} } as tls.PeerCertificate)).toBeUndefined();
  });

  it('creates the CA once and reloads it from disk, keys private', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-pki-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const first = await ensureCA(dir);
    const again = await ensureCA(dir);
    expect(again.certPem).toBe(first.certPem);
    expect((await stat(path.join(dir, 'ca.key'))).mode & 0o777).toBe(0o600);
    // A certificate issued by the reloaded CA chains to the original one.
    const client = await issueCertificate(again, { commonName: 'admin', organizations: ['system:masters'], usage: 'client' });
    expect(new X509Certificate(client.certPem).checkIssued(new X509Certificate(first.certPem))).toBe(true);
    expect(new X509Certificate(client.certPem).subject).toContain('O=system:masters');
  });

  it("gives etcd a CA of its own that signs only etcd's server, peer and API-server client certificates", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-pki-etcd-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const clusterCa = new X509Certificate((await ensureCA(path.join(dir, 'pki'))).certPem);
    const p = await ensureEtcdCredentials(dir);
    const load = async (f: string) => new X509Certificate(await readFile(f));
    const etcdCa = await load(p.caFile);
    expect(p.caFile).toBe(path.join(dir, 'pki', 'etcd', 'ca.crt'));
    expect(p.apiserverClient.certFile).toBe(path.join(dir, 'pki', 'apiserver-etcd-client.crt'));
    expect(etcdCa.subject).toBe('CN=etcd-ca');
    expect(etcdCa.fingerprint256).not.toBe(clusterCa.fingerprint256);

    const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
    const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
    for (const f of [p.server.certFile, p.peer.certFile]) {
      const c = await load(f);
      expect(c.checkIssued(etcdCa)).toBe(true);
      expect(c.checkIssued(clusterCa)).toBe(false);
      expect(c.keyUsage).toEqual(expect.arrayContaining([SERVER_AUTH, CLIENT_AUTH]));
      expect(c.subjectAltName).toContain('IP Address:127.0.0.1');
    }
    const client = await load(p.apiserverClient.certFile);
    expect(client.checkIssued(etcdCa)).toBe(true);
    expect(client.subject).toBe('CN=kube-apiserver-etcd-client');
    expect(client.keyUsage).toEqual([CLIENT_AUTH]);

    for (const f of [p.server.keyFile, p.peer.keyFile, p.apiserverClient.keyFile, path.join(dir, 'pki', 'etcd', 'ca.key')]) {
      expect((await stat(f)).mode & 0o777).toBe(0o600);
    }
    expect((await stat(path.join(dir, 'pki', 'etcd'))).mode & 0o777).toBe(0o700);

    // A restart keeps them; a new etcd CA reissues everything it signs.
    const again = await ensureEtcdCredentials(dir);
    expect(await readFile(again.server.certFile, 'utf8')).toBe(await readFile(p.server.certFile, 'utf8'));
    const oldClient = await readFile(p.apiserverClient.certFile, 'utf8');
    await rm(path.join(dir, 'pki', 'etcd', 'ca.crt'));
    await rm(path.join(dir, 'pki', 'etcd', 'ca.key'));
    const fresh = await ensureEtcdCredentials(dir);
    expect(await readFile(fresh.apiserverClient.certFile, 'utf8')).not.toBe(oldClient);
    expect((await load(fresh.apiserverClient.certFile)).checkIssued(await load(fresh.caFile))).toBe(true);
  });
});
