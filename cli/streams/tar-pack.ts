// Packs a local file or directory for `skiff cp LOCAL POD:PATH`, as kubectl's makeTar does: the
// entries are named for the destination's base name, so `tar -xmf - -C DIR` in the container
// puts them at the destination path. Symbolic links travel as links; sockets and devices stay.
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

async function add(pack: tar.Pack, source: string, name: string, warn: (line: string) => void): Promise<void> {
  const st = await lstat(source);
  const base = { name, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
  if (st.isDirectory()) {
    pack.entry({ ...base, type: 'directory' });
    for (const child of (await readdir(source)).sort()) await add(pack, path.join(source, child), `${name}/${child}`, warn);
  } else if (st.isSymbolicLink()) {
    pack.entry({ ...base, type: 'symlink', linkname: await readlink(source) });
  } else if (st.isFile()) {
    const entry = pack.entry({ ...base, type: 'file', size: st.size });
    await pipeline(createReadStream(source), entry);
  } else {
    warn(`warning: skipping ${JSON.stringify(source)}: not a regular file, directory or link`);
  }
}

/** A tar stream of `source` with its top entry named `name`; fails when `source` does not exist. */
export async function packTar(source: string, name: string, warn: (line: string) => void): Promise<tar.Pack> {
  await lstat(source);
  const pack = tar.pack();
  add(pack, source, name, warn).then(
    () => pack.finalize(),
    (err: Error) => pack.destroy(err),
  );
  return pack;
}
