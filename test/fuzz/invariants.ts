// What must hold of every answer, whatever was asked: never a 5xx (a 503 with Retry-After
// only when etcd is down, which these suites do not cause), a `kind: Status` body for every
// error, bounded memory, still serving; and of the store: a refused request or a dry run
// changed nothing. Each check throws a FuzzFailure that shows the request and the answer.
import { describeExchange, MAX_RSS_MIB, rssMiB, type FuzzClient, type FuzzReply, type FuzzRequest } from './runner.js';

export class FuzzFailure extends Error {
  /** What kind of failure, without the values: failures of one kind are one bug, most likely. */
  readonly category: string;

  constructor(what: string, req: FuzzRequest, reply?: FuzzReply) {
    super(`${what}\n${describeExchange(req, reply)}`);
    this.name = 'FuzzFailure';
    const crash = reply && reply.status >= 500 ? ` ${String((reply.json as { message?: unknown } | undefined)?.message ?? '').slice(0, 80)}` : '';
    this.category = `${req.method} ${what.replace(/"[^"]*"|-?\d+(\.\d+)?(e[+-]?\d+)?/gi, '…')}${crash}`;
  }
}

interface StatusBody {
  kind?: unknown;
  code?: unknown;
  reason?: unknown;
  status?: unknown;
  details?: { causes?: { field?: string }[] };
}

/** The answer's Status body, when it is one. */
export function statusOf(reply: FuzzReply): StatusBody | undefined {
  const j = reply.json;
  return typeof j === 'object' && j !== null && (j as StatusBody).kind === 'Status' ? (j as StatusBody) : undefined;
}

/** Never 5xx; every error a Status whose code is the HTTP status. */
export function checkReply(req: FuzzRequest, reply: FuzzReply): void {
  if (reply.status >= 500 && !(reply.status === 503 && reply.headers['retry-after'])) {
    throw new FuzzFailure(`server error ${reply.status}`, req, reply);
  }
  if (reply.status >= 400) {
    const s = statusOf(reply);
    if (!s) throw new FuzzFailure(`error ${reply.status} without a kind: Status body`, req, reply);
    if (s.code !== reply.status) throw new FuzzFailure(`Status code ${String(s.code)} differs from the HTTP status ${reply.status}`, req, reply);
    if (s.status !== 'Failure') throw new FuzzFailure('an error Status must say status: Failure', req, reply);
  }
}

export type Expectation =
  /** anything but a server error */
  | { kind: 'any' }
  /** a client error: one of `codes`, or any 4xx */
  | { kind: 'reject'; codes?: number[]; why: string }
  /** exactly this status */
  | { kind: 'code'; code: number; why: string };

export function checkExpectation(req: FuzzRequest, reply: FuzzReply, exp: Expectation): void {
  checkReply(req, reply);
  if (exp.kind === 'reject') {
    const ok = exp.codes ? exp.codes.includes(reply.status) : reply.status >= 400 && reply.status < 500;
    if (!ok) throw new FuzzFailure(`expected ${exp.codes?.join(' or ') ?? 'a 4xx'} (${exp.why}), got ${reply.status}`, req, reply);
  } else if (exp.kind === 'code' && reply.status !== exp.code) {
    throw new FuzzFailure(`expected ${exp.code} (${exp.why}), got ${reply.status}`, req, reply);
  }
}

/** Sends, checks the invariants, and answers the reply. */
export async function exchange(client: FuzzClient, req: FuzzRequest, exp: Expectation = { kind: 'any' }): Promise<FuzzReply> {
  const reply = await client.send(req);
  checkExpectation(req, reply, exp);
  return reply;
}

/** The store's revision, read through a one-item list (the list's resourceVersion is etcd's revision). */
export async function storeRevision(client: FuzzClient, adminToken: string): Promise<string> {
  const req: FuzzRequest = { method: 'GET', path: '/api/v1/namespaces?limit=1', token: adminToken, as: 'admin' };
  const reply = await client.send(req);
  const rv = (reply.json as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
  if (reply.status !== 200 || !rv) throw new FuzzFailure('reading the store revision failed', req, reply);
  return rv;
}

/**
 * Sends a request that must leave the store as it was when it is refused (any status ≥ 400)
 * or when `unchanged` says so (a dry run): etcd's revision is compared before and after.
 * Nothing else writes to this server's etcd while a property runs.
 */
export async function exchangeUnchangedOnError(
  client: FuzzClient,
  adminToken: string,
  req: FuzzRequest,
  exp: Expectation,
  opts: { unchanged?: boolean } = {},
): Promise<FuzzReply> {
  const before = await storeRevision(client, adminToken);
  const reply = await client.send(req);
  checkExpectation(req, reply, exp);
  if (reply.status >= 400 || opts.unchanged) {
    const after = await storeRevision(client, adminToken);
    if (after !== before) {
      const what = reply.status >= 400 ? `answered ${reply.status}` : 'was a dry run';
      throw new FuzzFailure(`the request ${what} but changed the store (revision ${before} -> ${after})`, req, reply);
    }
  }
  return reply;
}

/** The largest RSS of the server seen by checkHealthy, in MiB (printed at the end of a run). */
export const peak = { rssMiB: 0 };

/** Still serving (a plain GET works) and within the memory bound. */
export async function checkHealthy(client: FuzzClient, adminToken: string, pid: number): Promise<void> {
  const req: FuzzRequest = { method: 'GET', path: '/api/v1/namespaces/default', token: adminToken, as: 'admin' };
  const reply = await client.send(req);
  if (reply.status !== 200) throw new FuzzFailure('the server no longer serves a plain GET', req, reply);
  const rss = await rssMiB(pid);
  peak.rssMiB = Math.max(peak.rssMiB, rss);
  if (rss > MAX_RSS_MIB) throw new Error(`the API server's RSS is ${rss.toFixed(0)} MiB, over the bound of ${MAX_RSS_MIB} MiB (FUZZ_MAX_RSS_MIB)`);
}
