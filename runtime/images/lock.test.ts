import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withFileLock } from './lock.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function lockPath(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-lock-'));
  dirs.push(d);
  return path.join(d, 'index.lock');
}

describe('file lock', () => {
  it('holds the lock as a link to this process\'s token and gives it back', async () => {
    const lock = lockPath();
    const inside = await withFileLock(lock, async () => {
      expect(fs.readFileSync(lock, 'utf8')).toBe(String(process.pid));
      return fs.statSync(lock).ino;
    });
    expect(fs.existsSync(lock)).toBe(false);
    expect(fs.statSync(`${lock}.${process.pid}`).ino).toBe(inside);
  });

  it('runs holders one at a time', async () => {
    const lock = lockPath();
    let active = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        withFileLock(lock, async () => {
          most = Math.max(most, ++active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(most).toBe(1);
  });

  it('takes over a lock left by a dead process, and clears its token', async () => {
    const lock = lockPath();
    fs.writeFileSync(`${lock}.999999999`, '999999999');
    fs.linkSync(`${lock}.999999999`, lock);
    expect(await withFileLock(lock, async () => 'taken')).toBe('taken');
    expect(fs.existsSync(`${lock}.999999999`)).toBe(false);
  });

  it('waits for a live holder of another process', async () => {
    const lock = lockPath();
    // pid 1 is alive and never ours: its lock is held until removed
    fs.writeFileSync(lock, '1');
    const released = new Promise((r) => setTimeout(r, 100)).then(() => fs.unlinkSync(lock));
    const t0 = Date.now();
    await withFileLock(lock, async () => undefined);
    await released;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
  });
});
