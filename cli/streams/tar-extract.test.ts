import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryDestination, extractTar, tarPrefix } from './tar-extract.js';

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; body?: string; linkname?: string };

/** A tar as a hostile pod could send it. */
async function tarOf(entries: Entry[]): Promise<Readable> {
  const pack = tar.pack();
  for (const e of entries) {
    const type = e.type ?? 'file';
    if (type === 'file') pack.entry({ name: e.name, type }, e.body ?? '');
    else pack.entry({ name: e.name, type, linkname: e.linkname });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Readable.from([Buffer.concat(chunks)]);
}

let root = '';
let dest = '';
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'skiff-untar-'));
  dest = path.join(root, 'dest');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('tarPrefix', () => {
  it('is the path as tar names its members', () => {
    expect(tarPrefix('/tmp/d/')).toBe('tmp/d');
    expect(tarPrefix('tmp//d')).toBe('tmp/d');
    expect(tarPrefix('/')).toBe('');
  });
});

describe('entryDestination', () => {
  it('maps the copied path onto the destination', () => {
    expect(entryDestination('tmp/d/', 'tmp/d', '/x')).toEqual({ path: '/x' });
    expect(entryDestination('tmp/d/a/b', 'tmp/d', '/x')).toEqual({ path: '/x/a/b' });
  });
  it('refuses names outside the copied path, absolute names and ..', () => {
    expect(entryDestination('tmp/dx/a', 'tmp/d', '/x')).toHaveProperty('refused');
    expect(entryDestination('/etc/passwd', 'tmp/d', '/x')).toEqual({ refused: 'absolute path' });
    expect(entryDestination('/etc/passwd', '', '/x')).toEqual({ refused: 'absolute path' });
    expect(entryDestination('tmp/d/../../etc/passwd', 'tmp/d', '/x')).toHaveProperty('refused');
    expect(entryDestination('../outside', '', '/x')).toHaveProperty('refused');
  });
});

describe('extractTar', () => {
  it('writes files and directories of the copied path', async () => {
    const input = await tarOf([
      { name: 'tmp/d/', type: 'directory' },
      { name: 'tmp/d/a.txt', body: 'alpha' },
      { name: 'tmp/d/sub/', type: 'directory' },
      { name: 'tmp/d/sub/b.txt', body: 'beta' },
    ]);
    const warnings: string[] = [];
    const r = await extractTar(input, { prefix: 'tmp/d', destination: dest, warn: (l) => warnings.push(l) });
    expect(r).toEqual({ files: 2, directories: 2, skipped: 0 });
    expect(await readFile(path.join(dest, 'sub', 'b.txt'), 'utf8')).toBe('beta');
    expect(warnings).toEqual([]);
  });

  it('puts a single file copied onto an existing directory inside it', async () => {
    await mkdir(dest);
    await extractTar(await tarOf([{ name: 'tmp/f.bin', body: 'x' }]), { prefix: 'tmp/f.bin', destination: dest, warn: () => undefined });
    expect(await readFile(path.join(dest, 'f.bin'), 'utf8')).toBe('x');
  });

  it("refuses a hostile pod's tar: .., absolute names, links, names outside the copied path", async () => {
    await writeFile(path.join(root, 'victim'), 'untouched');
    const input = await tarOf([
      { name: 'tmp/d/', type: 'directory' },
      { name: 'tmp/d/../../victim', body: 'owned' },
      { name: '/tmp/victim-abs', body: 'owned' },
      { name: 'tmp/d/escape', type: 'symlink', linkname: '../../' },
      { name: 'tmp/d/escape/victim', body: 'owned' },
      { name: 'tmp/d/hard', type: 'link', linkname: '/etc/passwd' },
      { name: 'tmp/dx/other', body: 'owned' },
      { name: 'tmp/d/ok.txt', body: 'fine' },
    ]);
    const warnings: string[] = [];
    const r = await extractTar(input, { prefix: 'tmp/d', destination: dest, warn: (l) => warnings.push(l) });
    expect(await readFile(path.join(root, 'victim'), 'utf8')).toBe('untouched');
    expect((await readdir(root)).sort()).toEqual(['dest', 'victim']);
    // escape/victim lands as a plain file under a real directory inside dest: no link was made.
    expect((await readdir(dest)).sort()).toEqual(['escape', 'ok.txt']);
    expect(await readFile(path.join(dest, 'escape', 'victim'), 'utf8')).toBe('owned');
    expect(r.skipped).toBe(5);
    expect(warnings.join('\n')).toMatch(/skipping "tmp\/d\/escape": symlink/);
    expect(warnings.join('\n')).toMatch(/skipping "\/tmp\/victim-abs": absolute path/);
  });
});
