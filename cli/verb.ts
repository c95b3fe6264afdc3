// The frame every verb runs in: build the cluster context from the connection flags, run,
// close the client's sockets, and turn any failure into one line on stderr and exit code 1.
import type { Writable } from 'node:stream';
import { cliContext, resolveConnection, type CliContext, type ConnectionFlags } from './context.js';
import { formatError } from './errors.js';

export interface Io {
  stdout: Writable;
  stderr: Writable;
}

export const processIo: Io = { stdout: process.stdout, stderr: process.stderr };

function serverOf(flags: ConnectionFlags): string | undefined {
  try {
    return resolveConnection(flags).server;
  } catch {
    return undefined;
  }
}

/** Reports an error the way every verb does and marks the process as failed. */
export function reportError(err: unknown, io: Io = processIo, server?: string): void {
  io.stderr.write(`${formatError(err, server)}\n`);
  process.exitCode = 1;
}

/** Runs a verb that needs no cluster. */
export async function runLocal(fn: (io: Io) => Promise<void> | void, io: Io = processIo): Promise<void> {
  try {
    await fn(io);
  } catch (err) {
    reportError(err, io);
  }
}

/** Runs a verb against the cluster the flags name. */
export async function runVerb(flags: ConnectionFlags, fn: (ctx: CliContext, io: Io) => Promise<void>, io: Io = processIo): Promise<void> {
  let ctx: CliContext | undefined;
  try {
    ctx = cliContext(flags);
    await fn(ctx, io);
  } catch (err) {
    reportError(err, io, ctx?.connection.server ?? serverOf(flags));
  } finally {
    ctx?.rest.close();
  }
}
