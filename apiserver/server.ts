// The API server: an express app over the etcd store and the watch caches, served on plain
// HTTP and/or HTTPS, with bearer-token authentication, authorization, request logs, and every
// error answered as a `kind: Status` object from one place (`handle`).
import express from 'express';
import type { DefaultTolerationSeconds } from '../api/defaults.js';
import { Etcd3 } from 'etcd3';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { ApiError, errors, isApiError } from '../api/errors.js';
import { findResource, RESOURCES, type ResourceInfo } from '../api/resources.js';
import type { KubeObject } from '../api/types/meta.js';
import { defaultForCreate } from './admission.js';
import { ensureDefaultServiceAccount } from './service-accounts.js';
import { authenticate } from './auth/authenticate.js';
import { createHttpServer, createHttpsServer, expressServerClasses } from './express-server.js';
import { authorize } from './auth/authorize.js';
import { TokenAuthenticator } from './auth/token-file.js';
import type { UserInfo } from './auth/user.js';
import type { ApiContext, RequestContext } from './context.js';
import { watchWebSocket } from './handlers/watch.js';
import { kubeletRoutes } from './handlers/kubelet-routes.js';
import { checkListOptions } from './handlers/common.js';
import { KubeletClient, type KubeletClientOptions } from './kubelet-client.js';
import { ResourceMetrics } from './resource-metrics.js';
import { proxyPodStream, streamKindOf } from './handlers/pod-stream.js';
import { precompileValidators } from '../api/validation/index.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import { queryOf, restHandler } from './rest.js';
import type { EncryptionConfig } from './storage/encryption/config.js';
import { ETCD_GRPC_OPTIONS, EtcdStore, storageError, type TransformedPrefix } from './storage/etcd-store.js';
import { startCompactor } from './storage/compactor.js';
import { KeyLayout } from './storage/keys.js';
import { WatchCache } from './storage/watch-cache.js';
import { prepareForCreate } from './strategy.js';
import { ServiceAllocator } from './service-allocator.js';
import { DEFAULT_NODE_PORT_RANGE, DEFAULT_SERVICE_CIDR, kubernetesServiceIP, parsePortRange, parseServiceCIDR } from './service-ranges.js';
import { KubernetesServiceReconciler } from './kubernetes-service.js';

/** kube-apiserver's --event-ttl default. */
export const DEFAULT_EVENT_TTL_SECONDS = 3600;

export interface ApiServerOptions {
  etcdServers: string[];
  /** The etcd client's TLS (kube's --etcd-cafile, --etcd-certfile, --etcd-keyfile): PEM CA, certificate, key. */
  etcdCredentials?: { rootCertificate: Buffer; certChain?: Buffer; privateKey?: Buffer };
  etcdPrefix?: string;
  log: Logger;
  tokens?: TokenAuthenticator;
  anonymous?: boolean;
  /** Plain HTTP listener. */
  http?: { host: string; port: number };
  /** HTTPS listener (PEM cert and key). */
  https?: { host: string; port: number; cert: Buffer | string; key: Buffer | string };
  bookmarkIntervalMs?: number;
  /** Events each watch cache keeps for watches that resume from a past resourceVersion. */
  watchCacheCapacity?: number;
  /** How often etcd's history is compacted (kube's --etcd-compaction-interval); 0 = never. */
  compactionIntervalMs?: number;
  /** How to reach kubelets for pods/log and nodes/proxy (token, CA of their certificates). */
  kubeletClient?: KubeletClientOptions;
  /**
   * Concurrent writes to different keys go to etcd as one Txn (default true; see
   * storage/group-commit.ts). Writes that land together share a resourceVersion.
   */
  groupCommit?: boolean;
  /** How long Events are kept after their last write, in seconds (kube's --event-ttl; default 1 h; 0 = forever). */
  eventTTLSeconds?: number;
  /** How values are stored, per resource (kube's --encryption-provider-config); none: as they are. */
  encryption?: EncryptionConfig;
  /** Seconds pods tolerate not-ready and unreachable nodes unless they say (kube's --default-*-toleration-seconds; default 300 each). */
  defaultTolerationSeconds?: DefaultTolerationSeconds;
  /** Where Services' cluster IPs come from (kube's --service-cluster-ip-range; default 10.96.0.0/16). */
  serviceClusterIPRange?: string;
  /** Where NodePorts come from (kube's --service-node-port-range; default 30000-32767). */
  serviceNodePortRange?: string;
  /**
   * The port every node agent relays to its API server on the node's InternalIP (`skiff kubelet
   * --apiserver-relay-port`): the `kubernetes` Service's targetPort and endpoints. 0: no endpoints.
   */
  kubernetesServiceTargetPort?: number;
}

export interface RunningApiServer {
  /** http://host:port when a plain listener runs */
  httpUrl?: string;
  httpsUrl?: string;
  close(): Promise<void>;
}

