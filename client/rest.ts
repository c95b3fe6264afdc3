// A typed REST client for the Kubernetes dialect the API server speaks, with the kubeconfig's
// CA / token / client certificate, and one error class (ApiError from api/) for every non-2xx
// answer, rebuilt from the server's Status body. Requests whose answer is read whole go
// through an undici Pool: it costs the caller about half the CPU of node:http per request,
// and a scheduler makes thousands a second (bindings, events). Streams (watches, log
// follows) stay on node:http with keep-alive agents, where callers get an IncomingMessage.
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { errors as undiciErrors, Pool, type Dispatcher } from 'undici';
import { ApiError } from '../api/errors.js';
import { findResource, resourcePath, type ResourceInfo } from '../api/resources.js';
import type { KubeList, KubeObject, Status, DeleteOptions } from '../api/types/meta.js';
import type { Binding, Event, Namespace, Node, Pod, ServiceAccount } from '../api/types/core.js';
import type { Lease } from '../api/types/coordination.js';
import type { ClusterConnection } from './kubeconfig.js';
import { watchStream, type WatchEventOf } from './watch.js';

export type PatchType = 'merge' | 'json' | 'strategic';

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  method?: string;
  path: string;
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Per-request timeout; none for watches and log follows. */
  timeoutMs?: number;
  /** Read the answer to its end but do not decode it (the caller only needs to know it worked). */
  discardAnswer?: boolean;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  signal?: AbortSignal;
}

export interface WatchOptions extends Omit<ListOptions, 'limit' | 'continue'> {
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export interface RestClientOptions {
  userAgent?: string;
  /** Default per-request timeout (ms) for non-streaming calls. */
  timeoutMs?: number;
  /** Sockets per host; the scheduler binds in parallel, so more than node's default helps. */
  maxSockets?: number;
}

/** The Status an error answer means: its own JSON Status when it sent one, else one made from the code and text. */
export function statusFromBody(code: number, text: string, contentType: string | undefined): Status {
  if (contentType?.includes('json')) {
    try {
      const parsed = JSON.parse(text) as Partial<Status>;
      if (parsed && parsed.kind === 'Status') return { ...(parsed as Status), code: parsed.code ?? code };
    } catch {
      // fall through: not JSON after all
    }
  }
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    code,
    reason: code === 404 ? 'NotFound' : code === 401 ? 'Unauthorized' : code === 403 ? 'Forbidden' : 'Unknown',
    message: text.trim() || `the server responded with HTTP ${code}`,
  };
}

