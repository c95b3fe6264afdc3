// The /etc files a sandbox's containers share: hostname (the pod name), hosts (localhost and
// the pod's own IP under its hostname) and resolv.conf (the pod's DNS config, else the node's).
import fs from 'node:fs/promises';
import path from 'node:path';
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
    const lines = [...(dns.servers ?? []).map((s) => `nameserver ${s}`)];
    if (dns.searches?.length) lines.push(`search ${dns.searches.join(' ')}`);
    if (dns.options?.length) lines.push(`options ${dns.options.join(' ')}`);
    return `${lines.join('\n')}\n`;
  }
  return fs.readFile('/etc/resolv.conf', 'utf8').catch(() => '');
}

export async function writeEtcFiles(dir: string, hostname: string, ip: string | undefined, dns: PodSandboxConfig['dnsConfig']): Promise<EtcPaths> {
  const p = etcPaths(dir);
  await fs.writeFile(p.hostname, `${hostname}\n`);
  await fs.writeFile(p.hosts, hostsFile(hostname, ip));
  await fs.writeFile(p.resolvConf, await resolvConf(dns));
  return p;
}
