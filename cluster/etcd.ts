// Managed etcd for `skiff up` and labs: the command line of each member, for the supervisor
// to run. One member by default; three for a lab that wants to see quorum at work. Every
// listener, client and peer, a single member's too, speaks TLS and takes only clients with a
// certificate from etcd's own CA (etcd-credentials.ts): without one, nobody on the machine
// reads or writes the cluster's state.
import path from 'node:path';
import type { EtcdPki } from './etcd-credentials.js';
import type { ComponentSpec } from './supervisor.js';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
}

export interface EtcdClusterPlan {
  members: EtcdMember[];
  /** Comma-separated client URLs, for --etcd-servers. */
  endpoints: string;
}

/** Members on one host address, ports counting up from `clientPort` (client, peer pairs). */
export function planEtcdCluster(opts: { host?: string; clientPort: number; members?: number; prefix?: string }): EtcdClusterPlan {
  const host = opts.host ?? '127.0.0.1';
  const n = opts.members ?? 1;
  if (n !== 1 && n !== 3) throw new Error(`etcd members must be 1 or 3, not ${n}`);
  const members = Array.from({ length: n }, (_, i) => ({
    name: `${opts.prefix ?? 'skiff-etcd'}-${i}`,
    clientUrl: `https://${host}:${opts.clientPort + 2 * i}`,
    peerUrl: `https://${host}:${opts.clientPort + 2 * i + 1}`,
  }));
  return { members, endpoints: members.map((m) => m.clientUrl).join(',') };
}

export function etcdComponent(plan: EtcdClusterPlan, member: EtcdMember, dataRoot: string, pki: EtcdPki): ComponentSpec {
  return {
    name: member.name,
    command: 'etcd',
    args: [
      `--name=${member.name}`,
      `--data-dir=${path.join(dataRoot, member.name)}`,
      `--listen-client-urls=${member.clientUrl}`,
      `--advertise-client-urls=${member.clientUrl}`,
      `--listen-peer-urls=${member.peerUrl}`,
      `--initial-advertise-peer-urls=${member.peerUrl}`,
      `--initial-cluster=${plan.members.map((m) => `${m.name}=${m.peerUrl}`).join(',')}`,
      // "new" only matters on first start; with existing data etcd ignores it.
      '--initial-cluster-state=new',
      '--initial-cluster-token=skiff',
      '--client-cert-auth',
      `--trusted-ca-file=${pki.caFile}`,
      `--cert-file=${pki.server.certFile}`,
      `--key-file=${pki.server.keyFile}`,
      '--peer-client-cert-auth',
      `--peer-trusted-ca-file=${pki.caFile}`,
      `--peer-cert-file=${pki.peer.certFile}`,
      `--peer-key-file=${pki.peer.keyFile}`,
      '--auto-compaction-mode=periodic',
      '--auto-compaction-retention=1h',
      '--quota-backend-bytes=4294967296',
      '--logger=zap',
      '--log-level=warn',
    ],
    stopGraceMs: 10_000,
  };
}
