// pods/{name}/exec, pods/{name}/attach and pods/{name}/portforward: kube-apiserver's streaming
// subresources. The request is an upgrade (WebSocket as kubectl 1.30+ speaks it for exec and
// 1.31+ for port-forward, or SPDY/3.1 as older kubectl and client-go do), authorized as
// `create` on the subresource whatever the method (a WebSocket upgrade is a GET; Kubernetes
// checks `create` for it since 1.31), checked here as kube-apiserver's ExecLocation,
// AttachLocation and PortForwardLocation check it, and then carried byte for byte to the
// pod's kubelet, which speaks the protocols (/exec, /attach, /portForward). The API server
// proves itself to the kubelet with its client certificate; the client's own credential
// (Authorization, or a bearer token in the WebSocket subprotocols) never leaves here.
// When the pod's kubelet runs in this same process (`skiff server`), the client's connection
// goes to its stream handler directly (api/httpstream/in-process-kubelet.ts): no TLS hop, no
// relay, the same checks before it and the same Status for a refusal.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiError } from '../../api/errors.js';
import { errors } from '../../api/errors.js';
import { inProcessKubelet, type InProcessStreamHandler } from '../../api/httpstream/in-process-kubelet.js';
import { relayBoth } from '../../api/httpstream/relay.js';
import { queryBool } from '../../api/query.js';
import { findResource, type ResourceInfo } from '../../api/resources.js';
import type { Node, Pod } from '../../api/types/core.js';
import type { UserInfo } from '../auth/user.js';
import type { ApiContext } from '../context.js';
import type { KubeletClient, KubeletConnection } from '../kubelet-client.js';
import { kubeletError, kubeletPort, readText } from '../kubelet-client.js';
import type { RequestInfo } from '../request-info.js';
import { logContainer } from './pod-log.js';

export const POD_STREAM = /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/(exec|attach|portforward)\/?$/;

export type StreamKind = 'exec' | 'attach' | 'portforward';

/** kube's wording for the streams a completed pod cannot take (registry/core/pod/strategy.go). */
const VERB_TEXT: Record<StreamKind, string> = { exec: 'exec into', attach: 'attach to', portforward: 'port-forward to' };
const OPTIONS_KIND: Record<StreamKind, string> = { exec: 'PodExecOptions', attach: 'PodAttachOptions', portforward: 'PodPortForwardOptions' };

/** Request headers that stay here: the client's credentials, and what the connection to the kubelet sets itself. */
const DROPPED = new Set(['authorization', 'host', 'content-length', 'transfer-encoding', 'proxy-authorization', 'impersonate-user', 'impersonate-group', 'impersonate-uid']);
/** A bearer token carried as a WebSocket subprotocol (browsers cannot set Authorization). */
const BEARER_PROTOCOL = /^base64url\.bearer\.authorization\.k8s\.io\./;

function queryValues(url: URL, name: string): string[] {
  return url.searchParams.getAll(name);
}

function flag(url: URL, name: string): boolean {
  return queryBool(url.searchParams.get(name));
}

/** The kubelet's path and query for a stream, from the API request (kube's streamParams). */
export function kubeletStreamPath(kind: StreamKind, pod: Pod, url: URL): string {
  const ns = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  if (kind === 'portforward') {
    const q = new URLSearchParams();
    for (const p of queryValues(url, 'ports')) {
      for (const one of p.split(',')) {
        const n = Number(one);
        if (!/^\d+$/.test(one) || n < 1 || n > 65535) throw errors.invalid(OPTIONS_KIND.portforward, name, [{ field: 'ports', message: `port "${one}" must be an integer between 1 and 65535` }]);
        q.append('port', one);
      }
    }
    const qs = q.toString();
    return `/portForward/${encodeURIComponent(ns)}/${encodeURIComponent(name)}${qs ? `?${qs}` : ''}`;
  }
  const container = logContainer(pod, url.searchParams.get('container') ?? undefined);
  const stdin = flag(url, 'stdin');
  const stdout = flag(url, 'stdout');
  const stderr = flag(url, 'stderr');
  const tty = flag(url, 'tty');
  const command = queryValues(url, 'command');
  const causes: { field: string; message: string }[] = [];
  if (!stdin && !stdout && !stderr) causes.push({ field: '', message: 'you must specify at least 1 of stdin, stdout, stderr' });
  if (kind === 'exec' && command.length === 0) causes.push({ field: 'command', message: 'Required value' });
  if (causes.length) throw errors.invalid(OPTIONS_KIND[kind], name, causes);
  const q = new URLSearchParams();
  for (const c of command) q.append('command', c);
  if (stdin) q.set('input', '1');
  if (stdout) q.set('output', '1');
  if (stderr) q.set('error', '1');
  if (tty) q.set('tty', '1');
  return `/${kind}/${[ns, name, container].map(encodeURIComponent).join('/')}?${q.toString()}`;
}

