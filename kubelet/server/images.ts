// The node's images over HTTP, for `skiff images|pull|rmi|prune --node N` through the API
// server's node proxy: GET /images, POST /images/pull?image= (JSON-lines progress, then the
// result), GET /images/pulls?image= (the progress of a pull the kubelet is making for a
// pod, same lines), DELETE /images/{reference or unique ID prefix}, POST /images/prune.
// The answers' shapes are declared once in api/wire/ (image-pull.ts, node-images.ts).
import type { ServerResponse } from 'node:http';
import type { PullLine } from '../../api/wire/image-pull.js';
import type { NodeImageList, PruneReport } from '../../api/wire/node-images.js';
import { isRuntimeError, type ImageService } from '../../runtime/cri.js';
import type { PullsInProgress } from '../pulls-in-progress.js';
import { HttpError, sendJson } from './http.js';

const STATUS_OF_KIND: Record<string, number> = {
  NotFound: 404,
  InvalidArgument: 400,
  AlreadyExists: 409,
  FailedPrecondition: 409,
  Unauthenticated: 401,
  PermissionDenied: 403,
  Unavailable: 503,
};

/** Runtime errors keep their meaning at this edge (a missing image is a 404, an image in use a 409). */
export function httpErrorOf(e: unknown): unknown {
  if (isRuntimeError(e)) return new HttpError(STATUS_OF_KIND[e.kind] ?? 500, e.message);
  return e;
}

export async function listImages(images: ImageService, res: ServerResponse): Promise<void> {
  const answer: NodeImageList = { images: await images.listImages() };
  sendJson(res, 200, answer);
}

export async function removeImage(images: ImageService, ref: string, force: boolean, res: ServerResponse): Promise<void> {
  if (!ref) throw new HttpError(400, 'want DELETE /images/{reference or ID prefix}');
  try {
    await images.removeImage({ image: ref }, { force });
  } catch (e) {
    throw httpErrorOf(e);
  }
  sendJson(res, 200, { deleted: ref });
}

export async function pruneImages(images: ImageService, res: ServerResponse): Promise<void> {
  const report: PruneReport = await images.prune();
  sendJson(res, 200, report);
}

/**
 * Streams one JSON object per line: {"progress": PullProgress} while blobs move, then
 * {"image": "<id>", "done": true} or {"error": "..."}. The answer is 200 once the stream has
 * begun, so a failure arrives as the last line, as in Docker's pull API.
 */
export async function pullImage(images: ImageService, q: URLSearchParams, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const image = q.get('image');
  if (!image) throw new HttpError(400, 'want POST /images/pull?image=REFERENCE');
  const line = startLines(res);
  try {
    const id = await images.pullImage({ image }, { signal, onProgress: (p) => line({ progress: p }) });
    line({ image: id, done: true });
  } catch (e) {
    line({ error: e instanceof Error ? e.message : String(e) });
  }
  res.end();
}

function startLines(res: ServerResponse): (o: PullLine) => void {
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  return (o: PullLine) => {
    if (!res.writableEnded) res.write(`${JSON.stringify(o)}\n`);
  };
}

/**
 * Follows a pull the kubelet is already making for a pod: the same lines as POST
 * /images/pull (what was seen so far first), ending with its result. With none in progress
 * for that reference it answers at once {"done": true, "pulling": false}: the pull may
 * already be over, or not begun.
 */
export async function followPull(pulls: PullsInProgress, q: URLSearchParams, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const image = q.get('image');
  if (!image) throw new HttpError(400, 'want GET /images/pulls?image=REFERENCE');
  const line = startLines(res);
  await new Promise<void>((resolve) => {
    const stop = pulls.follow(image, {
      onProgress: (p) => line({ progress: p }),
      onEnd: (end) => {
        line('error' in end ? { error: end.error } : { image: end.image, done: true });
        resolve();
      },
    });
    if (!stop) {
      line({ done: true, pulling: false });
      resolve();
      return;
    }
    signal.addEventListener('abort', () => {
      stop();
      resolve();
    }, { once: true });
  });
  res.end();
}
