// Remote command (exec, attach, and cp, which is exec of tar) as kubectl speaks it: the
// protocol versions, the exec/attach query, the streams kubectl opens over SPDY, and the error
// channel's Status, which the WebSocket channel protocol (channel-protocol.ts) carries too.
//
// What each kubectl offers (observed from kubectl 1.27–1.33 against a recording server; the
// SPDY offer is `X-Stream-Protocol-Version` headers on a POST with `Upgrade: SPDY/3.1`, the
// WebSocket offer `Sec-WebSocket-Protocol` on a GET):
//   1.27, 1.28  SPDY only:       v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io
//   1.29        SPDY only:       v5.channel.k8s.io, then the four above
//   1.30–1.33   WebSocket first: v5.channel.k8s.io alone; if the upgrade fails, SPDY as 1.29
// Over SPDY, v5 behaves as v4: SPDY half-closes stdin with FIN on its own.
import type { SpdyHeaders } from './spdy-framer.js';
import type { SpdySession } from './spdy-session.js';
import type { SpdyStream } from './spdy-stream.js';
import { queryBool } from '../query.js';

export const RemoteCommandProtocol = {
  V1: 'channel.k8s.io',
  V2: 'v2.channel.k8s.io',
  V3: 'v3.channel.k8s.io',
  V4: 'v4.channel.k8s.io',
  V5: 'v5.channel.k8s.io',
} as const;
export type RemoteCommandProtocolName = (typeof RemoteCommandProtocol)[keyof typeof RemoteCommandProtocol];

/** What a server supports over SPDY, best first. */
export const SPDY_REMOTE_COMMAND_PROTOCOLS: readonly RemoteCommandProtocolName[] = [
  RemoteCommandProtocol.V5,
  RemoteCommandProtocol.V4,
  RemoteCommandProtocol.V3,
  RemoteCommandProtocol.V2,
  RemoteCommandProtocol.V1,
];

export const STREAM_PROTOCOL_VERSION_HEADER = 'X-Stream-Protocol-Version';
/** `streamType` as it travels: spdystream lowercases header names. */
export const STREAM_TYPE_HEADER = 'streamtype';

export const StreamType = { Error: 'error', Stdin: 'stdin', Stdout: 'stdout', Stderr: 'stderr', Resize: 'resize' } as const;
export type RemoteCommandStreamType = (typeof StreamType)[keyof typeof StreamType];

/**
 * The server's pick: the first of `supported` the client offered. Offers may repeat the header
 * or comma-separate values in one; the answer goes back in the same header of the 101.
 */
export function negotiateProtocol(offered: string | readonly string[] | undefined, supported: readonly string[]): string | undefined {
  const list = (typeof offered === 'string' ? [offered] : (offered ?? [])).flatMap((v) => v.split(',')).map((v) => v.trim());
  return supported.find((p) => list.includes(p));
}

/** The version number (1–5) of a remote command protocol name. */
export function protocolVersion(protocol: string): number {
  const match = /^v([2-5])\.channel\.k8s\.io$/.exec(protocol);
  return match ? Number(match[1]) : protocol === RemoteCommandProtocol.V1 ? 1 : 0;
}

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface ExecRequest extends RemoteCommandOptions {
  container: string | undefined;
  /** Empty for attach. */
  command: string[];
}

/** Reads exec/attach's query (`command` repeated, `container`, `stdin`, `stdout`, `stderr`, `tty`). */
export function parseExecQuery(query: URLSearchParams): ExecRequest | { error: string } {
  const flag = (name: string) => queryBool(query.get(name));
  const request: ExecRequest = {
    container: query.get('container') ?? undefined,
    command: query.getAll('command'),
    stdin: flag('stdin'),
    stdout: flag('stdout'),
    stderr: flag('stderr'),
    tty: flag('tty'),
  };
  if (!request.stdin && !request.stdout && !request.stderr) return { error: 'you must specify at least 1 of stdin, stdout, stderr' };
  // With a terminal, stderr is merged into stdout (kubectl sends stderr=false with -t).
  if (request.tty) request.stderr = false;
  return request;
}

/** The streams a SPDY client opens, in kubectl's order (error first; resize only with a tty, v3+). */
export function expectedStreams(options: RemoteCommandOptions, protocol: string): RemoteCommandStreamType[] {
  const version = protocolVersion(protocol);
  const types: RemoteCommandStreamType[] = [StreamType.Error];
  if (options.stdin) types.push(StreamType.Stdin);
  if (options.stdout) types.push(StreamType.Stdout);
  if (options.stderr && !options.tty) types.push(StreamType.Stderr);
  if (options.tty && version >= 3) types.push(StreamType.Resize);
  return types;
}

export type RemoteCommandStreams = Partial<Record<RemoteCommandStreamType, SpdyStream>> & { error: SpdyStream };

