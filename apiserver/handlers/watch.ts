// GET ...?watch=1 (chunked, newline-delimited WatchEvents) and the same over a WebSocket,
// both served from the resource's watch cache. resourceVersion picks where to start (unset
// or "0": the current objects as ADDED first); a version older than the cache or etcd's
// compaction gets an ERROR event with a 410 Expired Status, as kube-apiserver sends it.
// allowWatchBookmarks adds BOOKMARK events; timeoutSeconds ends the stream.
import type { ServerResponse as Response } from 'node:http';
import type { WebSocket } from 'ws';
import { isApiError, errors } from '../../api/errors.js';
import { apiVersionOf } from '../../api/resources.js';
import { cacheFor, type ApiContext, type RequestContext } from '../context.js';
import type { KubeObject, WatchEventType } from '../../api/types/meta.js';
import { selectionPredicate } from '../selectors.js';
import { toTable, wantsTable } from '../table.js';
import { watchLine, type CacheWatch, type WatchSink } from '../storage/watch-cache.js';
import { intParam } from './common.js';
import { queryBool } from '../../api/query.js';

/** A client this far behind is cut off rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

const MAX_TIMER_MS = 2 ** 31 - 1;

interface WatchParams {
  fromRev?: number;
  bookmarks: boolean;
  timeoutMs: number;
  filter?: ReturnType<typeof selectionPredicate>;
}

function watchParams(rc: RequestContext): WatchParams {
  const rv = rc.query.resourceVersion;
  let fromRev: number | undefined;
  if (rv !== undefined && rv !== '' && rv !== '0') {
    if (!/^\d+$/.test(rv)) throw errors.badRequest(`invalid resource version: "${rv}"`);
    fromRev = Number(rv);
  }
  const timeout = intParam(rc, 'timeoutSeconds');
  // Like kube's --min-request-timeout: an unbounded watch ends at a random 30-60 minutes.
  // At most what a timer can hold (~24.8 days): a longer one would fire at once.
  const timeoutMs = timeout !== undefined && timeout > 0 ? Math.min(timeout * 1000, MAX_TIMER_MS) : (1800 + Math.floor(Math.random() * 1800)) * 1000;
  const filter = selectionPredicate(rc.resource.kind, {
    labelSelector: rc.query.labelSelector,
    fieldSelector: rc.query.fieldSelector,
    namespace: rc.resource.namespaced ? rc.info.namespace : undefined,
    nodeName: rc.decision.boundToNode,
  });
  const b = rc.query.allowWatchBookmarks;
  return { fromRev, bookmarks: queryBool(b), timeoutMs, filter };
}

/**
 * Runs one watch against a sink until the client goes, the timeout passes or the cache drops
 * it; answers a function that ends it.
 */
async function runWatch(ctx: ApiContext, rc: RequestContext, p: WatchParams, sink: WatchSink, onStart: () => void): Promise<() => void> {
  const cache = cacheFor(ctx, rc.resource);
  onStart();
  const table = wantsTable(rc.accept);
  const render = table ? (type: WatchEventType, obj: KubeObject) => watchLine(type, toTable(rc.resource, table, [obj], { resourceVersion: obj.metadata.resourceVersion })) : undefined;
  const w: CacheWatch = await cache.watch({ fromRev: p.fromRev, filter: p.filter, sink, render });
  let bookmarkTimer: NodeJS.Timeout | undefined;
  const bookmark = () => {
    const rv = Math.max(w.lastRev, cache.revision);
    const obj = { kind: rc.resource.kind, apiVersion: apiVersionOf(rc.resource), metadata: { resourceVersion: String(rv) } };
    w.enqueue(watchLine('BOOKMARK', obj));
  };
  if (p.bookmarks) bookmarkTimer = setInterval(bookmark, ctx.bookmarkIntervalMs);
  const timeout = setTimeout(() => end(), p.timeoutMs);
  const end = () => {
    clearTimeout(timeout);
    if (bookmarkTimer) clearInterval(bookmarkTimer);
    w.stop();
  };
  return end;
}

export async function watchHttp(ctx: ApiContext, rc: RequestContext, res: Response): Promise<void> {
  const p = watchParams(rc);
  let ended = false;
  // Events that arrive in one turn of the event loop (one etcd watch response holds a group
  // commit's writes) leave in one socket write: corked at the first, uncorked after the turn.
  let corked = false;
  const uncork = () => {
    corked = false;
    res.uncork();
  };
  const sink: WatchSink = {
    send(line) {
      if (ended) return false;
      if (!corked) {
        corked = true;
        res.cork();
        process.nextTick(uncork);
      }
      res.write(line);
      return res.writableLength < MAX_BUFFERED_BYTES;
    },
    close() {
      if (ended) return;
      ended = true;
      res.end();
    },
  };
  const start = () => {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', 'no-cache, private');
    res.setHeader('Transfer-Encoding', 'chunked');
    res.flushHeaders();
  };
  let end: (() => void) | undefined;
  res.on('close', () => {
    ended = true;
    end?.();
  });
  try {
    end = await runWatch(ctx, rc, p, sink, start);
    if (ended) end();
  } catch (e) {
    if (!isApiError(e)) throw e;
    sink.send(watchLine('ERROR', e.toStatus()));
    sink.close();
  }
}

export async function watchWebSocket(ctx: ApiContext, rc: RequestContext, ws: WebSocket): Promise<void> {
  let ended = false;
  const sink: WatchSink = {
    send(line) {
      if (ended) return false;
      ws.send(line.endsWith('\n') ? line.slice(0, -1) : line);
      return ws.bufferedAmount < MAX_BUFFERED_BYTES;
    },
    close() {
      if (ended) return;
      ended = true;
      ws.close(1000);
    },
  };
  let end: (() => void) | undefined;
  ws.on('close', () => {
    ended = true;
    end?.();
  });
  try {
    const p = watchParams(rc);
    end = await runWatch(ctx, rc, p, sink, () => {});
    if (ended) end();
  } catch (e) {
    const err = isApiError(e) ? e : errors.internal((e as Error).message, e);
    sink.send(watchLine('ERROR', err.toStatus()));
    sink.close();
  }
}
