// The HTTP/1.1 upgrade that starts a SPDY connection (k8s.io/apimachinery httpstream): the
// client sends `Connection: Upgrade`, `Upgrade: SPDY/3.1` and one `X-Stream-Protocol-Version`
// per version it speaks; the server answers 101 with the version it picked, then both sides
// speak SPDY frames on the socket. With no common version the server answers 403 and lists
// what it accepts in `X-Accepted-Stream-Protocol-Versions`, as Kubernetes' Handshake does.
import { STREAM_PROTOCOL_VERSION_HEADER, negotiateProtocol } from './remote-command.js';

export const SPDY_UPGRADE = 'SPDY/3.1';

type Headers = Record<string, string | string[] | undefined>;

function values(headers: Headers, name: string): string[] {
  const v = headers[name.toLowerCase()];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** True for a request asking to upgrade to SPDY/3.1 (header values compared case-insensitively). */
export function isSpdyUpgrade(headers: Headers): boolean {
  const connection = values(headers, 'connection').flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase());
  const upgrade = values(headers, 'upgrade').flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase());
  return connection.includes('upgrade') && upgrade.includes(SPDY_UPGRADE.toLowerCase());
}

export type SpdyHandshake = { ok: true; protocol: string; response: string } | { ok: false; response: string };

/**
 * Picks the stream protocol for `headers` (Node's IncomingMessage.headers joins repeated
 * headers with ", ") and returns the raw HTTP response to write on the socket.
 */
export function spdyHandshake(headers: Headers, supported: readonly string[]): SpdyHandshake {
  const offered = values(headers, STREAM_PROTOCOL_VERSION_HEADER);
  const protocol = negotiateProtocol(offered, supported);
  if (!protocol) {
    const body = `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(', ')}], server supports [${supported.join(', ')}]`;
    return {
      ok: false,
      response:
        'HTTP/1.1 403 Forbidden\r\n' +
        supported.map((p) => `X-Accepted-Stream-Protocol-Versions: ${p}\r\n`).join('') +
        `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    };
  }
  return {
    ok: true,
    protocol,
    response: `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${SPDY_UPGRADE}\r\n${STREAM_PROTOCOL_VERSION_HEADER}: ${protocol}\r\n\r\n`,
  };
}
