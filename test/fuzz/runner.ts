// The fuzz suites' side of the wire: one API server as its own process (so its RSS can be
// read) on its own etcd, keep-alive HTTP through undici, a count of every request sent, and
// a description of a request and its answer short enough to read in a failure.
import { readFile } from 'node:fs/promises';
import { Pool, type Dispatcher } from 'undici';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';

/** A request as the generators make it: raw path (already encoded as it goes on the wire), raw body. */
export interface FuzzRequest {
  method: string;
  path: string;
  /** who sends it, for the failure message (admin, node-a, scheduler, ...) */
  as?: string;
  token?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface FuzzReply {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** the parsed JSON body, or undefined when it is not JSON */
  json: unknown;
}

/**
 * The seed of this run, printed. Fixed under `npm test`, so that CI runs the same requests
 * every time and a failure is the tree's, not the draw's; FUZZ_SEED=random (as `npm run fuzz`
 * sets it) draws one, FUZZ_SEED=<n> replays a run.
 */
const FIXED_SEED = 20261207;
export const SEED =
  process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 0x7fffffff) : process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : FIXED_SEED;
export const RUNS = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 40;
/** A bound on the server's resident memory, in MiB. */
export const MAX_RSS_MIB = Number(process.env.FUZZ_MAX_RSS_MIB ?? 768);

const BODY_EXCERPT = 400;

function excerpt(s: string | undefined, n = BODY_EXCERPT): string {
  if (s === undefined) return '(none)';
  const shown = s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s;
  return JSON.stringify(shown);
}

/** One request and its answer, as a failure message shows them. */
export function describeExchange(req: FuzzRequest, reply?: FuzzReply): string {
  const headers = Object.entries(req.headers ?? {}).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
  const lines = [
    `  ${req.method} ${req.path.length > 300 ? `${req.path.slice(0, 300)}… (${req.path.length} chars)` : req.path}   as ${req.as ?? 'anonymous'}`,
    ...(headers.length ? [`  headers: ${headers.join(', ')}`] : []),
    `  body: ${excerpt(req.body)}`,
  ];
  if (reply) lines.push(`  -> ${reply.status}  ${excerpt(reply.text)}`);
  return lines.join('\n');
}

export class FuzzClient {
  readonly #pool: Pool;
  #count = 0;

  constructor(url: string) {
    this.#pool = new Pool(url, { connections: 4, keepAliveTimeout: 30_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
  }

  get count(): number {
    return this.#count;
  }

  /**
   * Sends one request. A watch answers a stream: `maxBodyMs` reads what comes in that time;
   * `headersOnly` hangs up on a 2xx/3xx as soon as its headers are in (an error body is read).
   */
  async send(req: FuzzRequest, opts: { maxBodyMs?: number; headersOnly?: boolean } = {}): Promise<FuzzReply> {
    this.#count++;
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    if (req.token !== undefined) headers.authorization = `Bearer ${req.token}`;
    const ac = new AbortController();
    const timer = opts.maxBodyMs === undefined ? undefined : setTimeout(() => ac.abort(), opts.maxBodyMs);
    try {
      // Any token is a method on the wire; undici's type lists the usual ones only.
      const res = await this.#pool.request({ method: req.method as Dispatcher.HttpMethod, path: req.path, headers, body: req.body, signal: ac.signal });
      let text = '';
      if (opts.headersOnly && res.statusCode < 400) {
        res.body.on('error', () => undefined);
        res.body.destroy();
      } else {
        try {
          for await (const chunk of res.body) text += (chunk as Buffer).toString('utf8');
        } catch (e) {
          if (!ac.signal.aborted) throw e;
        }
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
      return { status: res.statusCode, headers: flat, text, json };
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

/** VmRSS of a process, in MiB. */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) / 1024 : 0;
}

export interface FuzzTarget {
  etcd: EtcdFixture;
  api: ApiServerFixture;
  pid: number;
  client: FuzzClient;
  tokens: Record<Identity, string | undefined>;
  stop(): Promise<void>;
}

export type Identity = 'admin' | 'node-a' | 'scheduler' | 'controller-manager' | 'no-token' | 'wrong-token';
export const IDENTITIES: readonly Identity[] = ['admin', 'node-a', 'scheduler', 'controller-manager', 'no-token', 'wrong-token'];

/** etcd and `skiff apiserver` (a process of its own), with tokens for node-a and node-b. */
export async function startFuzzTarget(): Promise<FuzzTarget> {
  const etcd = await startEtcd();
  let api: ApiServerFixture;
  try {
    api = await startApiServer({ etcd, nodes: ['node-a', 'node-b'], logLevel: 'warn' });
  } catch (e) {
    await etcd.stop();
    throw e;
  }
  const pid = api.proc?.pid;
  if (pid === undefined) throw new Error('the API server must run as its own process');
  const client = new FuzzClient(api.url);
  const tokens: Record<Identity, string | undefined> = {
    admin: api.adminToken,
    'node-a': api.nodeToken('node-a'),
    scheduler: api.schedulerToken,
    'controller-manager': api.controllerManagerToken,
    'no-token': undefined,
    'wrong-token': 'not-a-token-anyone-has',
  };
  return {
    etcd,
    api,
    pid,
    client,
    tokens,
    async stop() {
      await client.close();
      await api.stop();
      await etcd.stop();
    },
  };
}
