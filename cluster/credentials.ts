// The credentials of a skiff cluster, kept in its state dir and made once: the CA and the
// API server's serving certificate, one bearer token per identity (admin, scheduler,
// controller-manager, each kubelet) in kube-apiserver's token file, and a kubeconfig per
// identity. A second run reuses what is there, so restarts keep every credential valid.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildKubeconfig, kubeconfigText } from '../client/kubeconfig.js';
import { makePrivateDir, writePrivateFile } from './state.js';

export interface Identity {
  /** kubeconfig file stem: "admin", "scheduler", "controller-manager", "kubelet-<node>" */
  id: string;
  user: string;
  groups: string[];
}

export const ADMIN: Identity = { id: 'admin', user: 'skiff-admin', groups: ['system:masters'] };
export const SCHEDULER: Identity = { id: 'scheduler', user: 'system:kube-scheduler', groups: [] };
export const CONTROLLER_MANAGER: Identity = { id: 'controller-manager', user: 'system:kube-controller-manager', groups: [] };
export const nodeIdentity = (node: string): Identity => ({ id: `kubelet-${node}`, user: `system:node:${node}`, groups: ['system:nodes'] });

export interface ClusterCredentials {
  caFile: string;
  caPem: string;
  apiserverCertFile: string;
  apiserverKeyFile: string;
  tokenFile: string;
  tokens: Map<string, string>;
  /** identity id -> kubeconfig path */
  kubeconfigs: Map<string, string>;
}

function csvQuote(s: string): string {
  return /[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function readTokens(file: string): Promise<Map<string, string>> {
  const byUser = new Map<string, string>();
  if (!existsSync(file)) return byUser;
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const [token, user] = line.split(',');
    if (token && user && !line.startsWith('#')) byUser.set(user, token);
  }
  return byUser;
}

/** The names of the kubernetes Service that the API server's certificate carries, as kube-apiserver's. */
export const KUBERNETES_SERVICE_NAMES = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];

export async function ensureCredentials(opts: {
  stateDir: string;
  server: string;
  /** DNS names and IPs the API server is reached by. */
  hosts: string[];
  identities: Identity[];
  clusterName?: string;
}): Promise<ClusterCredentials> {
  const pkiDir = path.join(opts.stateDir, 'pki');
  const caFile = path.join(pkiDir, 'ca.crt');
  const apiserverCertFile = path.join(pkiDir, 'apiserver.crt');
  const apiserverKeyFile = path.join(pkiDir, 'apiserver.key');
  // The names pods use for the API server (the kubernetes Service's) are in it too; the caller adds its ClusterIP.
  const wanted = [...new Set(['127.0.0.1', 'localhost', '::1', ...KUBERNETES_SERVICE_NAMES, ...opts.hosts])];
  const hostsFile = path.join(pkiDir, 'apiserver.hosts');
  const haveHosts = existsSync(hostsFile) ? (await readFile(hostsFile, 'utf8')).trim() : '';
  let caPem: string;
  if (!existsSync(caFile) || !existsSync(apiserverCertFile) || haveHosts !== wanted.join(',')) {
    // The x509 library is loaded only when there is something to sign: a restart of a
    // supervisor whose certificates are all in place never needs it (and keeps its memory).
    const { ensureCA, issueCertificate, writeKeyPair } = await import('./pki.js');
    const ca = await ensureCA(pkiDir);
    const pair = await issueCertificate(ca, { commonName: 'kube-apiserver', hosts: wanted, usage: 'server' });
    await writeKeyPair(pkiDir, 'apiserver', pair);
    await writePrivateFile(hostsFile, wanted.join(','));
    caPem = ca.certPem;
  } else {
    caPem = await readFile(caFile, 'utf8');
  }

  const tokenFile = path.join(opts.stateDir, 'tokens.csv');
  const existing = await readTokens(tokenFile);
  const tokens = new Map<string, string>();
  const lines = ['# token,user,uid,"groups" (kube-apiserver --token-auth-file format)'];
  for (const idn of opts.identities) {
    const token = existing.get(idn.user) ?? randomBytes(24).toString('base64url');
    tokens.set(idn.id, token);
    lines.push([token, idn.user, idn.id, csvQuote(idn.groups.join(','))].join(','));
  }
  await writePrivateFile(tokenFile, lines.join('\n') + '\n');

  const kubeconfigs = new Map<string, string>();
  makePrivateDir(path.join(opts.stateDir, 'kubeconfigs'));
  for (const idn of opts.identities) {
    const file = path.join(opts.stateDir, idn.id === 'admin' ? 'kubeconfig' : path.join('kubeconfigs', `${idn.id}.kubeconfig`));
    // Replaced whole (a rename), never truncated in place: a cluster's kubeconfigs are rewritten
    // at every start while `skiff lab up`, kubectl or a component may be reading them.
    await writePrivateFile(file, kubeconfigText(buildKubeconfig({ server: opts.server, name: opts.clusterName ?? 'skiff', user: idn.user, ca: caPem, token: tokens.get(idn.id) })));
    kubeconfigs.set(idn.id, file);
  }
  return { caFile, caPem, apiserverCertFile, apiserverKeyFile, tokenFile, tokens, kubeconfigs };
}
