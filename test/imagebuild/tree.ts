// File trees compared the way the build oracle needs: every path under a root with its type,
// mode, owner, content hash and symlink target (mtimes left out: no two builds agree on them).
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

export interface TreeEntry {
  type: 'dir' | 'file' | 'symlink' | 'other';
  mode: string;
  uid: number;
  gid: number;
  sha256?: string;
  link?: string;
}

export async function readTree(root: string): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  const walk = async (rel: string) => {
    for (const n of (await readdir(path.join(root, rel))).sort()) {
      const r = `${rel}/${n}`;
      const full = path.join(root, r);
      const st = await lstat(full);
      const e: TreeEntry = { type: 'other', mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid };
      if (st.isDirectory()) e.type = 'dir';
      else if (st.isSymbolicLink()) {
        e.type = 'symlink';
        e.link = await readlink(full);
        e.mode = 'n/a'; // Linux symlink modes are always 777
      } else if (st.isFile()) {
        e.type = 'file';
        e.sha256 = createHash('sha256').update(await readFile(full)).digest('hex');
      }
      out.set(r, e);
      if (e.type === 'dir') await walk(r);
    }
  };
  await walk('');
  return out;
}

/** Human-readable differences between two trees (empty when they agree). */
export function diffTrees(a: Map<string, TreeEntry>, b: Map<string, TreeEntry>, names: [string, string]): string[] {
  const out: string[] = [];
  for (const [p, e] of a) {
    const o = b.get(p);
    if (!o) out.push(`${p}: only in ${names[0]} (${JSON.stringify(e)})`);
    else if (JSON.stringify(e) !== JSON.stringify(o)) out.push(`${p}: ${names[0]} ${JSON.stringify(e)} != ${names[1]} ${JSON.stringify(o)}`);
  }
  for (const [p, e] of b) if (!a.has(p)) out.push(`${p}: only in ${names[1]} (${JSON.stringify(e)})`);
  return out;
}
