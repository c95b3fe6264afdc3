// The /etc files a sandbox's containers share: hostname (the pod name), hosts (localhost and
// the pod's own IP under its hostname) and resolv.conf (the pod's DNS config, else the node's).
import fs from 'node:fs';
import path from 'node:path';
import { formatResolvConf } from '../../api/resolv-conf.js';
import type { PodSandboxConfig } from '../cri.js';

export interface EtcPaths {
  hosts: string;
  resolvConf: string;
  hostname: string;
}

export const etcPaths = (dir: string): EtcPaths => ({
  hosts: path.join(dir, 'hosts'),
  resolvConf: path.join(dir, 'resolv.conf'),
  hostname: path.join(dir, 'hostname'),
});

export function hostsFile(hostname: string, ip: string | undefined): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters'];
  if (ip) lines.push(`${ip}\t${hostname}`);
  return `${lines.join('\n')}\n`;
}

export async function resolvConf(dns: PodSandboxConfig['dnsConfig']): Promise<string> {
  if (dns && (dns.servers?.length || dns.searches?.length || dns.options?.length)) {
    return formatResolvConf({ nameservers: dns.servers ?? [], searches: dns.searches ?? [], options: dns.options ?? [] });
  }
  try {
    return fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

// These files are a few hundred bytes, written on every pod start: synchronous calls cost
// microseconds, where each async call is a trip through libuv's thread pool that waits for a
// CPU on a busy node (see runtime-context.ts).

/** hostname and resolv.conf: they need nothing from the pod's network. */
export async function writeNameFiles(dir: string, hostname: string, dns: PodSandboxConfig['dnsConfig']): Promise<void> {
  const p = etcPaths(dir);
  fs.writeFileSync(p.hostname, `${hostname}\n`);
  fs.writeFileSync(p.resolvConf, await resolvConf(dns));
}

/** hosts, once the pod's IP is known. */
export async function writeHostsFile(dir: string, hostname: string, ip: string | undefined): Promise<void> {
  fs.writeFileSync(etcPaths(dir).hosts, hostsFile(hostname, ip));
}

export async function writeEtcFiles(dir: string, hostname: string, ip: string | undefined, dns: PodSandboxConfig['dnsConfig']): Promise<EtcPaths> {
  await writeNameFiles(dir, hostname, dns);
  await writeHostsFile(dir, hostname, ip);
  return etcPaths(dir);
}
