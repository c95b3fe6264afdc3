// GET /api/v1/namespaces/{ns}/pods/{name}/log: kube-apiserver's pod log subresource. The
// container is chosen and checked here (as its LogLocation does), then the kubelet of the
// pod's node streams /containerLogs/{ns}/{pod}/{container} back, chunk by chunk while
// following; the kubelet's own refusals (container waiting, no previous instance) come
// back as Status errors with its words.
import type { ServerResponse as Response } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { errors } from '../../api/errors.js';
import { findResource } from '../../api/resources.js';
import type { Node, Pod } from '../../api/types/core.js';
import type { UserInfo } from '../auth/user.js';
import type { ApiContext } from '../context.js';
import type { KubeletClient } from '../kubelet-client.js';
import { kubeletError, readText } from '../kubelet-client.js';
import type { RequestInfo } from '../request-info.js';
import { queryBool } from '../../api/query.js';
import { parseInt64Param } from './common.js';

const BOOLS = ['follow', 'timestamps', 'previous'] as const;
/** name -> smallest valid value (kube's PodLogOptions validation). */
const INTS = { tailLines: 0, limitBytes: 1, sinceSeconds: 1 } as const;

function names(list: { name: string }[] | undefined): string {
  return `[${(list ?? []).map((c) => c.name).join(' ')}]`;
}

/** The container a log request reads: the one named, or the only one (kube's wording otherwise). */
export function logContainer(pod: Pod, asked: string | undefined): string {
  const name = pod.metadata.name ?? '';
  const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers, ...((pod.spec as { ephemeralContainers?: { name: string }[] }).ephemeralContainers ?? [])];
  if (!asked) {
    if (pod.spec.containers.length === 1) return pod.spec.containers[0].name;
    let msg = `a container name must be specified for pod ${name}, choose one of: ${names(pod.spec.containers)}`;
    if (pod.spec.initContainers?.length) msg += ` or one of the init containers: ${names(pod.spec.initContainers)}`;
    throw errors.badRequest(msg);
  }
  if (!all.some((c) => c.name === asked)) throw errors.badRequest(`container ${asked} is not valid for pod ${name}`);
  return asked;
}

/** The kubelet query: PodLogOptions checked and passed on. */
export function kubeletLogQuery(query: Record<string, string | undefined>): URLSearchParams {
  const out = new URLSearchParams();
  for (const b of BOOLS) if (queryBool(query[b])) out.set(b, 'true');
  for (const [k, min] of Object.entries(INTS)) {
    const v = query[k];
    if (v === undefined || v === '') continue;
    if (parseInt64Param(k, v) < min) throw errors.badRequest(`${k} must be an integer of at least ${min} (got "${v}")`);
    out.set(k, v);
  }
  if (query.sinceTime) {
    if (out.has('sinceSeconds')) throw errors.badRequest('at most one of sinceTime or sinceSeconds may be specified');
    if (!Number.isFinite(Date.parse(query.sinceTime))) throw errors.badRequest(`sinceTime must be an RFC 3339 time (got "${query.sinceTime}")`);
    out.set('sinceTime', query.sinceTime);
  }
  return out;
}

export async function getPodLog(ctx: ApiContext, kubelets: KubeletClient, info: RequestInfo, user: UserInfo, query: Record<string, string | undefined>, res: Response): Promise<void> {
  const ns = info.namespace ?? '';
  const name = info.name ?? '';
  const decision = ctx.authorize(user, info);
  if (!decision.allowed) throw errors.forbidden(user.name, 'get', 'pods/log', name, undefined, decision.reason);
  const podsR = findResource('pods', '');
  const nodesR = findResource('nodes', '');
  if (!podsR || !nodesR) throw errors.internal('pods or nodes are not served');
  const pod = (await ctx.store.get(ctx.keys.objectKey(podsR, ns, name))) as Pod | null;
  if (!pod) throw errors.notFound('pods', name);
  if (decision.boundToNode !== undefined && pod.spec.nodeName !== decision.boundToNode) {
    throw errors.forbidden(user.name, 'get', 'pods/log', name, undefined, `node "${decision.boundToNode}" can only access pods bound to it`);
  }
  const container = logContainer(pod, query.container);
  const q = kubeletLogQuery(query);
  const nodeName = pod.spec.nodeName;
  if (!nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  const node = (await ctx.store.get(ctx.keys.objectKey(nodesR, undefined, nodeName))) as Node | null;
  if (!node) throw errors.badRequest(`node "${nodeName}" of pod ${name} not found`);
  const abort = new AbortController();
  // 'close' on the response: the answer ended or the client hung up (a follower's ^C).
  res.on('close', () => abort.abort());
  const qs = q.toString();
  const path = `/containerLogs/${[ns, name, container].map(encodeURIComponent).join('/')}${qs ? `?${qs}` : ''}`;
  const up = await kubelets.request(node, 'GET', path, { signal: abort.signal });
  if (up.statusCode !== 200) throw kubeletError(nodeName, up.statusCode ?? 500, await readText(up));
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  // A follower hanging up ends the upstream too (pipeline destroys both on either's end).
  await pipeline(up, res).catch(() => undefined);
}