/** A client header's value as the kubelet gets it: undefined for what stays here (credentials, connection framing). */
function forwardedValue(lowerName: string, value: string): string | undefined {
  if (DROPPED.has(lowerName)) return undefined;
  if (lowerName !== 'sec-websocket-protocol') return value;
  const kept = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p && !BEARER_PROTOCOL.test(p))
    .join(', ');
  return kept || undefined;
}

/** The client's headers for the kubelet, repeated ones kept apart, its credentials left out. */
export function forwardedHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i] ?? '';
    const v = forwardedValue(k.toLowerCase(), raw[i + 1] ?? '');
    if (v !== undefined) out.push(k, v);
  }
  return out;
}

/** The same, for an in-process kubelet: Node's parsed headers (names lower-case, repeats joined). */
function forwardedHeaderObject(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      if (!DROPPED.has(k)) out[k] = v;
      continue;
    }
    const kept = forwardedValue(k, v);
    if (kept !== undefined) out[k] = kept;
  }
  return out;
}

/** The stream handler of the node's kubelet when it runs in this process. */
function inProcess(node: Node): InProcessStreamHandler | undefined {
  return inProcessKubelet(node.metadata.name ?? '', kubeletPort(node));
}

/**
 * The pod a stream goes to, and its node, checked as kube-apiserver's *Location functions do:
 * read from etcd, never from the watch cache, which may lag (a pod deleted and made again on
 * another node, a node with a new address). `nodeHint`, the node the cache names, is read
 * beside the pod; another node is read after it.
 */
