// The kubelet whose streaming server runs in this very process (`skiff server` under `skiff up`
// runs the API server and this machine's kubelet in one process). For a pod on that node the
// API server hands the client's upgraded connection to the kubelet's stream handler directly,
// instead of opening a TLS connection to the kubelet's port and relaying every byte through
// itself: the same process holds both, so there is nothing to prove and nothing to encrypt
// again. The kubelet's port is unchanged: it still takes nobody but the API server's client
// certificate, and the API server still reaches every other node (and this one, with
// SKIFF_KUBELET_STREAMS_IN_PROCESS=0) over TLS with that certificate.
// A kubelet is known here by its node name and the port its server listens on: the API server
// takes the direct path only when the Node it read from etcd names both (a Node's status can be
// written by that node's kubelet alone, and the port is bound by this process).
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';

/** What the API server passes on: the kubelet's path and query, and the client's headers without its credentials. */
export interface InProcessStreamRequest {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
}

/**
 * Serves a stream the API server has authenticated and authorized, on the client's own
 * connection. Before switching protocols nothing is written: a refusal rejects with an Error
 * carrying the HTTP `status` the kubelet's port would have answered, for the API server to turn
 * into a Status. Settles when the stream ends.
 */
export type InProcessStreamHandler = (req: InProcessStreamRequest, socket: Duplex, head: Buffer) => Promise<void>;

const kubelets = new Map<string, { port: number; serve: InProcessStreamHandler }>();

/** Makes a kubelet's stream handler reachable in this process; returns what takes it back. */
export function registerInProcessKubelet(nodeName: string, port: number, serve: InProcessStreamHandler): () => void {
  const entry = { port, serve };
  kubelets.set(nodeName, entry);
  return () => {
    if (kubelets.get(nodeName) === entry) kubelets.delete(nodeName);
  };
}

/** The stream handler of the kubelet of `nodeName` serving on `port` in this process, if there is one (and the direct path is not switched off). */
export function inProcessKubelet(nodeName: string, port: number): InProcessStreamHandler | undefined {
  if (process.env.SKIFF_KUBELET_STREAMS_IN_PROCESS === '0') return undefined;
  const k = kubelets.get(nodeName);
  return k?.port === port ? k.serve : undefined;
}
