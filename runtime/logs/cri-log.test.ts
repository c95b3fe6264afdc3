import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logTimeMs, parseLogLine, readCriLog, rotateLogFiles } from './cri-log.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-logs-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('parseLogLine', () => {
  it('parses full, partial and empty lines', () => {
    expect(parseLogLine('2026-01-02T03:04:05.123456789+00:00 stdout F hello world')).toEqual({ time: '2026-01-02T03:04:05.123456789+00:00', stream: 'stdout', partial: false, line: 'hello world' });
    expect(parseLogLine('2026-01-02T03:04:05.1Z stderr P chunk')?.partial).toBe(true);
    expect(parseLogLine('2026-01-02T03:04:05.1Z stdout F')?.line).toBe('');
    expect(parseLogLine('garbage')).toBeUndefined();
    expect(parseLogLine('t nostream F x')).toBeUndefined();
  });
  it('reads nanosecond timestamps with offsets', () => {
    expect(logTimeMs('2026-01-02T03:04:05.123456789+01:00')).toBe(Date.UTC(2026, 0, 2, 2, 4, 5, 123));
  });
});

describe('readCriLog', () => {
  it('reads tail, since and limitBytes across rotated files', async () => {
    const p = path.join(dir, 'c.log');
    await fs.writeFile(`${p}.2`, '2026-01-01T00:00:01.000000000Z stdout F one\n');
    await fs.writeFile(`${p}.1`, '2026-01-01T00:00:02.000000000Z stderr F two\n');
    await fs.writeFile(p, '2026-01-01T00:00:03.000000000Z stdout F three\n2026-01-01T00:00:04.000000000Z stdout F four\n');
    expect((await collect(readCriLog(p))).map((l) => l.line)).toEqual(['one', 'two', 'three', 'four']);
    expect((await collect(readCriLog(p, { tailLines: 2 }))).map((l) => l.line)).toEqual(['three', 'four']);
    expect((await collect(readCriLog(p, { sinceTime: Date.UTC(2026, 0, 1, 0, 0, 2) }))).map((l) => l.line)).toEqual(['two', 'three', 'four']);
    expect((await collect(readCriLog(p, { limitBytes: 8 }))).map((l) => l.line)).toEqual(['one', 'two']);
  });

  it('follows appended lines until the writer is done', async () => {
    const p = path.join(dir, 'follow.log');
    await fs.writeFile(p, '2026-01-01T00:00:01.000000000Z stdout F a\n');
    let writing = true;
    const got: string[] = [];
    const done = (async () => {
      for await (const l of readCriLog(p, { follow: true }, { stillWriting: async () => writing, pollMs: 10 })) got.push(l.line);
    })();
    await new Promise((r) => setTimeout(r, 50));
    await fs.appendFile(p, '2026-01-01T00:00:02.000000000Z stdout F b\n2026-01-01T00:00:03.000000000Z std');
    await new Promise((r) => setTimeout(r, 50));
    await fs.appendFile(p, 'err F c\n');
    await new Promise((r) => setTimeout(r, 50));
    writing = false;
    await done;
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('rotates by renaming and keeps at most maxFiles', async () => {
    const p = path.join(dir, 'rot.log');
    for (const n of [1, 2, 3]) {
      await fs.writeFile(p, `2026-01-01T00:00:0${n}.000000000Z stdout F gen${n}\n`);
      await rotateLogFiles(p, 3);
    }
    await fs.writeFile(p, '2026-01-01T00:00:09.000000000Z stdout F live\n');
    expect((await collect(readCriLog(p))).map((l) => l.line)).toEqual(['gen2', 'gen3', 'live']);
  });
});
