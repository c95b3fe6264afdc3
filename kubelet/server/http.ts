// Answers of the kubelet's server: errors carry their HTTP status and are written as plain
// text (as the Kubernetes kubelet writes them), in one place (the server's dispatcher).
import type { ServerResponse } from 'node:http';
import { queryBool } from '../../api/query.js';

export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** A non-negative integer query parameter, or undefined when absent. */
export function intQuery(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new HttpError(400, `${name} must be a non-negative integer (got "${v}")`);
  return Number(v);
}

export function boolQuery(q: URLSearchParams, name: string): boolean {
  return queryBool(q.get(name));
}

/** A request path's segments, %-decoded (a malformed escape is 400). */
export function pathSegments(pathname: string): string[] {
  try {
    return pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
  } catch {
    throw new HttpError(400, `malformed path: ${pathname}`);
  }
}
