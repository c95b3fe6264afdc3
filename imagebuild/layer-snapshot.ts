// A freshly made layer's snapshot without unpacking its blob: the step's overlay upper
// directory already is that tree, in the snapshotter's own form (whiteouts as 0/0 character
// devices, opaque directories marked by xattr), so its entries are renamed into the new
// snapshot, after overlayfs' bookkeeping attributes (impure, origin, uuid: facts about the
// mount that made them) are taken off and mtimes are cut to the whole seconds the tar header
// keeps, so the snapshot is what unpacking the blob would give.
// Only used when packing found nothing else in the upper directory the layer leaves out
// (layer-diff.ts sameAsLayer); otherwise, or across file systems, the blob is unpacked.
import { execFile } from 'node:child_process';
import { lutimes, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { unpackLayer } from '../runtime/images/unpack.js';

const run = promisify(execFile);
const SETFATTR_BATCH = 500;

export async function snapshotFromUpper(upper: string, target: string, fallback: { blobPath: string; diffId: string }, packed: { contentBytes: number; bookkeeping: Map<string, string[]>; subSecondTimes: { path: string; mtime: Date }[] }): Promise<{ size: number }> {
  const contentBytes = packed.contentBytes;
  // Node has no removexattr(2); setfattr takes many files per name (in batches: a RUN that
  // touched a whole tree can leave tens of thousands, more than one argv holds).
  for (const [name, files] of packed.bookkeeping) {
    for (let i = 0; i < files.length; i += SETFATTR_BATCH) await run('setfattr', ['-h', '-x', name, '--', ...files.slice(i, i + SETFATTR_BATCH)], { maxBuffer: 1 << 20 });
  }
  // Changing a file's times leaves its directory's mtime alone, so the order does not matter.
  for (const t of packed.subSecondTimes) await lutimes(t.path, t.mtime, t.mtime);
  const names = await readdir(upper);
  try {
    for (const n of names) await rename(path.join(upper, n), path.join(target, n));
    return { size: contentBytes };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
  }
  return unpackLayer(fallback.blobPath, target, fallback.diffId);
}
