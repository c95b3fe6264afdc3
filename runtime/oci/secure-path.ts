// Resolving a path inside a container's root filesystem the way the container would see it:
// symlinks are followed relative to the rootfs and `..` stops at its root, so an image whose
// /etc/passwd links to /etc/shadow of the *host* (or `../../../etc/passwd`) reads the file
// inside the image instead (cf. CVE-2024-9676 in containers/storage, and
// cyphar/filepath-securejoin). The container is not running yet, so nothing can race us.
import fs from 'node:fs/promises';
import path from 'node:path';

const MAX_LINKS = 255;

/** The host path of `unsafePath` as resolved inside `root`; never outside `root`. */
export async function secureJoin(root: string, unsafePath: string): Promise<string> {
  let pending = unsafePath.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = path.join(root, ...resolved, part);
    // A missing component is kept as a plain name: it cannot be a link.
    const st = await fs.lstat(candidate).catch(() => undefined);
    if (!st?.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new Error(`too many symlinks resolving ${unsafePath} in ${root}`);
    const target = await fs.readlink(candidate);
    const targetParts = target.split('/').filter((p) => p !== '' && p !== '.');
    if (target.startsWith('/')) resolved.length = 0;
    pending = [...targetParts, ...pending];
  }
  return path.join(root, ...resolved);
}

/** Reads a file inside `root` (see secureJoin); undefined when it does not exist or is not a regular file. */
export async function readFileInRoot(root: string, unsafePath: string): Promise<string | undefined> {
  const p = await secureJoin(root, unsafePath);
  try {
    const st = await fs.lstat(p);
    if (!st.isFile()) return undefined;
    return await fs.readFile(p, 'utf8');
  } catch {
    return undefined;
  }
}
