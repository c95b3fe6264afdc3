// Reaching a node's kubelet the way kubectl does: through the API server's node proxy
// (/api/v1/nodes/{name}/proxy/...), so the CLI needs only its kubeconfig, never the
// kubelet's address or token. `--node N` names one node; without it, verbs that can ask
// every node do (in name order).
import type http from 'node:http';
import type { Node } from '../../api/types/core.js';
import type { Query, RestClient } from '../../client/rest.js';

export function nodeProxyPath(node: string, kubeletPath: string): string {
  return `/api/v1/nodes/${encodeURIComponent(node)}/proxy${kubeletPath.startsWith('/') ? '' : '/'}${kubeletPath}`;
}

/** One JSON answer of a kubelet endpoint. */
export function kubeletRequest<T>(rest: RestClient, node: string, kubeletPath: string, opts: { method?: string; query?: Query } = {}): Promise<T> {
  return rest.request<T>({ method: opts.method ?? 'GET', path: nodeProxyPath(node, kubeletPath), query: opts.query });
}

/** A streamed answer (pull progress): the raw response, no timeout. */
export function kubeletStream(rest: RestClient, node: string, kubeletPath: string, opts: { method?: string; query?: Query; signal?: AbortSignal; body?: unknown } = {}): Promise<http.IncomingMessage> {
  return rest.open({ method: opts.method ?? 'GET', path: nodeProxyPath(node, kubeletPath), query: opts.query, signal: opts.signal, ...(opts.body !== undefined ? { body: opts.body } : {}) });
}

/** The nodes a verb acts on: the one named, or all of them by name. */
export async function targetNodes(rest: RestClient, node: string | undefined): Promise<string[]> {
  if (node) return [node];
  const list = await rest.nodes.listAll();
  return list.items.map((n: Node) => n.metadata.name ?? '').filter(Boolean).sort();
}

/** Reads newline-delimited JSON from a stream, one value per line. */
export async function* ndjson(stream: AsyncIterable<Buffer | string>): AsyncGenerator<unknown> {
  let buf = '';
  for await (const chunk of stream) {
    buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line);
    }
  }
  if (buf.trim()) yield JSON.parse(buf);
}