/** A request slower than this is logged at info whatever its status. */
const SLOW_REQUEST_MS = 1000;

const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-node-lease', 'kube-public'];

const HEALTH_PATHS = /^\/(healthz|livez|readyz)\/?$/i;

function sendText(res: http.ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendStatus(res: http.ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify(err.toStatus());
  const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) };
  if (err.details?.retryAfterSeconds !== undefined) headers['Retry-After'] = String(err.details.retryAfterSeconds);
  res.writeHead(err.code, headers);
  res.end(body);
}

/**
 * Maps anything thrown to a Status: ApiErrors as they are, the store's errors as storageError
 * maps them wherever they were thrown (503 while etcd is down, 410, 413), the rest as 500
 * (and logged).
 */
export function toApiError(err: unknown, log: Logger): ApiError {
  if (isApiError(err)) return err;
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.too.large' || e?.status === 413) return errors.tooLarge(e.message ?? 'request entity too large');
  const stored = storageError(err);
  if (stored.code !== 500) return stored;
  log.error({ err }, 'internal error');
  return errors.internal(e?.message ?? String(err), err);
}

/** A whole HTTP/1.1 answer carrying a Status, for a socket no ServerResponse owns (an upgrade, a request node's parser refused). */
function rawStatus(err: ApiError): string {
  const body = JSON.stringify(err.toStatus());
  return `HTTP/1.1 ${err.code} ${http.STATUS_CODES[err.code] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * What node's HTTP parser refuses before any handler sees it (a method it does not know, a
 * malformed request line or header, headers past maxHeaderSize) is answered with a Status
 * too, as every other refusal, instead of node's bare 400 or 431.
 */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new ApiError(431, 'RequestEntityTooLarge', `the request's headers are larger than ${MAX_HEADER_BYTES} bytes`)
      : err.code === 'HPE_INVALID_METHOD'
        ? errors.methodNotAllowed('the request method is not supported')
        : errors.badRequest(`malformed HTTP request (${err.code ?? err.message})`);
  socket.end(rawStatus(status));
}

/** Go's http.DefaultMaxHeaderBytes, as kube-apiserver allows (node's default is 16 KiB: a long labelSelector did not fit). */
const MAX_HEADER_BYTES = 1 << 20;

function bearerFromProtocols(header: string | string[] | undefined): string | undefined {
  const protos = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((s) => s.trim());
  const p = protos.find((x) => x.startsWith('base64url.bearer.authorization.k8s.io.'));
  if (!p) return undefined;
  return `Bearer ${Buffer.from(p.slice('base64url.bearer.authorization.k8s.io.'.length), 'base64url').toString('utf8')}`;
}

async function ensureNamespaces(ctx: ApiContext): Promise<void> {
  const r = findResource('namespaces', '');
  if (!r) return;
  for (const name of INITIAL_NAMESPACES) {
    const key = ctx.keys.objectKey(r, undefined, name);
    if (await ctx.store.get(key)) continue;
    try {
      const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
      defaultForCreate(ns);
      await ctx.store.create(key, prepareForCreate(r, ns), { resource: r, name });
    } catch (e) {
      if (!isApiError(e, 'AlreadyExists')) throw e;
    }
  }
  // Their `default` ServiceAccounts too, as a namespace created through the API gets its own.
  for (const name of INITIAL_NAMESPACES) await ensureDefaultServiceAccount(ctx, name);
}

