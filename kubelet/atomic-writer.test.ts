import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtomicWriteError, AtomicWriter, timestampPrefix, validatePath } from './atomic-writer.js';
import type { Payload } from './volume-payload.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-atomic-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const payload = (files: Record<string, string | [string, number]>): Payload =>
  new Map(Object.entries(files).map(([p, v]) => [p, typeof v === 'string' ? { data: Buffer.from(v), mode: 0o644 } : { data: Buffer.from(v[0]), mode: v[1] }]));

async function tsDirs(): Promise<string[]> {
  return (await fs.readdir(dir)).filter((n) => /^\.\.\d{4}_/.test(n));
}

describe('AtomicWriter', () => {
  it('lays out a timestamped dir, ..data pointing at it, and top-level links key -> ..data/key', async () => {
    const w = new AtomicWriter(dir, { now: () => new Date('2026-12-07T12:30:00.123Z') });
    expect(await w.write(payload({ 'app.conf': 'a=1', 'etc/db/user': ['ann', 0o400] }))).toBe(true);
    const [ts] = await tsDirs();
    expect(ts).toMatch(/^\.\.2026_12_07_12_30_00\..+/);
    expect(await fs.readlink(path.join(dir, '..data'))).toBe(ts);
    expect(await fs.readlink(path.join(dir, 'app.conf'))).toBe('..data/app.conf');
    expect(await fs.readlink(path.join(dir, 'etc'))).toBe('..data/etc');
    expect(await fs.readFile(path.join(dir, 'etc/db/user'), 'utf8')).toBe('ann');
    expect((await fs.stat(path.join(dir, 'etc/db/user'))).mode & 0o7777).toBe(0o400);
    expect((await fs.stat(path.join(dir, ts))).mode & 0o7777).toBe(0o755);
    expect((await fs.readdir(dir)).sort()).toEqual(['..data', ts, 'app.conf', 'etc'].sort());
  });

  it('an unchanged payload writes nothing; a change swaps ..data, drops removed keys and the old dir', async () => {
    const w = new AtomicWriter(dir);
    await w.write(payload({ a: '1', b: '2', 'd/x': '3' }));
    const first = await fs.readlink(path.join(dir, '..data'));
    expect(await w.write(payload({ a: '1', b: '2', 'd/x': '3' }))).toBe(false);
    expect(await fs.readlink(path.join(dir, '..data'))).toBe(first);
    // A mode change alone is a change.
    expect(await w.write(payload({ a: '1', b: ['2', 0o600], 'd/x': '3' }))).toBe(true);
    expect(await w.write(payload({ a: 'one', 'd/y': '4' }))).toBe(true);
    const now = await fs.readlink(path.join(dir, '..data'));
    expect(now).not.toBe(first);
    expect(await tsDirs()).toEqual([now]);
    expect((await fs.readdir(dir)).filter((n) => !n.startsWith('..')).sort()).toEqual(['a', 'd']);
    expect(await fs.readFile(path.join(dir, 'a'), 'utf8')).toBe('one');
    expect(await fs.readdir(path.join(dir, 'd'))).toEqual(['y']);
  });

  it('makes sure the user-visible links exist even when the data is up to date', async () => {
    const w = new AtomicWriter(dir);
    await w.write(payload({ a: '1' }));
    await fs.rm(path.join(dir, 'a'));
    expect(await w.write(payload({ a: '1' }))).toBe(false);
    expect(await fs.readFile(path.join(dir, 'a'), 'utf8')).toBe('1');
  });

  it.each([
    ['', 'must not be empty'],
    ['/etc/passwd', 'must be relative path'],
    ['a/../../b', "must not contain '..'"],
    ['..', "must not contain '..'"],
    ['..data', "must not start with '..'"],
    ['..2026_x/f', "must not start with '..'"],
    [`${'x'.repeat(256)}`, 'filenames must be less than or equal to 255'],
  ])('refuses the path %j (%s) and writes nothing', async (p, message) => {
    expect(() => validatePath(p)).toThrow(AtomicWriteError);
    await expect(new AtomicWriter(dir).write(payload({ ok: 'x', [p]: 'y' }))).rejects.toThrow(message);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('formats the timestamp prefix as Kubernetes does', () => {
    expect(timestampPrefix(new Date('2026-01-02T03:04:05.678Z'))).toBe('..2026_01_02_03_04_05.');
  });

  it('concurrent readers never see a mixed set or a torn file while updates go on', async () => {
    const w = new AtomicWriter(dir);
    // Big files, so a torn write would show as a file of mixed characters or a short one.
    const version = (n: number) => String.fromCharCode(97 + (n % 26)).repeat(256 * 1024);
    await w.write(payload({ a: version(0), 'conf/b': version(0) }));
    // The readers run on another thread, truly alongside the writer: one resolves ..data once
    // and reads both files of that version (how a consistent set is read), one reads through
    // the user-visible links.
    const reader = new Worker(
      `
      const fs = require('node:fs');
      const path = require('node:path');
      const { workerData, parentPort } = require('node:worker_threads');
      const dir = workerData.dir;
      const whole = (s) => s.length === 256 * 1024 && s === s[0].repeat(s.length);
      let sets = 0, mixed = 0, torn = 0, links = 0;
      const end = Date.now() + workerData.ms;
      while (Date.now() < end) {
        try {
          const ts = fs.readlinkSync(path.join(dir, '..data'));
          const a = fs.readFileSync(path.join(dir, ts, 'a'), 'latin1');
          const b = fs.readFileSync(path.join(dir, ts, 'conf/b'), 'latin1');
          sets++;
          if (a !== b) mixed++;
          if (!whole(a) || !whole(b)) torn++;
        } catch (e) { if (e.code !== 'ENOENT') throw e; }
        try {
          const v = fs.readFileSync(path.join(dir, 'conf/b'), 'latin1');
          links++;
          if (!whole(v)) torn++;
        } catch (e) { if (e.code !== 'ENOENT') throw e; }
      }
      parentPort.postMessage({ sets, mixed, torn, links });
      `,
      { eval: true, workerData: { dir, ms: 1500 } },
    );
    const done = new Promise<{ sets: number; mixed: number; torn: number; links: number }>((resolve, reject) => {
      reader.once('message', resolve);
      reader.once('error', reject);
    });
    let stop = false;
    void done.then(() => (stop = true));
    let n = 1;
    while (!stop) await w.write(payload({ a: version(n), 'conf/b': version(n++) }));
    const r = await done;
    expect(n).toBeGreaterThan(5);
    expect(r.sets).toBeGreaterThan(5);
    expect(r.links).toBeGreaterThan(5);
    expect({ mixed: r.mixed, torn: r.torn }).toEqual({ mixed: 0, torn: 0 });
    expect((await tsDirs()).length).toBe(1);
  });
});
