// Bytes and inodes under a directory (du -s), without following symlinks: what prune
// reports as freed and imageFsInfo as used. Hardlinked inodes are counted once.
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

export interface Usage {
  bytes: number;
  inodes: number;
}

export async function diskUsage(dir: string, seen = new Set<string>()): Promise<Usage> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st) return { bytes: 0, inodes: 0 };
  const key = `${st.dev}:${st.ino}`;
  if (seen.has(key)) return { bytes: 0, inodes: 0 };
  seen.add(key);
  const u: Usage = { bytes: st.blocks * 512, inodes: 1 };
  if (st.isDirectory()) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names) {
      const c = await diskUsage(path.join(dir, n), seen);
      u.bytes += c.bytes;
      u.inodes += c.inodes;
    }
  }
  return u;
}

export async function duBytes(dir: string): Promise<number> {
  return (await diskUsage(dir)).bytes;
}