export async function startApiServer(opts: ApiServerOptions): Promise<RunningApiServer> {
  const log = opts.log;
  const client = new Etcd3({ hosts: opts.etcdServers, credentials: opts.etcdCredentials, grpcOptions: ETCD_GRPC_OPTIONS });
  const keys = new KeyLayout(opts.etcdPrefix ?? '/registry');
  const events = findResource('events', '');
  const transformed: TransformedPrefix[] = [];
  for (const r of RESOURCES) {
    const transformer = opts.encryption?.transformerFor(r.plural, r.group);
    if (!transformer) continue;
    transformed.push({ prefix: keys.typePrefix(r), transformer });
    // Key names and providers only: what an operator checks during a rotation, never a secret.
    log.info({ resource: r.group ? `${r.plural}.${r.group}` : r.plural, providers: transformer.providers.map((p) => p.description) }, 'encryption at rest');
  }
  const serviceRange = parseServiceCIDR(opts.serviceClusterIPRange ?? DEFAULT_SERVICE_CIDR);
  const services = new ServiceAllocator({
    client,
    root: keys.root,
    range: serviceRange,
    nodePorts: parsePortRange(opts.serviceNodePortRange ?? DEFAULT_NODE_PORT_RANGE),
  });
  const store = new EtcdStore(client, {
    transformed,
    companions: [services.companionRule(keys.typePrefix(findResource('services', '') as ResourceInfo))],
    groupCommit: opts.groupCommit === false ? false : undefined,
    expiring: events ? [{ prefix: keys.typePrefix(events), ttlSeconds: opts.eventTTLSeconds ?? DEFAULT_EVENT_TTL_SECONDS }] : [],
  });
  const caches = new Map<string, WatchCache>();
  for (const r of RESOURCES) {
    caches.set(
      r.plural,
      new WatchCache({
        client,
        store,
        prefix: keys.typePrefix(r),
        transformer: transformed.find((t) => t.prefix === keys.typePrefix(r))?.transformer,
        capacity: opts.watchCacheCapacity,
        onError: (err) => log.warn({ err, resource: r.plural }, 'watch cache restarting'),
      }),
    );
  }
  const tokens = opts.tokens ?? new TokenAuthenticator();
  const anonymous = opts.anonymous ?? false;
  const ctx: ApiContext = {
    store,
    keys,
    caches,
    log,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
    defaultTolerationSeconds: opts.defaultTolerationSeconds,
    services,
    authorize(user: UserInfo, info: RequestInfo, fieldSelector?: string, nameOverride?: string) {
      return authorize(user, {
        verb: info.verb,
        apiGroup: info.apiGroup,
        resource: info.isResourceRequest ? info.resource : undefined,
        subresource: info.subresource,
        namespace: info.namespace,
        name: nameOverride ?? info.name,
        fieldSelector,
        path: info.path,
      });
    },
  };

  const kubernetesService = new KubernetesServiceReconciler(ctx, { clusterIP: kubernetesServiceIP(serviceRange), targetPort: opts.kubernetesServiceTargetPort ?? 0 });
  try {
    await Promise.all([...caches.values()].map((c) => c.start()));
    await ensureNamespaces(ctx);
    await kubernetesService.start();
  } catch (e) {
    kubernetesService.stop();
    await Promise.all([...caches.values()].map((c) => c.stop()));
    client.close();
    throw e;
  }

  const compactionMs = opts.compactionIntervalMs ?? 5 * 60_000;
  const compactor = compactionMs > 0 ? startCompactor({ client, store, intervalMs: compactionMs, log }) : undefined;

  // Request log as kube-apiserver's httplog keeps it: every request at debug, and at info
  // only what an operator looks for (errors, slow requests): a synchronous log line on
  // every request cost the write path a few percent of its CPU.
  const debugRequests = log.isLevelEnabled('debug');
  const logRequest = (req: http.IncomingMessage, res: http.ServerResponse, start: number, user: UserInfo | undefined) => {
    const ms = performance.now() - start;
    if (!debugRequests && res.statusCode < 400 && ms < SLOW_REQUEST_MS) return;
    const line = { method: req.method, path: req.url, status: res.statusCode, ms: Math.round(ms * 100) / 100, user: user?.name };
    if (res.statusCode >= 400 || ms >= SLOW_REQUEST_MS) log.info(line, 'request');
    else log.debug(line, 'request');
  };

  let ready = true;
  const health = async (res: http.ServerResponse) => {
    try {
      if (!ready) throw new Error('shutting down');
      await store.currentRevision();
      sendText(res, 200, 'ok');
    } catch (e) {
      sendText(res, 500, `[-]etcd failed: ${(e as Error).message}`);
    }
  };

  // One express handler for everything: the API does its own routing from the RequestInfo, and
  // a chain of express middlewares (log, auth, kubelet routes, REST, errors) cost about a tenth
  // of the server's CPU on the write path (kube-apiserver, too, is a handler chain of its own).
  const kubelets = new KubeletClient(opts.kubeletClient);
  ctx.metrics = new ResourceMetrics(kubelets, { log });
  const kubelet = kubeletRoutes(ctx, kubelets);
  const rest = restHandler(ctx);
  const serve = async (req: http.IncomingMessage, res: http.ServerResponse, path: string, search: string, setUser: (u: UserInfo) => void) => {
    // Health answers without a token so supervisors and load balancers can probe it.
    if ((req.method === 'GET' || req.method === 'HEAD') && HEALTH_PATHS.test(path)) return health(res);
    const result = authenticate(req.headers.authorization, { tokens, anonymous });
    if (!result.user) return sendStatus(res, errors.unauthorized());
    const user = result.user;
    setUser(user);
    if (await kubelet(req, res, user)) return;
    await rest({ req, res, path, query: queryOf(search), user });
  };
  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const start = performance.now();
    let user: UserInfo | undefined;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const search = q < 0 ? '' : url.slice(q + 1);
    serve(req, res, path, search, (u) => (user = u))
      .catch((err: unknown) => sendStatus(res, toApiError(err, log)))
      .then(() => {
        // Most answers are complete by now; a stream (watch, log, proxy) is logged when it ends.
        if (res.writableEnded) logRequest(req, res, start, user);
        else res.once('finish', () => logRequest(req, res, start, user));
      });
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  app.use(handle);
  const classes = expressServerClasses(app);
  // Only origin-form request targets ("/api/..."): express answers an absolute-form one it
  // cannot parse ("GET http://[x") with an HTML 404 of its own, and the upgrade path would 500.
  const originForm = (req: http.IncomingMessage): ApiError | undefined =>
    req.url?.startsWith('/') ? undefined : errors.badRequest(`the request target must be a path, not ${JSON.stringify((req.url ?? '').slice(0, 100))}`);
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const bad = originForm(req);
    if (bad) sendStatus(res, bad);
    else app(req, res);
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const fail = (err: ApiError) => socket.end(rawStatus(err));
    try {
      const bad = originForm(req);
      if (bad) return fail(bad);
      const url = new URL(req.url ?? '/', 'http://localhost');
      const query: Record<string, string | undefined> = {};
      for (const [k, v] of url.searchParams) query[k] ??= v;
      const auth = authenticate(req.headers.authorization ?? bearerFromProtocols(req.headers['sec-websocket-protocol']), { tokens, anonymous });
      if (!auth.user) return fail(errors.unauthorized());
      const user = auth.user;
      if (streamKindOf(url.pathname)) {
        // exec, attach, portforward: WebSocket or SPDY, carried to the pod's kubelet.
        const info = parseRequestInfo(req.method ?? 'GET', url.pathname, query);
        log.info({ method: req.method, path: req.url, user: user.name, upgrade: req.headers.upgrade }, 'pod stream');
        proxyPodStream(ctx, kubelets, user, info, req, socket, head).catch((e: unknown) => fail(toApiError(e, log)));
        return;
      }
      const info = parseRequestInfo('GET', url.pathname, { ...query, watch: 'true' });
      const resource = info.resourceInfo;
      if (!resource || info.verb !== 'watch' || !resource.verbs.includes('watch')) return fail(new ApiError(404, 'NotFound', 'only watches are served over WebSocket', {}));
      const decision = ctx.authorize(auth.user, info, query.fieldSelector);
      if (!decision.allowed) return fail(errors.forbidden(auth.user.name, 'watch', resource.plural, undefined, resource.group || undefined, decision.reason));
      checkListOptions(info, query);
      const rc: RequestContext = { info, resource, user: auth.user, decision, query, warnings: [], accept: req.headers.accept };
      wss.handleUpgrade(req, socket, head, (ws) => {
        log.info({ method: 'GET', path: req.url, user: auth.user?.name, websocket: true }, 'watch');
        void watchWebSocket(ctx, rc, ws);
      });
    } catch (e) {
      fail(toApiError(e, log));
    }
  };

  const servers: http.Server[] = [];
  const listen = (srv: http.Server, host: string, port: number) =>
    new Promise<AddressInfo>((resolve, reject) => {
      srv.keepAliveTimeout = 65_000;
      srv.headersTimeout = 66_000;
      srv.on('upgrade', onUpgrade);
      srv.on('clientError', onClientError);
      srv.once('error', reject);
      srv.listen(port, host, () => resolve(srv.address() as AddressInfo));
      servers.push(srv);
    });
  const hostPart = (a: AddressInfo) => (a.family === 'IPv6' ? `[${a.address}]` : a.address);
  // Schemas compile on first use (start-up time and memory for kinds never written). The two
  // every node's pods write (Pod alone takes 200-300 ms) are compiled as soon as the server
  // starts, one per turn of the event loop: a first request waits for at most one of them,
  // where a first burst of pod creates would otherwise all wait inside the first create.
  const warm = setImmediate(() => precompileValidators(['Pod', 'Event']));
  const running: RunningApiServer = {
    async close() {
      ready = false;
      clearImmediate(warm);
      compactor?.stop();
      kubernetesService.stop();
      for (const s of servers) s.close();
      kubelets.close();
      for (const s of servers) s.closeAllConnections();
      await Promise.all([...caches.values()].map((c) => c.stop()));
      client.close();
    },
  };
  try {
    if (opts.http) {
      const a = await listen(createHttpServer(listener, classes, { maxHeaderSize: MAX_HEADER_BYTES }), opts.http.host, opts.http.port);
      running.httpUrl = `http://${hostPart(a)}:${a.port}`;
    }
    if (opts.https) {
      const a = await listen(createHttpsServer(listener, classes, opts.https, { maxHeaderSize: MAX_HEADER_BYTES }), opts.https.host, opts.https.port);
      running.httpsUrl = `https://${hostPart(a)}:${a.port}`;
    }
  } catch (e) {
    await running.close();
    throw e;
  }
  log.info({ http: running.httpUrl, https: running.httpsUrl, etcd: opts.etcdServers }, 'apiserver serving');
  return running;
}

