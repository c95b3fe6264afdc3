// The API paths answered by a node's kubelet rather than by etcd: pods/{name}/log,
// nodes/{name}/proxy/... and the streams pods/{name}/exec|attach|portforward (upgrades, taken
// by the server's upgrade listener; here only a request that asks for no upgrade, refused as
// Kubernetes refuses it). Asked before the REST handler (after authentication); it answers
// false for every other request, which then goes on untouched.
import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import { errors } from '../../api/errors.js';
import type { UserInfo } from '../auth/user.js';
import type { ApiContext } from '../context.js';
import type { KubeletClient } from '../kubelet-client.js';
import { parseRequestInfo } from '../request-info.js';
import { queryOf } from '../rest.js';
import { proxyToNode } from './node-proxy.js';
import { getPodLog } from './pod-log.js';
import { authorizeStream, streamKindOf, upgradeRequired } from './pod-stream.js';

const POD_LOG = /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/log\/?$/;
const NODE_PROXY = /^\/api\/v1\/nodes\/([^/]+)\/proxy(\/.*)?$/;
/** Every path of these holds one of the words (loose on purpose, see below). */
const CHEAP = /log|proxy|exec|attach|portforward/;

export function kubeletRoutes(ctx: ApiContext, kubelets: KubeletClient) {
  /** Answers the request when it is one of these; false when it is not (nothing was done). */
  return async (req: Request, res: Response, user: UserInfo): Promise<boolean> => {
    // The raw URL: a proxied path keeps its encoding ("/images/127.0.0.1%3A5000%2Fapp%3Av1").
    // Every request passes here, so a cheap test on the raw path comes before any parsing
    // (loose on purpose: URL parsing only removes segments and turns \ into /).
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const rawPath = q < 0 ? raw : raw.slice(0, q);
    if (!CHEAP.test(rawPath)) return false;
    const url = new URL(raw, 'http://apiserver');
    const log = POD_LOG.test(url.pathname);
    const proxy = NODE_PROXY.exec(url.pathname);
    const stream = streamKindOf(url.pathname);
    if (!log && !proxy && !stream) return false;
    const query = queryOf(url.search);
    const method = req.method ?? 'GET';
    const info = parseRequestInfo(method, url.pathname, query);
    if (stream) {
      if (method !== 'GET' && method !== 'POST') {
        // Authorized before routed, as everywhere: whoever may not use the verb gets 403, not 405.
        const decision = ctx.authorize(user, info);
        if (!decision.allowed) throw errors.forbidden(user.name, info.verb, `pods/${stream}`, info.name, undefined, decision.reason);
        throw errors.methodNotAllowed(`${method} is not supported on pods/${stream}`);
      }
      authorizeStream(ctx, user, stream, info);
      throw upgradeRequired();
    }
    if (log) {
      // Authorized before routed, as everywhere: another verb is 403 to whoever may not use it.
      if (method !== 'GET') {
        const decision = ctx.authorize(user, info);
        if (!decision.allowed) throw errors.forbidden(user.name, info.verb, 'pods/log', info.name, undefined, decision.reason);
        throw errors.methodNotAllowed(`${method} is not supported on pods/log`);
      }
      await getPodLog(ctx, kubelets, info, user, query, res);
    } else {
      await proxyToNode(ctx, kubelets, info, user, `${proxy?.[2] ?? '/'}${url.search}`, req, res);
    }
    return true;
  };
}