async function streamTarget(ctx: ApiContext, kind: StreamKind, info: RequestInfo, nodeHint: string | undefined): Promise<{ pod: Pod; node: Node }> {
  const ns = info.namespace ?? '';
  const name = info.name ?? '';
  const { pods, nodes } = streamResources();
  const nodeOf = (nodeName: string) => ctx.store.get(ctx.keys.objectKey(nodes, undefined, nodeName)) as Promise<Node | null>;
  const hinted = nodeHint ? nodeOf(nodeHint) : undefined;
  hinted?.catch(() => undefined);
  const pod = (await ctx.store.get(ctx.keys.objectKey(pods, ns, name))) as Pod | null;
  if (!pod) throw errors.notFound('pods', name);
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') throw errors.badRequest(`cannot ${VERB_TEXT[kind]} a container in a completed pod; current phase is ${phase}`);
  const nodeName = pod.spec.nodeName;
  if (!nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  const node = await (nodeName === nodeHint && hinted ? hinted : nodeOf(nodeName));
  if (!node) throw errors.badRequest(`node "${nodeName}" of pod ${name} not found`);
  return { pod, node };
}

function streamResources(): { pods: ResourceInfo; nodes: ResourceInfo } {
  const pods = findResource('pods', '');
  const nodes = findResource('nodes', '');
  if (!pods || !nodes) throw errors.internal('pods or nodes are not served');
  return { pods, nodes };
}

/**
 * The connection to the kubelet the watch cache expects the stream to go to, started while
 * etcd is read: used only if etcd names the same kubelet address, else closed unused.
 */
function earlyConnection(ctx: ApiContext, kubelets: KubeletClient, info: RequestInfo): { nodeName?: string; conn?: KubeletConnection } {
  try {
    const { pods, nodes } = streamResources();
    const pod = ctx.caches.get(pods.plural)?.get(ctx.keys.objectKey(pods, info.namespace ?? '', info.name ?? '')) as Pod | undefined;
    const nodeName = pod?.spec.nodeName;
    if (!nodeName) return {};
    const node = ctx.caches.get(nodes.plural)?.get(ctx.keys.objectKey(nodes, undefined, nodeName)) as Node | undefined;
    return { nodeName, conn: node && !inProcess(node) ? kubelets.connect(node) : undefined };
  } catch {
    // Nothing usable in the cache (an object it cannot read, a node without an address): etcd tells.
    return {};
  }
}

/** Authorizes a stream request: `create` on pods/<kind>, for GET (WebSocket) and POST (SPDY) alike. */
export function authorizeStream(ctx: ApiContext, user: UserInfo, kind: StreamKind, info: RequestInfo): void {
  const asCreate: RequestInfo = { ...info, verb: 'create' };
  const decision = ctx.authorize(user, asCreate);
  if (!decision.allowed) throw errors.forbidden(user.name, 'create', `pods/${kind}`, info.name, undefined, decision.reason);
}

/** The kind of stream a request path asks for, or undefined. */
export function streamKindOf(pathname: string): StreamKind | undefined {
  return POD_STREAM.exec(pathname)?.[1] as StreamKind | undefined;
}

/**
 * Carries an upgrade request to the pod's kubelet and, once the kubelet has switched
 * protocols, the bytes both ways until either side closes. A kubelet that refuses to switch
 * has its answer passed on as a Status.
 */
export async function proxyPodStream(ctx: ApiContext, kubelets: KubeletClient, user: UserInfo, info: RequestInfo, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const kind = streamKindOf(info.path);
  if (!kind) throw errors.notFound('pods', info.name ?? '');
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'POST') {
    const decision = ctx.authorize(user, info);
    if (!decision.allowed) throw errors.forbidden(user.name, info.verb, `pods/${kind}`, info.name, undefined, decision.reason);
    throw errors.methodNotAllowed(`${method} is not supported on pods/${kind}`);
  }
  authorizeStream(ctx, user, kind, info);
  const url = new URL(req.url ?? '/', 'http://apiserver');
  const early = earlyConnection(ctx, kubelets, info);
  let answer: Awaited<ReturnType<KubeletClient['upgrade']>>;
  let pod: Pod;
  try {
    const target = await streamTarget(ctx, kind, info, early.nodeName);
    pod = target.pod;
    const path = kubeletStreamPath(kind, pod, url);
    const local = inProcess(target.node);
    if (local) {
      early.conn?.discard();
      return await serveInProcess(local, pod, { method, url: path, headers: forwardedHeaderObject(req.headers) }, socket, head);
    }
    answer = await kubelets.upgrade(target.node, method, path, forwardedHeaders(req.rawHeaders), early.conn);
  } catch (e) {
    early.conn?.discard();
    throw e;
  }
  if ('refused' in answer) {
    const res = answer.refused;
    throw kubeletError(pod.spec.nodeName ?? '', res.statusCode ?? 502, await readText(res));
  }
  const { res, socket: up, head: upHead } = answer.switched;
  const lines = [`HTTP/1.1 101 ${res.statusMessage || 'Switching Protocols'}`];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (upHead.length) socket.write(upHead);
  if (head.length) up.write(head);
  splice(socket, up);
}

/** A stream handed to the kubelet in this process; its refusal becomes the Status the TLS path would give. */
async function serveInProcess(serve: InProcessStreamHandler, pod: Pod, req: Parameters<InProcessStreamHandler>[0], socket: Duplex, head: Buffer): Promise<void> {
  try {
    await serve(req, socket, head);
  } catch (e) {
    const status = (e as { status?: unknown }).status;
    throw kubeletError(pod.spec.nodeName ?? '', typeof status === 'number' ? status : 500, (e as Error).message.trim());
  }
}

/** Pipes two connections into each other; either one ending or failing ends both. */
function splice(a: Duplex, b: Duplex): void {
  // Streams carry small interactive frames (keystrokes, a request per connection): no Nagle delay.
  for (const s of [a, b]) (s as Duplex & { setNoDelay?(on: boolean): void }).setNoDelay?.(true);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  for (const s of [a, b]) {
    s.on('error', end);
    s.on('close', end);
  }
  relayBoth(a, b);
}

/** A stream request that is no upgrade: Kubernetes answers 400 "Upgrade request required". */
export function upgradeRequired(): ApiError {
  return errors.badRequest('Upgrade request required');
}
