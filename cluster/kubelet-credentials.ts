// What the API server and a kubelet need to talk to each other over the kubelet's HTTPS
// server (pods/log, nodes/proxy, and what a pod's exec will need), laid out as kubeadm lays
// them out:
//   pki/apiserver-kubelet-client.{crt,key}  the API server's client certificate (CN
//                                           kube-apiserver-kubelet-client), the only caller
//                                           kubelets serve; they check it against pki/ca.crt
//   pki/kubelet-<node>.{crt,key}            each node's serving certificate for its addresses,
//                                           which the API server verifies against the same CA
// No token: one every kubelet accepted would be held by every node, and one compromised node
// could then reach every pod of the cluster.
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { API_SERVER_KUBELET_CLIENT } from '../kubelet/server/authn.js';
import { writePrivateFile } from './state.js';

export interface KubeletServingCredentials {
  /** The CA the API server's client certificate chains to (the kubelet's --client-ca-file). */
  clientCaFile: string;
  certFile: string;
  keyFile: string;
}

export interface ApiserverKubeletClient {
  certFile: string;
  keyFile: string;
}

const pkiOf = (stateDir: string) => path.join(stateDir, 'pki');

/** A node's serving certificate for its names and addresses (reissued when they change). */
export async function ensureKubeletServing(stateDir: string, node: string, hosts: string[]): Promise<KubeletServingCredentials> {
  const pkiDir = pkiOf(stateDir);
  const wanted = [...new Set([node, 'localhost', '127.0.0.1', ...hosts])].join(',');
  const hostsFile = path.join(pkiDir, `kubelet-${node}.hosts`);
  const certFile = path.join(pkiDir, `kubelet-${node}.crt`);
  const keyFile = path.join(pkiDir, `kubelet-${node}.key`);
  const have = existsSync(hostsFile) ? (await readFile(hostsFile, 'utf8')).trim() : '';
  if (!existsSync(certFile) || have !== wanted) {
    const { ensureCA, issueCertificate, writeKeyPair } = await import('./pki.js'); // only when signing (see credentials.ts)
    const ca = await ensureCA(pkiDir);
    const pair = await issueCertificate(ca, { commonName: `system:node:${node}`, hosts: wanted.split(','), usage: 'server' });
    await writeKeyPair(pkiDir, `kubelet-${node}`, pair);
    await writePrivateFile(hostsFile, wanted);
  }
  return { clientCaFile: path.join(pkiDir, 'ca.crt'), certFile, keyFile };
}

/**
 * The API server's kubelet client certificate (kube-apiserver's --kubelet-client-certificate
 * and --kubelet-client-key). The shared token earlier clusters kept is removed.
 */
export async function ensureApiserverKubeletClient(stateDir: string): Promise<ApiserverKubeletClient> {
  const pkiDir = pkiOf(stateDir);
  const certFile = path.join(pkiDir, 'apiserver-kubelet-client.crt');
  const keyFile = path.join(pkiDir, 'apiserver-kubelet-client.key');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    const { ensureCA, issueCertificate, writeKeyPair } = await import('./pki.js');
    const ca = await ensureCA(pkiDir);
    await writeKeyPair(pkiDir, 'apiserver-kubelet-client', await issueCertificate(ca, { commonName: API_SERVER_KUBELET_CLIENT, usage: 'client' }));
  }
  await rm(path.join(stateDir, 'kubelet-api.token'), { force: true });
  return { certFile, keyFile };
}

/** kube-apiserver's flags for its kubelet client certificate. */
export function apiserverKubeletClientFlags(c: ApiserverKubeletClient): string[] {
  return [`--kubelet-client-certificate=${c.certFile}`, `--kubelet-client-key=${c.keyFile}`];
}

/** The kubelet's flags for its serving certificate and the CA of the API server's client certificate. */
export function kubeletServingFlags(c: KubeletServingCredentials): string[] {
  return [`--client-ca-file=${c.clientCaFile}`, `--tls-cert-file=${c.certFile}`, `--tls-private-key-file=${c.keyFile}`];
}
