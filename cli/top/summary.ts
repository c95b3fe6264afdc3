// `skiff top`'s reading of the kubelets: each node's Summary API (GET /stats/summary) through
// the API server's node proxy. What the numbers mean, and when a second sample is taken, is
// api/metrics/usage.ts's, the rule the API server's metrics.k8s.io serves too.
import { sampleSummaries, type NodeSample } from '../../api/metrics/usage.js';
import type { Summary } from '../../api/wire/stats-summary.js';
import type { RestClient } from '../../client/rest.js';
import { kubeletRequest } from '../nodes/node-proxy.js';

export function fetchSummary(rest: RestClient, node: string): Promise<Summary> {
  return kubeletRequest<Summary>(rest, node, '/stats/summary');
}

/**
 * The summaries of these nodes (with an earlier sample where a rate needs one). A node whose
 * kubelet does not answer gets undefined and its error in `failed`, so the others still show
 * (kubectl top prints <unknown> for a node without metrics).
 */
export function sampleNodes(
  rest: RestClient,
  nodes: string[],
  wait?: (ms: number) => Promise<unknown>,
): Promise<{ samples: (NodeSample | undefined)[]; failed: Map<string, unknown> }> {
  return sampleSummaries(nodes, (n) => fetchSummary(rest, n), { wait });
}
