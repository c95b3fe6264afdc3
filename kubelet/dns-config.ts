// A pod's resolv.conf, as the kubelet's DNS configurer (pkg/kubelet/network/dns) forms it from
// dnsPolicy and dnsConfig: ClusterFirst sends the pod to the cluster DNS with the search path
// `<ns>.svc.<domain> svc.<domain> <domain>` (then the node's) and ndots:5; Default, and
// ClusterFirst for a hostNetwork pod, keep the node's resolv.conf; ClusterFirstWithHostNet is
// ClusterFirst even on the host network; None is only the pod's dnsConfig, which is merged
// into the others (nameservers and searches appended, options by name, the pod's winning).
import type { Pod } from '../api/types/core.js';
import type { ResolvConf } from '../api/resolv-conf.js';
import type { PodSandboxConfig } from '../runtime/cri.js';

export interface ClusterDnsSettings {
  /** `--cluster-dns`: the kube-dns ClusterIP(s); none makes ClusterFirst fall back to Default. */
  clusterDNS: string[];
  /** `--cluster-domain`. */
  clusterDomain: string;
  /** The node's resolv.conf (`--resolv-conf`). */
  host: ResolvConf;
}

/** Kubernetes' limits: at most 3 nameservers, 32 search domains. */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

type DnsConfig = NonNullable<PodSandboxConfig['dnsConfig']>;

function policyOf(pod: Pod, s: ClusterDnsSettings): 'cluster' | 'host' | 'none' {
  const policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'None') return 'none';
  if (policy === 'Default') return 'host';
  if (s.clusterDNS.length === 0) return 'host';
  if (policy === 'ClusterFirst' && pod.spec.hostNetwork) return 'host';
  return 'cluster';
}

const unique = (xs: string[]): string[] => [...new Set(xs)];

/** Options by name (`ndots:5` is `ndots`), later ones replacing earlier ones in place. */
function mergeOptions(base: string[], extra: Array<{ name?: string; value?: string }>): string[] {
  const byName = new Map<string, string>();
  for (const o of base) byName.set(o.split(':')[0] as string, o);
  for (const o of extra) if (o.name) byName.set(o.name, o.value !== undefined ? `${o.name}:${o.value}` : o.name);
  return [...byName.values()];
}

export function podDnsConfig(pod: Pod, s: ClusterDnsSettings): DnsConfig {
  const ns = pod.metadata.namespace ?? 'default';
  const domain = s.clusterDomain.replace(/\.$/, '');
  let cfg: DnsConfig;
  switch (policyOf(pod, s)) {
    case 'cluster':
      cfg = { servers: [...s.clusterDNS], searches: [`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...s.host.searches], options: ['ndots:5'] };
      break;
    case 'host':
      cfg = { servers: [...s.host.nameservers], searches: [...s.host.searches], options: [...s.host.options] };
      break;
    case 'none':
      cfg = { servers: [], searches: [], options: [] };
  }
  const podCfg = pod.spec.dnsConfig;
  return {
    servers: unique([...(cfg.servers ?? []), ...(podCfg?.nameservers ?? [])]).slice(0, MAX_NAMESERVERS),
    searches: unique([...(cfg.searches ?? []), ...(podCfg?.searches ?? [])].map((d) => d.replace(/\.$/, ''))).slice(0, MAX_SEARCHES),
    options: mergeOptions(cfg.options ?? [], podCfg?.options ?? []),
  };
}
