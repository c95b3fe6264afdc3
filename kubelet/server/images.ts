// The node's images over HTTP, for `skiff images|pull|rmi|prune --node N` through the API
// server's node proxy: GET /images, POST /images/pull?image= (JSON-lines progress, then the
// result; the body may carry the user's registry credentials for that pull), GET /images/pulls?image= (the progress of a pull the kubelet is making for a
// pod, same lines), DELETE /images/{reference or unique ID prefix}, POST /images/prune.
// The answers' shapes are declared once in api/wire/ (image-pull.ts, node-images.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PullLine, PullRequestBody } from '../../api/wire/image-pull.js';
import type { NodeImageList, PruneReport } from '../../api/wire/node-images.js';
import { isRuntimeError, type AuthConfig, type ImageService } from '../../runtime/cri.js';
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
export async function pullImage(images: ImageService, q: URLSearchParams, req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const image = q.get('image');
  if (!image) throw new HttpError(400, 'want POST /images/pull?image=REFERENCE');
  const auth = pullAuth(await readSmallBody(req));
  const line = startLines(res);
  try {
    const id = await images.pullImage({ image }, { signal, onProgress: (p) => line({ progress: p }), ...(auth ? { auth } : {}) });
    line({ image: id, done: true });
  } catch (e) {
    line({ error: e instanceof Error ? e.message : String(e) });
  }
  res.end();
}

const BODY_LIMIT = 64 << 10;

async function readSmallBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > BODY_LIMIT) throw new HttpError(413, `pull request body larger than ${BODY_LIMIT} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The credentials in a pull's body, if any; a malformed body is refused without echoing it. */
function pullAuth(body: Buffer): AuthConfig | undefined {
  if (body.length === 0) return undefined;
  let doc: PullRequestBody;
  try {
    doc = JSON.parse(body.toString('utf8')) as PullRequestBody;
  } catch {
    throw new HttpError(400, 'the pull request body is not JSON');
  }
  const a = doc?.auth;
  if (a === undefined || a === null) return undefined;
  if (typeof a !== 'object' || Object.values(a).some((v) => typeof v !== 'string')) throw new HttpError(400, 'auth in the pull request body must be an object of strings');
  const out: AuthConfig = {};
  if (a.username !== undefined) out.username = a.username;
  if (a.password !== undefined) out.password = a.password;
  if (a.identityToken !== undefined) out.identityToken = a.identityToken;
  if (a.registryToken !== undefined) out.registryToken = a.registryToken;
  return Object.keys(out).length ? out : undefined;
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