function queryString(q: Query | undefined): string {
  if (!q) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

export class RestClient {
  readonly connection: ClusterConnection;
  readonly #base: URL;
  /** Parts of every request computed once: host without IPv6 brackets, path prefix. */
  readonly #hostname: string;
  readonly #pathPrefix: string;
  readonly #resources = new Map<ResourceInfo, ResourceClient<KubeObject>>();
  readonly #byName = new Map<string, ResourceClient<KubeObject>>();
  readonly #agent: http.Agent;
  readonly #pool: Pool;
  readonly #mod: typeof http | typeof https;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #tlsOptions: tls.ConnectionOptions | undefined;

  constructor(connection: ClusterConnection, options: RestClientOptions = {}) {
    this.connection = connection;
    this.#base = new URL(connection.server);
    this.#hostname = this.#base.hostname.replace(/^\[|\]$/g, '');
    this.#pathPrefix = this.#base.pathname.replace(/\/$/, '');
    const secure = this.#base.protocol === 'https:';
    this.#mod = secure ? https : http;
    const maxSockets = options.maxSockets ?? 64;
    // The same TLS settings for the streaming agent and the request pool, with the CA, certificate
    // and key parsed once into one secure context: without it every new connection parses them
    // again (a fifth of a busy controller-manager's CPU, connections churning under deletes).
    const tlsOptions = secure
      ? {
          secureContext: tls.createSecureContext({ ca: connection.ca, cert: connection.cert, key: connection.key }),
          rejectUnauthorized: !connection.insecureSkipTLSVerify,
          ...(connection.tlsServerName ? { servername: connection.tlsServerName } : {}),
        }
      : undefined;
    this.#tlsOptions = tlsOptions;
    const agentOptions = { keepAlive: true, maxSockets, maxFreeSockets: 64 };
    this.#agent = tlsOptions ? new https.Agent({ ...agentOptions, ...tlsOptions }) : new http.Agent(agentOptions);
    this.#pool = new Pool(this.#base.origin, { connections: maxSockets, ...(tlsOptions ? { connect: tlsOptions } : {}) });
    this.#headers = { 'user-agent': options.userAgent ?? 'skiff-client/0.1', accept: 'application/json' };
    if (connection.token) this.#headers.authorization = `Bearer ${connection.token}`;
    else if (connection.username !== undefined)
      this.#headers.authorization = `Basic ${Buffer.from(`${connection.username}:${connection.password ?? ''}`).toString('base64')}`;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  get namespace(): string {
    return this.connection.namespace;
  }

  /**
   * Where and how to open a connection of one's own to `path` (a WebSocket or SPDY upgrade for
   * exec, attach and port-forward): the URL, the credential headers, and the TLS settings that
   * every other request of this client uses.
   */
  connectionTarget(path: string, query?: URLSearchParams): { url: URL; headers: Record<string, string>; tls: tls.ConnectionOptions | undefined } {
    const url = new URL(this.#base.origin);
    url.pathname = `${this.#pathPrefix}${path}`;
    if (query) url.search = query.toString();
    const headers = { ...this.#headers };
    delete headers.accept;
    return { url, headers, tls: this.#tlsOptions };
  }

  /** Opens a request and resolves with the response once headers arrive; non-2xx becomes ApiError. */
  async open(opts: RequestOptions): Promise<http.IncomingMessage> {
    const payload =
      opts.body === undefined ? undefined : typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = { ...this.#headers };
    if (payload !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = this.#mod.request(
        {
          protocol: this.#base.protocol,
          hostname: this.#hostname,
          port: this.#base.port,
          method: opts.method ?? 'GET',
          path: `${this.#pathPrefix}${opts.path}${queryString(opts.query)}`,
          headers,
          agent: this.#agent,
          signal: opts.signal,
        },
        resolve,
      );
      req.on('error', reject);
      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`request to ${opts.path} timed out after ${opts.timeoutMs} ms`)));
      }
      req.end(payload);
    });
    const code = res.statusCode ?? 0;
    if (code >= 200 && code < 300) return res;
    const text = await readAll(res);
    throw ApiError.fromStatus(statusFromBody(code, text, res.headers['content-type']), code);
  }

  /** One request, the body parsed as JSON (or returned as text when it is not JSON). */
  async request<T>(opts: RequestOptions): Promise<T> {
    const timeoutMs = 'timeoutMs' in opts ? (opts.timeoutMs ?? 0) : this.#timeoutMs;
    const payload =
      opts.body === undefined ? undefined : typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body);
    const headers = payload === undefined ? this.#headers : { ...this.#headers, 'content-type': opts.contentType ?? 'application/json' };
    const path = `${this.#pathPrefix}${opts.path}${queryString(opts.query)}`;
    try {
      const res = await this.#pool.request({
        method: (opts.method ?? 'GET') as Dispatcher.HttpMethod,
        path,
        headers,
        body: payload,
        // undici closes the connection after a body on a method that does not expect one
        // (RFC 7230's caution about servers that leave it unread); the API server reads a
        // DELETE's DeleteOptions, so the connection stays. Without this every DELETE with
        // options (the garbage collector's, the kubelet's final one) paid a new TLS connection.
        ...(payload !== undefined ? { reset: false } : {}),
        signal: opts.signal,
        // 0 turns undici's timeouts off, as no timeout does for node:http.
        headersTimeout: timeoutMs > 0 ? timeoutMs : 0,
        bodyTimeout: timeoutMs > 0 ? timeoutMs : 0,
      });
      const code = res.statusCode;
      const type = res.headers['content-type'];
      const contentType = Array.isArray(type) ? type[0] : type;
      if (code < 200 || code >= 300) {
        const text = await res.body.text();
        throw ApiError.fromStatus(statusFromBody(code, text, contentType), code);
      }
      if (opts.discardAnswer) {
        await res.body.dump();
        return undefined as T;
      }
      const text = await res.body.text();
      if (!text) return undefined as T;
      if (contentType?.includes('json')) return JSON.parse(text) as T;
      return text as T;
    } catch (e) {
      if (e instanceof undiciErrors.HeadersTimeoutError || e instanceof undiciErrors.BodyTimeoutError) {
        throw new Error(`request to ${opts.path} timed out after ${timeoutMs} ms`, { cause: e });
      }
      throw e;
    }
  }

  resource<T extends KubeObject>(info: ResourceInfo): ResourceClient<T> {
    // One client per resource: `client.pods` is on every request's path.
    let rc = this.#resources.get(info);
    if (!rc) this.#resources.set(info, (rc = new ResourceClient<KubeObject>(this, info)));
    return rc as unknown as ResourceClient<T>;
  }

  /** A client for any resource by plural, kind or short name ("pods", "Pod", "po"). */
  resourceByName<T extends KubeObject = KubeObject>(name: string, group?: string): ResourceClient<T> {
    const key = `${group ?? '*'}/${name}`;
    const known = this.#byName.get(key);
    if (known) return known as unknown as ResourceClient<T>;
    const info = findResource(name, group);
    if (!info) throw new Error(`the server doesn't have a resource type "${name}"`);
    const rc = this.resource<T>(info);
    this.#byName.set(key, rc as unknown as ResourceClient<KubeObject>);
    return rc;
  }

  get pods(): ResourceClient<Pod> {
    return this.resourceByName<Pod>('pods', '');
  }
  get nodes(): ResourceClient<Node> {
    return this.resourceByName<Node>('nodes', '');
  }
  get namespaces(): ResourceClient<Namespace> {
    return this.resourceByName<Namespace>('namespaces', '');
  }
  get events(): ResourceClient<Event> {
    return this.resourceByName<Event>('events', '');
  }
  get serviceAccounts(): ResourceClient<ServiceAccount> {
    return this.resourceByName<ServiceAccount>('serviceaccounts', '');
  }
  get leases(): ResourceClient<Lease> {
    return this.resourceByName<Lease>('leases', 'coordination.k8s.io');
  }

  /**
   * POST pods/<name>/binding: how a scheduler assigns a pod to a node. The answer is a
   * Success Status, so it is read but not decoded; a failure still throws its ApiError.
   */
  async bindPod(namespace: string, name: string, nodeName: string, uid?: string, annotations?: Record<string, string>): Promise<void> {
    const binding: Binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, namespace, ...(uid ? { uid } : {}), ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}) },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    };
    await this.request<void>({ method: 'POST', path: this.pods.path({ namespace, name, subresource: 'binding' }), body: binding, discardAnswer: true });
  }

  /** Frees the keep-alive sockets so a process can exit. */
  close(): void {
    this.#agent.destroy();
    this.#pool.destroy().catch(() => undefined);
  }
}

