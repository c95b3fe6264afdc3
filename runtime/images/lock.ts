// A lock file for metadata shared by processes on one runtime root (the kubelet and a
// `skiff cri` command at the same time): holding the owner's PID, so a lock left by a process
// that died (kill -9) is recognised and taken over. Taking it is a hard link of the process's
// own token file (<lock>.<pid>, made once) to the lock's name, which fails while another holds
// it; giving it back removes the name. No inode is made or freed per lock: on an ext4 without a
// journal each freed inode slows every inode allocation nearby for 30 s (numbered-json.ts).
import { linkSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isAlive } from '../process-alive.js';

const chains = new Map<string, Promise<unknown>>();

export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  // In-process: queue behind the previous holder; across processes: the lock file.
  const prev = chains.get(lockPath) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(async () => {
    await acquire(lockPath);
    try {
      return await fn();
    } finally {
      unlinkQuietly(lockPath);
    }
  });
  chains.set(lockPath, run);
  try {
    return await run;
  } finally {
    if (chains.get(lockPath) === run) chains.delete(lockPath);
  }
}

function unlinkQuietly(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    // gone already
  }
}

const tokens = new Set<string>();

/** An empty lock file may be mid-write; one still empty after this long was left by a crash. */
const EMPTY_LOCK_GRACE_MS = 300;

/** This process's token for `lockPath`, made on first use; tokens of dead processes go then. */
function token(lockPath: string): string {
  const mine = `${lockPath}.${process.pid}`;
  if (tokens.has(mine)) return mine;
  const prefix = `${path.basename(lockPath)}.`;
  for (const n of readdirSync(path.dirname(lockPath))) {
    const pid = n.startsWith(prefix) ? Number(n.slice(prefix.length)) : NaN;
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid)) unlinkQuietly(path.join(path.dirname(lockPath), n));
  }
  writeFileSync(mine, String(process.pid));
  tokens.add(mine);
  return mine;
}

// A lock file is a few bytes on a local disk: synchronous calls, cheaper than thread-pool trips.
async function acquire(lockPath: string): Promise<void> {
  const started = Date.now();
  for (let i = 0; ; i++) {
    const mine = token(lockPath);
    try {
      linkSync(mine, lockPath);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOENT: the token went (its directory was cleaned); the next round makes it again
      if (code === 'ENOENT') tokens.delete(mine);
      else if (code !== 'EEXIST') throw e;
    }
    let text = '';
    try {
      text = readFileSync(lockPath, 'utf8');
    } catch {
      // released meanwhile
    }
    const owner = Number(text || 0);
    // Our own PID here is stale (the in-process queue says nobody here holds it: a PID reused
    // after a crash); so is a dead owner's. An empty file may be mid-write: give it a moment.
    const stale = owner === 0 ? Date.now() - started > EMPTY_LOCK_GRACE_MS : owner === process.pid || !isAlive(owner);
    if (stale) unlinkQuietly(lockPath);
    await new Promise((r) => setTimeout(r, Math.min(50, 5 + i)));
  }
}
