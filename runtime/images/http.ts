// A small HTTP(S) transport on node:http/https. skiff does not use global fetch here because
// registries need per-host TLS settings (CA, client certificates, skip-verify), streaming
// bodies with Range resume, and keep-alive agents per TLS configuration.
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { RuntimeError } from '../cri.js';
import type { RegistryTls } from './registries-config.js';
import { transportError } from './registry-errors.js';

export interface HttpRequest {
  method: string;
  url: string;
  headers?: OutgoingHttpHeaders;
  body?: Buffer | (() => Readable);
  tls?: RegistryTls;
  signal?: AbortSignal;
  /** Follow redirects (GET/HEAD); Authorization is dropped when the host changes. */
  followRedirects?: boolean;
  timeoutMs?: number;
}

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const httpsAgents = new Map<string, https.Agent>();

function httpsAgent(tls: RegistryTls | undefined): https.Agent {
  const key = tls ? `${tls.ca?.toString('base64') ?? ''}|${tls.cert?.toString('base64') ?? ''}|${tls.insecureSkipVerify ? 1 : 0}` : '';
  let a = httpsAgents.get(key);
  if (!a) {
    a = new https.Agent({ keepAlive: true, maxSockets: 16, ca: tls?.ca, cert: tls?.cert, key: tls?.key, rejectUnauthorized: !tls?.insecureSkipVerify });
    httpsAgents.set(key, a);
  }
  return a;
}

/** Sends one request; resolves with the response (body unread) for any status. */
export async function httpRequest(req: HttpRequest, redirects = 0): Promise<IncomingMessage> {
  const u = new URL(req.url);
  const isHttps = u.protocol === 'https:';
  const mod = isHttps ? https : http;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const r = mod.request(
      u,
      { method: req.method, headers: req.headers, agent: isHttps ? httpsAgent(req.tls) : httpAgent, signal: req.signal, timeout: req.timeoutMs ?? 60_000 },
      resolve,
    );
    r.on('timeout', () => r.destroy(new RuntimeError('Unavailable', `${req.method} ${u.origin}${u.pathname}: timed out`)));
    r.on('error', (e) => reject(e instanceof RuntimeError ? e : transportError(u.host, `${req.method} ${u.origin}${u.pathname}`, e)));
    if (req.body === undefined) r.end();
    else if (Buffer.isBuffer(req.body)) r.end(req.body);
    else {
      const body = req.body();
      body.on('error', (e) => r.destroy(e));
      body.pipe(r);
    }
  });
  const status = res.statusCode ?? 0;
  if (req.followRedirects && status >= 300 && status < 400 && res.headers.location) {
    res.resume();
    if (redirects >= 5) throw new RuntimeError('Unavailable', `${req.url}: too many redirects`);
    const next = new URL(res.headers.location, u);
    const headers = { ...req.headers };
    if (next.host !== u.host) delete headers.authorization;
    return httpRequest({ ...req, url: next.toString(), headers }, redirects + 1);
  }
  return res;
}

/** Reads a whole (small) body, refusing more than `limit` bytes. */
export async function readBody(res: IncomingMessage, limit = 8 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > limit) {
      res.destroy();
      throw new RuntimeError('InvalidArgument', `response larger than ${limit} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The registry's own error text (distribution spec: {"errors":[{code,message}]}), for messages. */
export async function errorText(res: IncomingMessage): Promise<string> {
  const body = await readBody(res, 64 << 10).catch(() => Buffer.alloc(0));
  try {
    const j = JSON.parse(body.toString()) as { errors?: { code?: string; message?: string }[] };
    if (j.errors?.length) return j.errors.map((e) => `${e.code ?? ''}${e.message ? `: ${e.message}` : ''}`).join('; ');
  } catch {
    // not JSON: use the text itself
  }
  return body.toString('utf8', 0, Math.min(body.length, 200)).trim();
}
