// Upgraded connections to the API server, as client-go opens them for exec, attach, cp and
// port-forward: a WebSocket (remote command's channel protocol, or KEP-4006's tunnel) or an
// HTTP/1.1 upgrade to SPDY/3.1. Both carry the same credentials and TLS settings as every
// other request of the RestClient; a refused upgrade becomes the ApiError of the server's
// Status, so "pods "x" not found" reads the same as from any other verb.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { ApiError } from '../api/errors.js';
import { SPDY_UPGRADE } from '../api/httpstream/spdy-upgrade.js';
import { STREAM_PROTOCOL_VERSION_HEADER } from '../api/httpstream/remote-command.js';
import { statusFromBody, type RestClient } from './rest.js';

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

async function refusal(res: http.IncomingMessage): Promise<ApiError> {
  const code = res.statusCode ?? 0;
  return ApiError.fromStatus(statusFromBody(code, await readBody(res), res.headers['content-type']), code);
}

export interface PendingWebSocket {
  ws: WebSocket;
  /** Settles when the handshake is done (the subprotocol is then `ws.protocol`), or the server refused. */
  opened: Promise<void>;
}

/**
 * Starts a WebSocket to `path`. The caller attaches its readers to `ws` at once, before 'open'
 * (`ws` emits the server's first messages in the same tick as 'open').
 */
export function openWebSocket(rest: RestClient, path: string, query: URLSearchParams, protocols: readonly string[]): PendingWebSocket {
  const target = rest.connectionTarget(path, query);
  target.url.protocol = target.url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(target.url, [...protocols], { headers: target.headers, ...target.tls });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => {
      // The Status in the body says why; the WebSocket is given up only once it is read.
      void refusal(res).then((err) => {
        reject(err);
        ws.terminate();
      });
    });
    ws.once('error', reject);
  });
  return { ws, opened };
}

/**
 * POSTs an upgrade to SPDY/3.1 offering `protocols` (X-Stream-Protocol-Version, best first), and
 * answers the raw socket with the version the server chose.
 */
export function upgradeToSpdy(rest: RestClient, path: string, query: URLSearchParams, protocols: readonly string[]): Promise<{ socket: Duplex; protocol: string }> {
  const target = rest.connectionTarget(path, query);
  const mod = target.url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(target.url, {
      method: 'POST',
      ...target.tls,
      headers: { ...target.headers, connection: 'Upgrade', upgrade: SPDY_UPGRADE, [STREAM_PROTOCOL_VERSION_HEADER]: [...protocols], 'content-length': '0' },
    });
    req.once('upgrade', (res: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (head.length > 0) socket.unshift(head);
      // Small interactive writes (a request, a keystroke) must not wait for Nagle's ACK.
      if ('setNoDelay' in socket && typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
      const chosen = res.headers[STREAM_PROTOCOL_VERSION_HEADER.toLowerCase()];
      resolve({ socket, protocol: (Array.isArray(chosen) ? chosen[0] : chosen) ?? '' });
    });
    req.once('response', (res: http.IncomingMessage) => void refusal(res).then(reject));
    req.once('error', reject);
    req.end();
  });
}
