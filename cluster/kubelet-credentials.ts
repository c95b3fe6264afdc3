// What the API server and a kubelet need to talk to each other over the kubelet's HTTPS
// server (pods/log, nodes/proxy): one shared bearer token in the state dir (the API server
// presents it, every kubelet of the cluster accepts it), and per node a serving certificate
// issued by the cluster CA for the node's addresses, so the API server verifies kubelets
// against the CA it already has (--kubelet-certificate-authority).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writePrivateFile } from './state.js';

export interface KubeletApiCredentials {
  /** The token file both sides read (--kubelet-client-token-file, --kubelet-api-token-file). */
  tokenFile: string;
  certFile: string;
  keyFile: string;
}

/** The one token file of a cluster (the same for every node). */
export function kubeletApiTokenFile(stateDir: string): string {
  return path.join(stateDir, 'kubelet-api.token');
}

export async function ensureKubeletApiCredentials(stateDir: string, node: string, hosts: string[]): Promise<KubeletApiCredentials> {
  const tokenFile = kubeletApiTokenFile(stateDir);
  if (!existsSync(tokenFile)) await writePrivateFile(tokenFile, `${randomBytes(24).toString('base64url')}\n`);
  const pkiDir = path.join(stateDir, 'pki');
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
  return { tokenFile, certFile, keyFile };
}
