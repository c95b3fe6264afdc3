// A remote command through the API server (pods/NAME/exec or /attach), as client-go runs it:
// a WebSocket offering v5.channel.k8s.io then v4, stdin piped in (and half-closed at its end by
// v5's close signal), stdout and stderr out, terminal resizes, and the exit code read from the
// Status on the error channel. Used by exec, attach, and cp (which is exec of tar).
import type { Readable, Writable } from 'node:stream';
import { ChannelClientSession } from '../../api/httpstream/channel-session.js';
import { RemoteCommandProtocol, type RemoteCommandResult } from '../../api/httpstream/remote-command.js';
import type { RestClient } from '../../client/rest.js';
import { openWebSocket } from '../../client/upgrade.js';
import type { LocalTerminal } from './terminal.js';

/** What we offer, best first: v5 can half-close stdin, v4 cannot (stdin then ends with the connection). */
const PROTOCOLS = [RemoteCommandProtocol.V5, RemoteCommandProtocol.V4];

export interface RemoteCommandTarget {
  kind: 'exec' | 'attach';
  namespace: string;
  pod: string;
  container: string;
  /** Empty for attach. */
  command: string[];
  tty: boolean;
}

export interface RemoteCommandIo {
  /** Given: the command gets a stdin, fed from here until it ends. */
  stdin?: Readable;
  stdout: Writable;
  /** Given and no TTY: stderr apart (with a TTY the terminal merges it into stdout). */
  stderr?: Writable;
  terminal?: LocalTerminal;
  /** Aborting drops the connection (the command's result is then a failure). */
  signal?: AbortSignal;
}

/** exec/attach's query, with `command` repeated as kube-apiserver reads it. */
export function remoteCommandQuery(target: RemoteCommandTarget, io: { stdin: boolean; stderr: boolean }): URLSearchParams {
  const query = new URLSearchParams();
  for (const arg of target.command) query.append('command', arg);
  query.set('container', target.container);
  if (io.stdin) query.set('stdin', 'true');
  query.set('stdout', 'true');
  if (io.stderr && !target.tty) query.set('stderr', 'true');
  if (target.tty) query.set('tty', 'true');
  return query;
}

function drained(from: Readable, to: Writable): Promise<void> {
  return new Promise((resolve) => {
    from.pipe(to, { end: false });
    from.once('end', resolve);
    from.once('close', resolve);
  });
}

/** Runs the command to its end; a refused upgrade throws the server's ApiError. */
export async function runRemoteCommand(rest: RestClient, target: RemoteCommandTarget, io: RemoteCommandIo): Promise<RemoteCommandResult> {
  const path = `${rest.pods.path({ namespace: target.namespace, name: target.pod, subresource: target.kind })}`;
  const query = remoteCommandQuery(target, { stdin: io.stdin !== undefined, stderr: io.stderr !== undefined });
  const { ws, opened } = openWebSocket(rest, path, query, PROTOCOLS);
  const session = new ChannelClientSession(ws, { stdin: io.stdin !== undefined });
  const drop = () => ws.terminate();
  if (io.signal?.aborted) drop();
  io.signal?.addEventListener('abort', drop, { once: true });
  const output = Promise.all([drained(session.stdout, io.stdout), io.stderr ? drained(session.stderr, io.stderr) : session.stderr.resume()]);
  await opened;
  let stopResizes = () => {};
  if (target.tty && io.terminal) {
    session.resize(io.terminal.size());
    stopResizes = io.terminal.onResize((size) => session.resize(size));
  }
  if (io.stdin && session.stdin) {
    const stdin = session.stdin;
    stdin.on('error', () => undefined); // the remote side may be gone before our stdin ends
    io.stdin.pipe(stdin);
  }
  try {
    const result = await session.result;
    await output;
    return result;
  } finally {
    stopResizes();
    io.signal?.removeEventListener('abort', drop);
    if (io.stdin && session.stdin) io.stdin.unpipe(session.stdin);
  }
}
