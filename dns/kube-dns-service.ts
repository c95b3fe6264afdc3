// The `kube-dns` Service in kube-system, made by `skiff up` and `skiff lab` once the API server
// answers, as kubeadm installs it with CoreDNS: the `.10` of the service range, ports 53/UDP
// `dns` and 53/TCP `dns-tcp`, no selector (each node agent writes its own EndpointSlice,
// kube-dns-slice.ts), internalTrafficPolicy Local so that pods ask their own node's DNS.
import { isApiError } from '../api/errors.js';
import type { Service } from '../api/types/service.js';
import type { RestClient } from '../client/rest.js';
import { KUBE_DNS_NAMESPACE, KUBE_DNS_SERVICE } from './kube-dns-slice.js';

/** The API server's default --service-cluster-ip-range. */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/16';

/** The `.10` of an IPv4 service range: the network address plus 10 (10.96.0.0/16 → 10.96.0.10). */
export function kubeDnsServiceIP(cidr: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr.trim());
  if (!m) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const bits = Number(m[5]);
  if (bits > 28) throw new Error(`service range ${cidr} is too small for the kube-dns address (.10)`);
  const base = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const ip = (((base & mask) >>> 0) + 10) >>> 0;
  return [24, 16, 8, 0].map((s) => (ip >>> s) & 255).join('.');
}

export function kubeDnsService(clusterIP: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: KUBE_DNS_SERVICE,
      namespace: KUBE_DNS_NAMESPACE,
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS', 'kubernetes.io/cluster-service': 'true' },
    },
    spec: {
      clusterIP,
      clusterIPs: [clusterIP],
      ports: [
        { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
        { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 },
      ],
      internalTrafficPolicy: 'Local',
    },
  };
}

/** Creates kube-dns unless it exists (an existing one is the admin's and left as it is). */
export async function ensureKubeDnsService(client: RestClient, clusterIP: string): Promise<void> {
  const services = client.resourceByName<Service>('services', '');
  try {
    await services.create(kubeDnsService(clusterIP), { namespace: KUBE_DNS_NAMESPACE });
  } catch (e) {
    if (!isApiError(e, 'AlreadyExists')) throw e;
  }
}
