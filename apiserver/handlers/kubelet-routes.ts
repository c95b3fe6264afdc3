// The two API paths answered by a node's kubelet rather than by etcd: pods/{name}/log and
// nodes/{name}/proxy/... Mounted before the REST handler (after authentication); every
// other request passes through untouched.
import type { NextFunction, Request, Response } from 'express';
import { errors } from '../../api/errors.js';
import type { UserInfo } from '../auth/user.js';
import type { ApiContext } from '../context.js';
import { KubeletClient, type KubeletClientOptions } from '../kubelet-client.js';
import { parseRequestInfo } from '../request-info.js';
import { proxyToNode } from './node-proxy.js';
import { getPodLog } from './pod-log.js';

const POD_LOG = /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/log\/?$/;
const NODE_PROXY = /^\/api\/v1\/nodes\/([^/]+)\/proxy(\/.*)?$/;

function queryOf(search: URLSearchParams): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of search) out[k] ??= v;
  return out;
}

export function kubeletRoutes(ctx: ApiContext, opts: KubeletClientOptions = {}) {
  const kubelets = new KubeletClient(opts);
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    // The raw URL: a proxied path keeps its encoding ("/images/127.0.0.1%3A5000%2Fapp%3Av1").
    // Every request passes here, so a cheap test on the raw path comes before any parsing
    // (loose on purpose: URL parsing only removes segments and turns \ into /).
    const raw = req.originalUrl;
    const q = raw.indexOf('?');
    const rawPath = q < 0 ? raw : raw.slice(0, q);
    if (!rawPath.includes('log') && !rawPath.includes('proxy')) return next();
    const url = new URL(raw, 'http://apiserver');
    const log = POD_LOG.test(url.pathname);
    const proxy = NODE_PROXY.exec(url.pathname);
    if (!log && !proxy) return next();
    const query = queryOf(url.searchParams);
    const info = parseRequestInfo(req.method, url.pathname, query);
    const user = res.locals.user as UserInfo;
    if (log) {
      if (req.method !== 'GET') throw errors.methodNotAllowed(`${req.method} is not supported on pods/log`);
      return getPodLog(ctx, kubelets, info, user, query, res);
    }
    return proxyToNode(ctx, kubelets, info, user, `${proxy?.[2] ?? '/'}${url.search}`, req, res);
  };
}
