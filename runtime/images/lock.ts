// A lock file for metadata shared by processes on one runtime root (the kubelet and a
// `skiff cri` command at the same time): created with O_EXCL and holding the owner's PID,
// so a lock left by a process that died (kill -9) is recognised and taken over.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
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

// A lock file is a few bytes on a local disk: synchronous calls, cheaper than thread-pool trips.
async function acquire(lockPath: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
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
    const stale = owner === 0 ? i > 20 : owner === process.pid || !isAlive(owner);
    if (stale) unlinkQuietly(lockPath);
    await new Promise((r) => setTimeout(r, Math.min(50, 5 + i)));
  }
}
