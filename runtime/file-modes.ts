// What only root may read: the runtime's records and OCI bundles hold pods' specs and env
// (secrets passed as env vars among them); a cluster's state dir holds keys and tokens
// (cluster/state.ts). Files 0600 in 0700 directories. runc, crun, conmon and the CNI plugins
// run as root, and a container reaches its root filesystem and bind mounts through mounts made
// as root, so closed parent directories keep no container out of its own files.
import fs from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Makes a directory (and missing parents) only its owner enters; an existing one is made so
 * too (it may be older than this rule).
 */
export function makePrivateDirSync(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  fs.chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * Writes a file only its owner reads (a missing parent is made 0700). Written to a fresh temp
 * file and renamed: the mode is the new file's own (a write keeps the mode of a file that
 * exists, perhaps from an older skiff) and no reader ever sees half a file.
 */
export async function writePrivateFile(file: string, data: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  const tmp = `${file}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  await writeFile(tmp, data, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  await rename(tmp, file);
}
