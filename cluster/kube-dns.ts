// The cluster DNS addon of `skiff up` and `skiff lab`, as kubeadm installs CoreDNS's Service:
// made with the admin's credentials once the API server is ready (dns/kube-dns-service.ts).
import { ipAt, parseServiceCIDR } from '../apiserver/service-ranges.js';
import { RestClient } from '../client/rest.js';
import { ensureKubeDnsService } from '../dns/kube-dns-service.js';
import type { ClusterCredentials } from './credentials.js';

/** The kube-dns address: the tenth of the service range (10.96.0.0/16 → 10.96.0.10), as kubeadm picks it. */
export function kubeDnsServiceIP(serviceCidr: string): string {
  const range = parseServiceCIDR(serviceCidr);
  if (range.size < 10) throw new Error(`service range ${range.cidr} is too small for the kube-dns address (its tenth)`);
  return ipAt(range, 10);
}

export async function installKubeDns(server: string, creds: Pick<ClusterCredentials, 'caPem' | 'tokens'>, clusterIP: string): Promise<void> {
  const admin = new RestClient({ server, ca: Buffer.from(creds.caPem), token: creds.tokens.get('admin'), namespace: 'kube-system' });
  try {
    await ensureKubeDnsService(admin, clusterIP);
  } finally {
    admin.close();
  }
}
