// How a failed verb reads on stderr: kubectl's "Error from server (Reason): message" for a
// Status from the API server, "error: message" for everything found on this side, and
// kubectl's hint when nothing listens at the server address. Always one line per error.
import { isApiError } from '../api/errors.js';

/** A mistake in what the user typed or gave us (flags, files): printed as "error: ...". */
export class CliError extends Error {
  override name = 'CliError';
}

export function formatError(err: unknown, server?: string): string {
  if (isApiError(err)) {
    const msg = err.message.trim() || `the server responded with HTTP ${err.code}`;
    return `Error from server (${err.reason}): ${msg}`;
  }
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ECONNREFUSED') {
    const where = server ? new URL(server).host : 'the server';
    return `The connection to the server ${where} was refused - did you specify the right host or port?`;
  }
  if (e?.code === 'ENOTFOUND' || e?.code === 'EHOSTUNREACH' || e?.code === 'ETIMEDOUT') {
    return `error: cannot reach the server${server ? ` ${server}` : ''}: ${e.message}`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return `error: ${message.replace(/^error: /, '')}`;
}
