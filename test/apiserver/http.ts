// Small HTTP helpers for the API server suites: JSON requests with a bearer token, and a
// watch reader that collects WatchEvents from a chunked response.
import type { KubeObject, Status, WatchEvent } from '../../api/types/meta.js';

export interface Reply<T = unknown> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface RequestOpts {
  token?: string;
  contentType?: string;
  /** A raw body (string or bytes) sent as is; objects are JSON-encoded. */
  body?: unknown;
  accept?: string;
}

export async function call<T = KubeObject & Status & Record<string, unknown>>(base: string, method: string, path: string, opts: RequestOpts = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.accept) headers.accept = opts.accept;
  let body: string | Uint8Array | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' || opts.body instanceof Uint8Array ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] = opts.contentType ?? 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (health endpoints answer text)
  }
  return { status: res.status, body: parsed as T, text, headers: res.headers };
}

/** A client bound to one server and token. */
export function client(base: string, token?: string) {
  return {
    get: <T = KubeObject & Status & Record<string, unknown>>(path: string, o: RequestOpts = {}) => call<T>(base, 'GET', path, { token, ...o }),
    post: <T = KubeObject & Status & Record<string, unknown>>(path: string, body: unknown, o: RequestOpts = {}) => call<T>(base, 'POST', path, { token, body, ...o }),
    put: <T = KubeObject & Status & Record<string, unknown>>(path: string, body: unknown, o: RequestOpts = {}) => call<T>(base, 'PUT', path, { token, body, ...o }),
    patch: <T = KubeObject & Status & Record<string, unknown>>(path: string, body: unknown, contentType = 'application/merge-patch+json', o: RequestOpts = {}) =>
      call<T>(base, 'PATCH', path, { token, body, contentType, ...o }),
    del: <T = KubeObject & Status & Record<string, unknown>>(path: string, body?: unknown, o: RequestOpts = {}) => call<T>(base, 'DELETE', path, { token, body, ...o }),
  };
}

export type Client = ReturnType<typeof client>;

/** An open watch: events arrive in `events`; `next(n)` waits until n have arrived. */
export interface WatchReader {
  status: number;
  events: WatchEvent<KubeObject & Record<string, unknown>>[];
  until(n: number, timeoutMs?: number): Promise<WatchEvent<KubeObject & Record<string, unknown>>[]>;
  ended: Promise<void>;
  close(): void;
}

export async function openWatch(base: string, path: string, token?: string): Promise<WatchReader> {
  const ac = new AbortController();
  const res = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: ac.signal });
  const events: WatchEvent<KubeObject & Record<string, unknown>>[] = [];
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  const ended = (async () => {
    const reader = res.body?.getReader();
    if (!reader) return;
    const dec = new TextDecoder();
    let pending = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += dec.decode(value, { stream: true });
        let nl = pending.indexOf('\n');
        while (nl >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line) events.push(JSON.parse(line) as WatchEvent<KubeObject & Record<string, unknown>>);
          nl = pending.indexOf('\n');
        }
        wake();
      }
    } catch {
      // aborted by close()
    } finally {
      wake();
    }
  })();
  let done = false;
  void ended.then(() => (done = true));
  return {
    status: res.status,
    events,
    ended,
    async until(n, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < n) {
        if (done) throw new Error(`watch ended after ${events.length} of ${n} events: ${JSON.stringify(events).slice(0, 500)}`);
        if (Date.now() > deadline) throw new Error(`watch saw ${events.length} of ${n} events: ${JSON.stringify(events.map((e) => e.type))}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return events.slice(0, n);
    },
    close() {
      ac.abort();
    },
  };
}
