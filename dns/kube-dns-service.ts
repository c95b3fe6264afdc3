// The `kube-dns` Service in kube-system, made by `skiff up` and `skiff lab` once the API server
// answers, as kubeadm installs it with CoreDNS: the `.10` of the service range, ports 53/UDP
// `dns` and 53/TCP `dns-tcp`, no selector (each node agent writes its own EndpointSlice,
// kube-dns-slice.ts), internalTrafficPolicy Local so that pods ask their own node's DNS.
import { isApiError } from '../api/errors.js';
import type { Service } from '../api/types/service.js';
import type { RestClient } from '../client/rest.js';
import { KUBE_DNS_NAMESPACE, KUBE_DNS_SERVICE } from './kube-dns-slice.js';

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
