// The node's upstream resolvers, from its resolv.conf (the kubelet's `--resolv-conf`, as
// CoreDNS's `forward . /etc/resolv.conf`). A loopback stub (systemd-resolved's 127.0.0.53, a
// dnsmasq on 127.0.0.1) answers only in the host's own network namespace: where
// systemd-resolved keeps the real upstreams beside it, those come after the stub, and the
// forwarder passes over a stub that refuses (a lab node's namespace has nothing there).
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseResolvConf, type ResolvConf } from '../api/resolv-conf.js';

export interface Upstream {
  host: string;
  port: number;
}

/** Where systemd-resolved writes the upstreams its 127.0.0.53 stub forwards to. */
export const RESOLVED_UPSTREAMS = '/run/systemd/resolve/resolv.conf';

export const isLoopback = (ip: string): boolean => ip.startsWith('127.') || ip === '::1';

function readNameservers(file: string): string[] {
  try {
    return parseResolvConf(readFileSync(file, 'utf8')).nameservers.filter((s) => isIP(s) !== 0);
  } catch {
    return [];
  }
}

/**
 * The upstreams of the node's resolv.conf (read once by the kubelet, which also gives it to pods),
 * each once, followed by systemd-resolved's own when it names a stub.
 */
export function upstreamsFrom(conf: ResolvConf, resolvedFile = RESOLVED_UPSTREAMS): Upstream[] {
  const servers = conf.nameservers.filter((s) => isIP(s) !== 0);
  if (servers.some(isLoopback)) servers.push(...readNameservers(resolvedFile).filter((s) => !isLoopback(s)));
  return [...new Set(servers)].map((host) => ({ host, port: 53 }));
}
