// The cluster DNS addon of `skiff up` and `skiff lab`, as kubeadm installs CoreDNS's Service:
// made with the admin's credentials once the API server is ready (dns/kube-dns-service.ts).
import { RestClient } from '../client/rest.js';
import { ensureKubeDnsService } from '../dns/kube-dns-service.js';
import type { ClusterCredentials } from './credentials.js';

export async function installKubeDns(server: string, creds: Pick<ClusterCredentials, 'caPem' | 'tokens'>, clusterIP: string): Promise<void> {
  const admin = new RestClient({ server, ca: Buffer.from(creds.caPem), token: creds.tokens.get('admin'), namespace: 'kube-system' });
  try {
    await ensureKubeDnsService(admin, clusterIP);
  } finally {
    admin.close();
  }
}
