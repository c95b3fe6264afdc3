// /api/v1/nodes/{name}/proxy/{path...}: kube-apiserver's node proxy. The request (method,
// path, query, body) goes to the node's kubelet as it came; the answer comes back as the
// kubelet gave it (status, type, body, streamed), so `skiff images --node N` speaks to the
// kubelet's /images through here. Only users allowed nodes/proxy (admins) get through.
import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { errors } from '../../api/errors.js';
import { findResource } from '../../api/resources.js';
import type { Node } from '../../api/types/core.js';
import type { UserInfo } from '../auth/user.js';
import type { ApiContext } from '../context.js';
import type { KubeletClient } from '../kubelet-client.js';
import type { RequestInfo } from '../request-info.js';

const PASSED_HEADERS = ['content-type', 'accept'];

export async function proxyToNode(ctx: ApiContext, kubelets: KubeletClient, info: RequestInfo, user: UserInfo, rawPath: string, req: Request, res: Response): Promise<void> {
  const name = info.name ?? '';
  const decision = ctx.authorize(user, info);
  if (!decision.allowed) throw errors.forbidden(user.name, info.verb, 'nodes/proxy', name, undefined, decision.reason);
  const nodesR = findResource('nodes', '');
  if (!nodesR) throw errors.internal('nodes are not served');
  const node = (await ctx.store.get(ctx.keys.objectKey(nodesR, undefined, name))) as Node | null;
  if (!node) throw errors.notFound('nodes', name);
  const headers: Record<string, string> = {};
  for (const h of PASSED_HEADERS) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const method = req.method ?? 'GET';
  const hasBody = !['GET', 'HEAD'].includes(method);
  const up = await kubelets.request(node, method, rawPath, { headers, signal: abort.signal, ...(hasBody ? { body: req } : {}) });
  const out: Record<string, string> = {};
  for (const h of ['content-type', 'cache-control']) {
    const v = up.headers[h];
    if (typeof v === 'string') out[h] = v;
  }
  res.writeHead(up.statusCode ?? 502, out);
  res.flushHeaders();
  await pipeline(up, res).catch(() => undefined);
}
