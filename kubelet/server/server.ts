// The kubelet's HTTPS server (Kubernetes' kubelet server on :10250): container logs, the
// pods it runs, stats, the node's images, health. Every path but /healthz is for the API
// server alone, proven by its client certificate (see authn.ts); the API server reaches it
// through pods/log and nodes/proxy. Its stream handler is also registered for an API server in
// this same process (api/httpstream/in-process-kubelet.ts), unless `inProcessStreams` is false.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { registerInProcessKubelet } from '../../api/httpstream/in-process-kubelet.js';
import type { Pod, PodStatus } from '../../api/types/core.js';
import type { ImageService, RuntimeService } from '../../runtime/cri.js';
import { silentLogger, type Logger } from '../logger.js';
import type { KubeletAuthenticator } from './authn.js';
import { serveContainerLogs } from './container-logs.js';
import { boolQuery, HttpError, pathSegments, sendJson, sendText } from './http.js';
import { pullsInProgressOf, type PullsInProgress } from '../pulls-in-progress.js';
import { followPull, listImages, pruneImages, pullImage, removeImage } from './images.js';
import { SummaryProvider } from './stats-summary.js';
import { StreamServer } from './streams.js';

/** How long a restarted kubelet retries a port its predecessor still holds. */
const PORT_IN_USE_RETRY_MS = 10_000;

export interface KubeletServerOptions {
  nodeName: string;
  runtime: RuntimeService;
  images: ImageService;
  /** The pulls the kubelet makes for pods; by default the ones its ImageService carries. */
  pulls?: PullsInProgress;
  /** The pods the kubelet runs, and the newest status it computed for one. */
  pods(): Pod[];
  statusOf(uid: string): PodStatus | undefined;
  authn: KubeletAuthenticator;
  /** PEM serving certificate and key. */
  tls: { cert: string | Buffer; key: string | Buffer };
  host: string;
  /** 0: any free port (tests). */
  port: number;
  logger?: Logger;
  /** --streaming-connection-idle-timeout: a stream with no traffic this long is closed (4 h by default). */
  streamIdleTimeoutMs?: number;
  /** Whether an API server in this process may hand its streams for this node over directly (default true). */
  inProcessStreams?: boolean;
}

export interface RunningKubeletServer {
  port: number;
  close(): Promise<void>;
}

/** The verb the kubelet's authorizer names for an HTTP method, as Kubernetes' kubelet does. */
function verbOf(method: string): string {
  return { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method] ?? 'get';
}

/** The nodes subresource a path falls under (Kubernetes' kubelet: stats, metrics, log, spec; the rest proxy). */
function subresourceOf(head: string | undefined): string {
  if (head === 'stats' || head === 'metrics' || head === 'spec') return head;
  if (head === 'logs') return 'log';
  return 'proxy';
}

export async function startKubeletServer(o: KubeletServerOptions): Promise<RunningKubeletServer> {
  const log = o.logger ?? silentLogger;
  const pulls = o.pulls ?? pullsInProgressOf(o.images);
  const summary = new SummaryProvider({ nodeName: o.nodeName, runtime: o.runtime, images: o.images, pods: o.pods });

  const route = async (req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const parts = pathSegments(url.pathname);
    const q = url.searchParams;
    const m = req.method ?? 'GET';
    if (m === 'GET' && url.pathname === '/healthz') return sendText(res, 200, 'ok');
    const [head, ...rest] = parts;
    const verdict = o.authn.judge(req, { verb: verbOf(m), subresource: subresourceOf(head) });
    if (!verdict.allowed) throw new HttpError(verdict.status, verdict.message);
    if (m === 'GET' && head === 'containerLogs') return serveContainerLogs({ runtime: o.runtime, pods: o.pods, statusOf: o.statusOf }, rest, q, res, signal);
    if (m === 'GET' && head === 'pods' && rest.length === 0) return sendJson(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: o.pods() });
    if (m === 'GET' && head === 'stats' && rest.join('/') === 'summary') return sendJson(res, 200, await summary.summary());
    if (StreamServer.isStreamPath(url.pathname)) throw new HttpError(400, 'Upgrade request required');
    if (head === 'images') {
      if (m === 'GET' && rest.length === 0) return listImages(o.images, res);
      if (m === 'POST' && rest.join('/') === 'pull') return pullImage(o.images, q, req, res, signal);
      if (m === 'GET' && rest.join('/') === 'pulls') return followPull(pulls, q, res, signal);
      if (m === 'POST' && rest.join('/') === 'prune') return pruneImages(o.images, res);
      // A reference may hold slashes ("127.0.0.1:5000/app:v1"), encoded or not.
      if (m === 'DELETE' && rest.length > 0) return removeImage(o.images, rest.join('/'), boolQuery(q, 'force'), res);
    }
    throw new HttpError(404, `404 page not found: ${m} ${url.pathname}`);
  };

  const server = https.createServer({ cert: o.tls.cert, key: o.tls.key, ...o.authn.tlsOptions }, (req, res) => {
    const abort = new AbortController();
    // The client going away (kubectl logs -f interrupted) ends a follow or a pull.
    res.on('close', () => abort.abort());
    route(req, res, abort.signal).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (status === 500) log.warn({ err, path: req.url }, 'kubelet server request failed');
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) sendText(res, status, message);
      else res.end();
    });
  });
  const streams = new StreamServer({ runtime: o.runtime, pods: o.pods, statusOf: o.statusOf, authn: o.authn, idleTimeoutMs: o.streamIdleTimeoutMs, log });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => streams.handleUpgrade(req, socket, head));
  // A kubelet restarted by its supervisor may find the port still held by the one it
  // replaces for a moment: retry a while before giving up.
  const deadline = Date.now() + PORT_IN_USE_RETRY_MS;
  for (;;) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.port, o.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() >= deadline) throw e;
      log.warn({ port: o.port }, 'kubelet server port in use; retrying');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const port = (server.address() as AddressInfo).port;
  log.info({ host: o.host, port }, 'kubelet server listening');
  const unregister = o.inProcessStreams === false ? undefined : registerInProcessKubelet(o.nodeName, port, (req, socket, head) => streams.serveInProcess(req, socket, head));
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        unregister?.();
        server.close(() => resolve());
        server.closeAllConnections();
        streams.close();
      }),
  };
}