export class ResourceClient<T extends KubeObject> {
  readonly #rest: RestClient;
  readonly info: ResourceInfo;

  constructor(rest: RestClient, info: ResourceInfo) {
    this.#rest = rest;
    this.info = info;
  }

  /** The namespace to use: explicit, the object's, else the context's (namespaced resources only). */
  #ns(namespace: string | undefined, obj?: KubeObject): string | undefined {
    if (!this.info.namespaced) return undefined;
    return namespace ?? obj?.metadata?.namespace ?? this.#rest.namespace;
  }

  path(opts: { namespace?: string; name?: string; subresource?: string; allNamespaces?: boolean } = {}): string {
    const namespace = opts.allNamespaces ? undefined : this.#ns(opts.namespace);
    return resourcePath(this.info, { namespace, name: opts.name, subresource: opts.subresource });
  }

  get(name: string, opts: { namespace?: string; signal?: AbortSignal } = {}): Promise<T> {
    return this.#rest.request<T>({ path: this.path({ namespace: opts.namespace, name }), signal: opts.signal });
  }

  /** Lists one namespace, or all namespaces when `namespace` is '' (or the resource is cluster-scoped). */
  list(opts: ListOptions = {}): Promise<KubeList<T>> {
    return this.#rest.request<KubeList<T>>({
      path: this.path({ namespace: opts.namespace, allNamespaces: opts.namespace === '' }),
      query: {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
      },
      signal: opts.signal,
    });
  }

  /** Follows `continue` tokens until the whole list is read; the resourceVersion is the first page's. */
  async listAll(opts: Omit<ListOptions, 'continue'> = {}): Promise<KubeList<T>> {
    const first = await this.list(opts);
    const items = [...first.items];
    let token = first.metadata?.continue;
    while (token) {
      const page = await this.list({ ...opts, continue: token });
      items.push(...page.items);
      token = page.metadata?.continue;
    }
    return { ...first, metadata: { ...first.metadata, continue: undefined }, items };
  }

  create(obj: T, opts: { namespace?: string; signal?: AbortSignal } = {}): Promise<T> {
    return this.#rest.request<T>({ method: 'POST', path: this.path({ namespace: this.#ns(opts.namespace, obj) }), body: obj, signal: opts.signal });
  }

  /**
   * POST without decoding the answer, for writers that do not look at it (event recorders,
   * load generators): what is saved is the parse of the stored object. Errors still throw.
   */
  async createOnly(obj: T, opts: { namespace?: string; signal?: AbortSignal } = {}): Promise<void> {
    await this.#rest.request<void>({ method: 'POST', path: this.path({ namespace: this.#ns(opts.namespace, obj) }), body: obj, signal: opts.signal, discardAnswer: true });
  }

  /** PUT: fails with 409 Conflict when the object's resourceVersion is stale. */
  update(obj: T, opts: { namespace?: string; subresource?: string; signal?: AbortSignal } = {}): Promise<T> {
    const name = obj.metadata?.name;
    if (!name) throw new Error('update needs metadata.name');
    return this.#rest.request<T>({
      method: 'PUT',
      path: this.path({ namespace: this.#ns(opts.namespace, obj), name, subresource: opts.subresource }),
      body: obj,
      signal: opts.signal,
    });
  }

  updateStatus(obj: T, opts: { namespace?: string; signal?: AbortSignal } = {}): Promise<T> {
    return this.update(obj, { ...opts, subresource: 'status' });
  }

  patch(
    name: string,
    patch: unknown,
    opts: { type?: PatchType; namespace?: string; subresource?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    return this.#rest.request<T>({
      method: 'PATCH',
      path: this.path({ namespace: opts.namespace, name, subresource: opts.subresource }),
      body: patch,
      contentType: PATCH_CONTENT_TYPE[opts.type ?? 'merge'],
      signal: opts.signal,
    });
  }

  patchStatus(name: string, patch: unknown, opts: { type?: PatchType; namespace?: string; signal?: AbortSignal } = {}): Promise<T> {
    return this.patch(name, patch, { ...opts, subresource: 'status' });
  }

  /** DELETE; answers the object (graceful deletion in progress) or a Status. */
  delete(
    name: string,
    opts: { namespace?: string; gracePeriodSeconds?: number; preconditions?: DeleteOptions['preconditions']; propagationPolicy?: DeleteOptions['propagationPolicy']; signal?: AbortSignal } = {},
  ): Promise<T | Status> {
    const body: DeleteOptions | undefined =
      opts.gracePeriodSeconds !== undefined || opts.preconditions || opts.propagationPolicy
        ? { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: opts.gracePeriodSeconds, preconditions: opts.preconditions, propagationPolicy: opts.propagationPolicy }
        : undefined;
    return this.#rest.request<T | Status>({ method: 'DELETE', path: this.path({ namespace: opts.namespace, name }), body, signal: opts.signal });
  }

  /** DELETE of a collection in one namespace (deletecollection), each object as a single DELETE would go; the answer is not decoded. */
  async deleteCollection(opts: { namespace?: string; labelSelector?: string; propagationPolicy?: DeleteOptions['propagationPolicy']; signal?: AbortSignal } = {}): Promise<void> {
    const body: DeleteOptions | undefined = opts.propagationPolicy ? { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: opts.propagationPolicy } : undefined;
    await this.#rest.request<void>({
      method: 'DELETE',
      path: this.path({ namespace: opts.namespace }),
      query: { labelSelector: opts.labelSelector },
      body,
      signal: opts.signal,
      discardAnswer: true,
    });
  }

  /** POST to a subresource (binding, eviction): the answer is usually a Status. */
  createSubresource<R = Status>(name: string, subresource: string, body: unknown, opts: { namespace?: string; signal?: AbortSignal } = {}): Promise<R> {
    return this.#rest.request<R>({ method: 'POST', path: this.path({ namespace: opts.namespace, name, subresource }), body, signal: opts.signal });
  }

  /** GET a subresource (log answers text/plain, status answers the object). */
  getSubresource<R = string>(name: string, subresource: string, opts: { namespace?: string; query?: Query; signal?: AbortSignal } = {}): Promise<R> {
    return this.#rest.request<R>({ path: this.path({ namespace: opts.namespace, name, subresource }), query: opts.query, signal: opts.signal });
  }

  /** Opens a streaming subresource (log with follow=true) and returns the raw response. */
  streamSubresource(name: string, subresource: string, opts: { namespace?: string; query?: Query; signal?: AbortSignal } = {}): Promise<http.IncomingMessage> {
    return this.#rest.open({ path: this.path({ namespace: opts.namespace, name, subresource }), query: opts.query, signal: opts.signal });
  }

  /**
   * Watches from `resourceVersion` (exclusive). Iterate the result; ERROR events carry a Status
   * (code 410 / reason Expired means the version is compacted and the caller must relist).
   */
  async watch(opts: WatchOptions = {}): Promise<AsyncIterable<WatchEventOf<T>>> {
    const res = await this.#rest.open({
      path: this.path({ namespace: opts.namespace, allNamespaces: opts.namespace === '' }),
      query: {
        watch: 1,
        resourceVersion: opts.resourceVersion,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        allowWatchBookmarks: opts.allowWatchBookmarks,
        timeoutSeconds: opts.timeoutSeconds,
      },
      signal: opts.signal,
    });
    return watchStream<T>(res, opts.signal);
  }
}

/**
 * The whole body as text. Plain listeners rather than `for await`: the async iterator costs
 * more than a small answer's parse, and a scheduler reads thousands of them a second.
 */
function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => {
      ended = true;
      resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    res.on('error', reject);
    // A promise settles once: after 'end' or 'error' this is a no-op.
    res.on('close', () => {
      if (!ended) reject(new Error('the connection closed before the answer was complete'));
    });
  });
}
