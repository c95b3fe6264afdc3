// Who may call the kubelet's server: the API server alone, proven by its client certificate
// (kube-apiserver's --kubelet-client-certificate), as Kubernetes' kubelet authenticates it
// with --client-ca-file. Every path but /healthz carries what a pod holds (its logs, its env
// in the pods list, soon a shell in it through exec), so no token opens it: a token is
// something every node would hold, and one compromised node would then reach every pod of
// the cluster. The certificate must chain to the client CA, be meant for client
// authentication and name the API server's kubelet client; any other name the CA signs is
// authenticated but refused (403), as the kubelet's authorizer refuses it.
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** The user the API server's kubelet client certificate names (its CN), as kubeadm names it. */
export const API_SERVER_KUBELET_CLIENT = 'kube-apiserver-kubelet-client';

const CLIENT_AUTH_EKU = '1.3.6.1.5.5.7.3.2';

export type KubeletVerdict = { allowed: true; user: string } | { allowed: false; status: 401 | 403; message: string };

export interface KubeletAuthenticatorOptions {
  /** PEM CA (one or more) that issues the API server's client certificate. */
  clientCA: string | Buffer;
  /** Users (certificate CNs) the kubelet serves; the API server's kubelet client by default. */
  users?: string[];
}

/** The CN of a certificate subject as Node prints it ("CN=a\nO=b"). */
function commonName(subject: string): string | undefined {
  for (const line of subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return undefined;
}

export class KubeletAuthenticator {
  readonly #clientCA: string | Buffer;
  readonly #users: Set<string>;

  constructor(o: KubeletAuthenticatorOptions) {
    this.#clientCA = o.clientCA;
    this.#users = new Set(o.users ?? [API_SERVER_KUBELET_CLIENT]);
  }

  static fromFile(clientCAFile: string): KubeletAuthenticator {
    return new KubeletAuthenticator({ clientCA: readFileSync(clientCAFile) });
  }

  /**
   * The TLS server's part: every client is asked for a certificate, checked against the client
   * CA, and judged per request (a client without one may still ask for /healthz).
   */
  get tlsOptions(): { ca: string | Buffer; requestCert: true; rejectUnauthorized: false } {
    return { ca: this.#clientCA, requestCert: true, rejectUnauthorized: false };
  }

  /** Whether the request comes from a user this kubelet serves; `what` names it in a refusal. */
  judge(req: IncomingMessage, what: { verb: string; subresource: string }): KubeletVerdict {
    const socket = req.socket as TLSSocket;
    const cert = typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined;
    if (cert) {
      if (!socket.authorized) return { allowed: false, status: 401, message: `Unauthorized: client certificate not accepted (${String(socket.authorizationError)})` };
      const user = commonName(cert.subject) ?? '';
      if (!(cert.keyUsage ?? []).includes(CLIENT_AUTH_EKU)) return { allowed: false, status: 401, message: 'Unauthorized: the certificate is not meant for client authentication' };
      if (this.#users.has(user)) return { allowed: true, user };
      return { allowed: false, status: 403, message: `Forbidden (user=${user}, verb=${what.verb}, resource=nodes, subresource=${what.subresource})` };
    }
    // A bearer token is a credential this kubelet never accepts (the shared token of old, a
    // node's own): refused as a known caller without the right, not as a stranger.
    if (req.headers.authorization) return { allowed: false, status: 403, message: `Forbidden: the kubelet serves only the API server (its client certificate); bearer tokens are not accepted (verb=${what.verb}, resource=nodes, subresource=${what.subresource})` };
    return { allowed: false, status: 401, message: 'Unauthorized' };
  }
}
