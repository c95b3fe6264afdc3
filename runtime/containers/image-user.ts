// The user a container runs as, resolved against its image's /etc/passwd and /etc/group. An
// image is immutable (its ID is the digest of its config, which names its layers) and a new
// container's rootfs is a fresh, empty upper over those layers, so the answer for one image
// and one request never changes: it is remembered, and later containers of the image neither
// read the files nor wait for their rootfs to be mounted.
import { resolveUser, type ResolvedUser, type UserRequest } from '../oci/user.js';
import type { RuntimeContext } from '../runtime-context.js';

/** Enough for every image and security context a node runs at once; the oldest goes first. */
const MAX_ENTRIES = 512;

export async function imageUser(ctx: RuntimeContext, imageId: string, rootfs: string, rootfsReady: Promise<void>, req: UserRequest): Promise<ResolvedUser> {
  const key = `${imageId} ${JSON.stringify([req.runAsUser, req.runAsGroup, req.runAsUsername, req.supplementalGroups, req.imageUser])}`;
  const hit = ctx.imageUsers.get(key);
  if (hit) return structuredClone(hit);
  await rootfsReady;
  const user = await resolveUser(rootfs, req);
  if (ctx.imageUsers.size >= MAX_ENTRIES) ctx.imageUsers.delete(ctx.imageUsers.keys().next().value as string);
  ctx.imageUsers.set(key, structuredClone(user));
  return user;
}