/** Client side: opens the streams as kubectl does and waits for the server's replies. */
export async function openRemoteCommandStreams(session: SpdySession, options: RemoteCommandOptions, protocol: string): Promise<RemoteCommandStreams> {
  const streams: Partial<Record<RemoteCommandStreamType, SpdyStream>> = {};
  for (const type of expectedStreams(options, protocol)) {
    const headers: SpdyHeaders = { [STREAM_TYPE_HEADER]: type };
    streams[type] = session.openStream(headers);
  }
  await Promise.all(Object.values(streams).map((s) => s.waitForReply()));
  // kubectl half-closes the error stream at once: only the server writes on it.
  streams.error!.end();
  return streams as RemoteCommandStreams;
}

/**
 * Server side: gathers the peer's streams by their `streamType` until every expected one came,
 * or fails after `timeoutMs` (the kubelet's stream creation timeout is 30 s).
 */
export function acceptRemoteCommandStreams(session: SpdySession, options: RemoteCommandOptions, protocol: string, timeoutMs = 30_000): Promise<RemoteCommandStreams> {
  const expected = new Set(expectedStreams(options, protocol));
  const got: Partial<Record<RemoteCommandStreamType, SpdyStream>> = {};
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      session.off('stream', onStream);
      session.off('close', onClose);
      if (err) reject(err);
      else resolve(got as RemoteCommandStreams);
    };
    const onStream = (stream: SpdyStream) => {
      const type = stream.headers[STREAM_TYPE_HEADER] as RemoteCommandStreamType | undefined;
      if (!type || !expected.has(type) || got[type]) {
        stream.reset();
        return;
      }
      stream.reply();
      got[type] = stream;
      if (Object.keys(got).length === expected.size) done();
    };
    const onClose = () => done(new Error('connection closed before all remote command streams were opened'));
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${[...expected].filter((t) => !got[t]).join(', ')} streams`)), timeoutMs);
    session.on('stream', onStream);
    session.on('close', onClose);
  });
}

// ---- the error channel ----

export interface StatusCauseShape {
  reason?: string;
  message?: string;
  field?: string;
}

/**
 * The metav1.Status the v4/v5 error channel carries, as the kubelet writes it (no kind, no
 * apiVersion; `code` only for internal errors).
 */
export interface RemoteCommandStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes?: StatusCauseShape[] };
  code?: number;
}

export function successStatus(): RemoteCommandStatus {
  return { metadata: {}, status: 'Success' };
}

export function exitCodeStatus(exitCode: number, message = `command terminated with non-zero exit code: exit status ${exitCode}`): RemoteCommandStatus {
  return {
    metadata: {},
    status: 'Failure',
    message,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

export function internalErrorStatus(message: string): RemoteCommandStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  };
}

/** The bytes to write on the error channel: JSON for v4+, the bare message before (nothing on success). */
export function encodeStatus(status: RemoteCommandStatus, protocol: string): Buffer {
  if (protocolVersion(protocol) >= 4) return Buffer.from(JSON.stringify(status));
  return Buffer.from(status.status === 'Success' ? '' : (status.message ?? 'error'));
}

export interface RemoteCommandResult {
  exitCode: number;
  /** Why it failed, when it did. */
  message?: string;
  status?: RemoteCommandStatus;
}

/** Reads what the error channel carried, the way kubectl does: empty means success. */
export function decodeStatus(bytes: Buffer, protocol: string): RemoteCommandResult {
  if (bytes.length === 0) return { exitCode: 0 };
  const text = bytes.toString('utf8');
  if (protocolVersion(protocol) < 4) return { exitCode: 1, message: text };
  let status: RemoteCommandStatus;
  try {
    status = JSON.parse(text) as RemoteCommandStatus;
  } catch {
    return { exitCode: 1, message: `error stream protocol error: ${text}` };
  }
  if (status.status === 'Success') return { exitCode: 0, status };
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code) && code > 0) return { exitCode: code, message: status.message, status };
  }
  return { exitCode: 1, message: status.message ?? text, status };
}

// ---- resize ----

export interface TerminalSize {
  Width: number;
  Height: number;
}

/** One resize message: `{"Width":80,"Height":24}`; anything else is refused. */
export function parseTerminalSize(text: string): TerminalSize | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { Width, Height } = value as Record<string, unknown>;
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffff;
  return ok(Width) && ok(Height) ? { Width, Height } : undefined;
}

/**
 * The SPDY resize stream is a series of JSON objects, each ended by a newline (Go's
 * json.Encoder). Feeds complete lines to `onSize`; a line longer than 1 KiB is dropped.
 */
export function readResizeStream(stream: NodeJS.ReadableStream, onSize: (size: TerminalSize) => void): void {
  let pending = '';
  stream.on('data', (chunk: Buffer | string) => {
    pending += chunk.toString();
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const size = parseTerminalSize(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      if (size) onSize(size);
    }
    if (pending.length > 1024) pending = '';
  });
}

export function encodeTerminalSize(size: TerminalSize): string {
  return `${JSON.stringify({ Width: size.Width, Height: size.Height })}\n`;
}
