// Remembered context hashes: an unchanged file is answered from memory, a file whose content
// changed is hashed again even when its size and mtime were put back (ctime moves), and a
// file changed just before hashing is not remembered (a write in the same tick could hide).
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileHashes } from './file-hashes.js';

let tmp: string;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const old = new Date(Date.now() - 60_000);

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'skiff-file-hashes-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function hashOnce(file: string): Promise<string> {
  const h = await FileHashes.open(path.join(tmp, 'root'), path.join(tmp, 'ctx'));
  const out = await h.hash(file, await lstat(file, { bigint: true }));
  await h.save();
  return out;
}

async function remembered(): Promise<Record<string, { sha256: string }>> {
  const dir = path.join(tmp, 'root', 'build', 'file-hashes');
  const [name] = await readdir(dir);
  return JSON.parse(await readFile(path.join(dir, name), 'utf8')) as Record<string, { sha256: string }>;
}

describe('FileHashes', () => {
  it('remembers a settled file and notices a same-size rewrite with the mtime put back', async () => {
    const f = path.join(tmp, 'a.txt');
    await writeFile(f, 'version 1\n');
    await utimes(f, old, old);
    // ctime is "now": wait out the racy window so the hash is remembered
    await new Promise((r) => setTimeout(r, 250));
    expect(await hashOnce(f)).toBe(sha('version 1\n'));
    expect((await remembered())[f]?.sha256).toBe(sha('version 1\n'));
    expect(await hashOnce(f)).toBe(sha('version 1\n'));
    await writeFile(f, 'version 2\n');
    await utimes(f, old, old);
    expect(await hashOnce(f)).toBe(sha('version 2\n'));
  });

  it('does not remember a file changed just before it was hashed', async () => {
    const f = path.join(tmp, 'b.txt');
    await writeFile(f, 'fresh\n');
    expect(await hashOnce(f)).toBe(sha('fresh\n'));
    expect((await remembered())[f]).toBeUndefined();
  });
});
