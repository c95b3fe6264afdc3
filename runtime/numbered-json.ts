// Small JSON state files (runtime records, the snapshot index) that must survive a crash whole.
// Each write makes a new file, <base>.<n>.json with n one above any on disk; a reader takes the
// highest that parses, so a write cut short by a crash leaves the one before it. Not a rename
// over the old file: on ext4 that starts writeback of the new file inside rename(2)
// (auto_da_alloc), which waits behind other processes' fsyncs (etcd's) on a busy node.
// Two files are kept, the newest and the one before, and the next write recycles the older
// one's inode (rewritten under a spare name, then linked in as the new number) instead of
// creating a file and deleting another: on an ext4 without a journal every inode freed in the
// last 30 s is skipped, one buffer lookup each, by every inode allocation in its block group,
// so freeing a few inodes per container start made each file or directory made by any process
// on the node (runc's, conmon's, mount's too) cost more the more pods were starting.
// `<base>.json`, as older skiff versions wrote it, reads as number 0.
import fs from 'node:fs';
import path from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './file-modes.js';
import { isAlive } from './process-alive.js';

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
    else if (n.startsWith(`${prefix}spare-`)) {
      // a write of a process that died between taking a file and linking it back
      const pid = Number(n.slice(`${prefix}spare-`.length).split('-')[0]);
      if (pid !== process.pid && !isAlive(pid)) fs.rmSync(path.join(dir, n), { force: true });
    }
    else if (n.startsWith(prefix) && n.endsWith('.json')) {
      const mid = n.slice(prefix.length, -'.json'.length);
      if (/^\d+$/.test(mid)) out.push({ seq: Number(mid), name: n });
    }
  }
  return out.sort((a, b) => b.seq - a.seq);
}

let spares = 0;

/** Writes `text` into an existing file from its start, cutting off what was there after it. */
function rewrite(file: string, text: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const n = fs.writeSync(fd, text, 0);
    // a shorter size, never 0: truncating to 0 would start writeback at close (auto_da_alloc)
    fs.ftruncateSync(fd, n);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes `value` as the newest `<base>` in `dir` (created when missing). The new number is
 * taken exclusively (an exclusive create, or a link, which never replaces), so two writers at
 * once never share one: the later number wins.
 */
export function writeNumberedJson(dir: string, base: string, value: unknown, indent?: number): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const old = numbered(dir, base);
  const text = JSON.stringify(value, null, indent);
  let seq = (old[0]?.seq ?? 0) + 1;
  const recycled = old.length >= 2 ? old[old.length - 1] : undefined;
  let spare: string | undefined;
  if (recycled) {
    // Out of the numbered names first: from here until it is linked back, no reader sees it.
    const name = path.join(dir, `${base}.spare-${process.pid}-${spares++}`);
    try {
      fs.renameSync(path.join(dir, recycled.name), name);
      rewrite(name, text);
      spare = name;
    } catch (e) {
      // another writer took it meanwhile: make a new file instead
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  for (; ; seq++) {
    const file = path.join(dir, `${base}.${seq}.json`);
    try {
      if (spare) fs.linkSync(spare, file);
      // Records hold pods' specs and env (secrets among them): root alone reads them.
      else fs.writeFileSync(file, text, { flag: 'wx', mode: PRIVATE_FILE_MODE });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  if (spare) fs.unlinkSync(spare);
  // The one before stays; anything older (left by older versions, or by writers at once) goes.
  for (const o of old.slice(1)) if (o !== recycled) fs.rmSync(path.join(dir, o.name), { force: true });
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
