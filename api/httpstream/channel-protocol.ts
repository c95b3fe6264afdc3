// The WebSocket channel protocol of remote command (k8s.io/apimachinery wsstream): every binary
// message is one channel byte followed by that channel's data.
//   0 stdin, 1 stdout, 2 stderr,
//   3 error: v4+ a JSON metav1 Status (remote-command.ts), before v4 the bare error text,
//   4 resize: `{"Width":..,"Height":..}`,
//   255 (v5 only) close: one payload byte naming the channel the sender is done with; the only
//       way to half-close stdin, since a WebSocket cannot half-close. Only clients send it:
//       kubectl logs a 255 from the server as an unknown channel.
//
// Subprotocols: the client offers a list in Sec-WebSocket-Protocol and the server answers with
// the first it supports of its own preference. The kubelet serves `channel.k8s.io` (v1) and
// `v4.channel.k8s.io` (and their base64 text variants, which no kubectl uses and we do not
// serve); the API server adds `v5.channel.k8s.io`. There are no v2/v3 WebSocket names.
// kubectl 1.30–1.33 offers `v5.channel.k8s.io` alone (remote-command.ts has the full table).
import { RemoteCommandProtocol } from './remote-command.js';

export const Channel = { Stdin: 0, Stdout: 1, Stderr: 2, Error: 3, Resize: 4, Close: 255 } as const;

/** What a server supports over WebSocket, best first. */
export const WEBSOCKET_REMOTE_COMMAND_PROTOCOLS: readonly string[] = [RemoteCommandProtocol.V5, RemoteCommandProtocol.V4, RemoteCommandProtocol.V1];

export function encodeChannelMessage(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const message = Buffer.allocUnsafe(1 + body.length);
  message[0] = channel;
  body.copy(message, 1);
  return message;
}

/** v5's close signal: the sender will write no more on `channel`. */
export function encodeCloseSignal(channel: number): Buffer {
  return Buffer.from([Channel.Close, channel]);
}

export type ChannelMessage = { kind: 'data'; channel: number; data: Buffer } | { kind: 'close'; channel: number };

/** Undefined for an empty message (nothing to route) or a close signal without its byte. */
export function decodeChannelMessage(message: Buffer, protocol: string): ChannelMessage | undefined {
  if (message.length === 0) return undefined;
  const channel = message[0]!;
  if (channel === Channel.Close && protocol === RemoteCommandProtocol.V5) {
    return message.length >= 2 ? { kind: 'close', channel: message[1]! } : undefined;
  }
  return { kind: 'data', channel, data: message.subarray(1) };
}

/**
 * For `ws`'s `handleProtocols(offered, request)`: the subprotocol to answer with, or false to
 * answer none (a kubelet then falls back to v1; we refuse instead, see channel-session.ts).
 */
export function selectWebSocketProtocol(offered: Iterable<string>, supported: readonly string[] = WEBSOCKET_REMOTE_COMMAND_PROTOCOLS): string | false {
  const list = [...offered];
  return supported.find((p) => list.includes(p)) ?? false;
}
