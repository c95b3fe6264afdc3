// Small JSON state files (runtime records, the snapshot index) that must survive a crash whole.
// Each write makes a new file, <base>.<n>.json with n one above any on disk, and then removes
// the older ones; a reader takes the highest that parses, so a write cut short by a crash leaves
// the one before it. Not a rename over the old file: on ext4 that starts writeback of the new
// file inside rename(2) (auto_da_alloc), which waits behind other processes' fsyncs (etcd's) on
// a busy node. `<base>.json`, as older skiff versions wrote it, reads as number 0.
import fs from 'node:fs';
import path from 'node:path';

function numbered(dir: string, base: string): { seq: number; name: string }[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: { seq: number; name: string }[] = [];
  const prefix = `${base}.`;
  for (const n of names) {
    if (n === `${base}.json`) out.push({ seq: 0, name: n });
    else if (n.startsWith(prefix) && n.endsWith('.json')) {
      const mid = n.slice(prefix.length, -'.json'.length);
      if (/^\d+$/.test(mid)) out.push({ seq: Number(mid), name: n });
    }
  }
  return out.sort((a, b) => b.seq - a.seq);
}

/**
 * Writes `value` as the newest `<base>` in `dir` (created when missing). The file is created
 * exclusively, so two writers at once never share one: the later number wins.
 */
export function writeNumberedJson(dir: string, base: string, value: unknown, indent?: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const old = numbered(dir, base);
  const text = JSON.stringify(value, null, indent);
  for (let seq = (old[0]?.seq ?? 0) + 1; ; seq++) {
    try {
      fs.writeFileSync(path.join(dir, `${base}.${seq}.json`), text, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  for (const o of old) fs.rmSync(path.join(dir, o.name), { force: true });
}

/**
 * The newest whole `<base>` in `dir`; undefined when there is none. Throws when there are such
 * files and none is whole: that is damage, not a crash (which always leaves the previous one).
 */
export function readNumberedJson<T>(dir: string, base: string): T | undefined {
  let damaged: unknown;
  // A writer may remove the file listed a moment ago: then list again.
  for (let attempt = 0; attempt < 3; attempt++) {
    let vanished = false;
    damaged = undefined;
    for (const f of numbered(dir, base)) {
      try {
        return JSON.parse(fs.readFileSync(path.join(dir, f.name), 'utf8')) as T;
      } catch (e) {
        // removed by a newer write meanwhile, or cut short by a crash: the next one down
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') vanished = true;
        else damaged ??= new Error(`${path.join(dir, f.name)}: ${(e as Error).message}`, { cause: e });
      }
    }
    if (!vanished) break;
  }
  if (damaged) throw damaged;
  return undefined;
}
