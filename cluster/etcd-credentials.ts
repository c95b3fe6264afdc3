// The certificates of a managed etcd, laid out as kubeadm lays them out. etcd trusts every
// certificate its CA signs (--client-cert-auth checks the chain, nothing more), so that CA is
// one of its own and signs only etcd's server and peer certificates and the API server's
// client certificate; the cluster CA, which signs kubelets' certificates too, is never trusted
// by etcd.
//   pki/etcd/ca.{crt,key}                   etcd's CA
//   pki/etcd/server.{crt,key}               client-facing listeners (serverAuth + clientAuth:
//                                           etcd's gateway dials its own listener with it)
//   pki/etcd/peer.{crt,key}                 member to member, both directions
//   pki/apiserver-etcd-client.{crt,key}     the API server (and tests, as root) towards etcd
// All members of a skiff cluster run on one host (loopback), so they share one server and one
// peer certificate for that host's addresses.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { rootCertificates } from 'node:tls';

/** The files of an etcd client's TLS: kube-apiserver's --etcd-cafile, --etcd-certfile, --etcd-keyfile. */
export interface EtcdClientTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface EtcdPki {
  caFile: string;
  server: { certFile: string; keyFile: string };
  peer: { certFile: string; keyFile: string };
  apiserverClient: EtcdClientTls;
}

/** Where a state dir keeps etcd's certificates (whether or not they exist yet). */
export function etcdPkiPaths(stateDir: string): EtcdPki {
  const pki = path.join(stateDir, 'pki');
  const etcd = path.join(pki, 'etcd');
  const pair = (dir: string, name: string) => ({ certFile: path.join(dir, `${name}.crt`), keyFile: path.join(dir, `${name}.key`) });
  const caFile = path.join(etcd, 'ca.crt');
  return { caFile, server: pair(etcd, 'server'), peer: pair(etcd, 'peer'), apiserverClient: { caFile, ...pair(pki, 'apiserver-etcd-client') } };
}

/** kube-apiserver's flags for the TLS files given. */
export function apiserverEtcdFlags(tls: Partial<EtcdClientTls> | undefined): string[] {
  return [
    ...(tls?.caFile ? [`--etcd-cafile=${tls.caFile}`] : []),
    ...(tls?.certFile ? [`--etcd-certfile=${tls.certFile}`] : []),
    ...(tls?.keyFile ? [`--etcd-keyfile=${tls.keyFile}`] : []),
  ];
}

/**
 * The etcd3 client's `credentials` from kube-apiserver's three flags: without a CA file the
 * system's roots verify etcd (as kube-apiserver does); certificate and key go together.
 */
export async function etcdClientCredentials(tls: Partial<EtcdClientTls>): Promise<{ rootCertificate: Buffer; certChain?: Buffer; privateKey?: Buffer }> {
  if (!tls.certFile !== !tls.keyFile) throw new Error('--etcd-certfile and --etcd-keyfile go together');
  const [rootCertificate, certChain, privateKey] = await Promise.all([
    tls.caFile ? readFile(tls.caFile) : Buffer.from(rootCertificates.join('\n')),
    tls.certFile ? readFile(tls.certFile) : undefined,
    tls.keyFile ? readFile(tls.keyFile) : undefined,
  ]);
  return { rootCertificate, certChain, privateKey };
}

/**
 * Makes what is missing of etcd's PKI in the state dir and returns its paths. `hosts` are the
 * addresses etcd's listeners are reached at (loopback by default). A new CA reissues everything
 * it signs.
 */
export async function ensureEtcdCredentials(stateDir: string, hosts: string[] = []): Promise<EtcdPki> {
  const p = etcdPkiPaths(stateDir);
  const leaves = [p.server, p.peer, p.apiserverClient];
  if (existsSync(p.caFile) && leaves.every((l) => existsSync(l.certFile) && existsSync(l.keyFile))) return p;
  // Only now the x509 code: a restart with everything in place never loads it (see credentials.ts).
  const { ensureCA, issueCertificate, writeKeyPair } = await import('./pki.js');
  // ensureCA makes a new CA when either of its files is missing.
  const fresh = !existsSync(p.caFile) || !existsSync(p.caFile.replace(/\.crt$/, '.key'));
  const ca = await ensureCA(path.dirname(p.caFile), 'etcd-ca');
  const names = [...new Set(['127.0.0.1', 'localhost', '::1', ...hosts])];
  const issue = async (to: { certFile: string; keyFile: string }, opts: Parameters<typeof issueCertificate>[1]) => {
    if (!fresh && existsSync(to.certFile) && existsSync(to.keyFile)) return;
    await writeKeyPair(path.dirname(to.certFile), path.basename(to.certFile, '.crt'), await issueCertificate(ca, opts));
  };
  await issue(p.server, { commonName: 'skiff-etcd-server', hosts: names, usage: 'both' });
  await issue(p.peer, { commonName: 'skiff-etcd-peer', hosts: names, usage: 'both' });
  await issue(p.apiserverClient, { commonName: 'kube-apiserver-etcd-client', usage: 'client' });
  return p;
}
