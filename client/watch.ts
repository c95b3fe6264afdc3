// Decoding of a watch response: a chunked body of newline-delimited WatchEvents
// ({"type":"ADDED","object":{...}}\n). Chunks split events anywhere, so bytes are buffered
// up to each newline. An ERROR event carries a Status instead of an object.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { KubeObject, Status } from '../api/types/meta.js';

export type WatchEventOf<T extends KubeObject> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: Status };

export class WatchDecodeError extends Error {
  override name = 'WatchDecodeError';
}

/** True when an ERROR event (or an ApiError's fields) means "too old, list again". */
export function isExpired(status: { code?: number; reason?: string }): boolean {
  return status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone';
}

function decodeLine<T extends KubeObject>(line: string): WatchEventOf<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw new WatchDecodeError(`watch stream carried invalid JSON: ${(err as Error).message}`);
  }
  const ev = parsed as { type?: unknown; object?: unknown };
  if (typeof ev !== 'object' || ev === null || typeof ev.type !== 'string' || typeof ev.object !== 'object' || ev.object === null) {
    throw new WatchDecodeError(`watch stream carried something other than a WatchEvent: ${line.slice(0, 200)}`);
  }
  return ev as WatchEventOf<T>;
}

/**
 * Iterates the events of a watch response until the server ends it or `signal` aborts
 * (both end the iteration quietly); a broken connection throws so the caller can back off.
 */
export async function* watchStream<T extends KubeObject>(
  res: IncomingMessage | Readable,
  signal?: AbortSignal,
): AsyncGenerator<WatchEventOf<T>, void, undefined> {
  let pending = '';
  const onAbort = () => res.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    res.setEncoding('utf8');
    for await (const chunk of res) {
      pending += chunk as string;
      // Scan by index and cut the buffer once per chunk: a chunk often holds many events.
      let start = 0;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const line = pending.slice(start, nl).trim();
        start = nl + 1;
        if (signal?.aborted) return;
        if (line) yield decodeLine<T>(line);
        nl = pending.indexOf('\n', start);
      }
      pending = start === 0 ? pending : pending.slice(start);
    }
    const rest = pending.trim();
    if (rest) yield decodeLine<T>(rest);
  } catch (err) {
    if (signal?.aborted) return;
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    res.destroy();
  }
}
