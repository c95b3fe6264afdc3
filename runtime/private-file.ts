// Files that hold secrets (registry passwords, htpasswd, registries.yaml with credentials,
// docker-style configs): mode 0600, in a directory made 0700 when it is made here. Written to
// a fresh temp file and renamed, so the mode is the new file's own (writeFile's mode applies
// only when it creates the file) and no reader ever sees half a file.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function writePrivateFile(file: string, data: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  await writeFile(tmp, data, { mode: 0o600, flag: 'wx' });
  await rename(tmp, file);
}
