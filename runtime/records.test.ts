import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readNumberedJson, writeNumberedJson } from './numbered-json.js';
import { readRecord, saveContainer, type ContainerRecord, type RuntimeContext } from './runtime-context.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function bundleDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-records-'));
  dirs.push(d);
  return path.join(d, 'bundle');
}

const ctx = { containers: new Map() } as unknown as RuntimeContext;
const rec = (bundle: string, exitCode: number) => ({ id: 'c1', bundle, exitCode }) as unknown as ContainerRecord;

describe('runtime records', () => {
  it('keeps the newest record and the one before, and reuses their files rather than making new ones', async () => {
    const bundle = bundleDir();
    const inodes = () => new Set(fs.readdirSync(bundle).map((n) => fs.statSync(path.join(bundle, n)).ino));
    await saveContainer(ctx, rec(bundle, 1));
    await saveContainer(ctx, rec(bundle, 2));
    const first = inodes();
    for (let i = 3; i <= 5; i++) await saveContainer(ctx, rec(bundle, i));
    expect(fs.readdirSync(bundle).sort()).toEqual(['meta.4.json', 'meta.5.json']);
    expect(inodes()).toEqual(first);
    expect(readRecord<ContainerRecord>(bundle)?.exitCode).toBe(5);
    // a shorter record after a longer one leaves nothing of the longer one behind
    await saveContainer(ctx, { id: 'c1', bundle, exitCode: 6, message: 'x'.repeat(500) } as unknown as ContainerRecord);
    await saveContainer(ctx, rec(bundle, 7));
    await saveContainer(ctx, rec(bundle, 8));
    expect(readRecord<ContainerRecord>(bundle)).toEqual(rec(bundle, 8));
    expect(JSON.parse(fs.readFileSync(path.join(bundle, 'meta.7.json'), 'utf8'))).toEqual(rec(bundle, 7));
  });

  it('falls back to the record before one a crash cut short, and reads an older skiff\'s meta.json', async () => {
    const bundle = bundleDir();
    fs.mkdirSync(bundle, { recursive: true });
    fs.writeFileSync(path.join(bundle, 'meta.json'), JSON.stringify(rec(bundle, 7)));
    expect(readRecord<ContainerRecord>(bundle)?.exitCode).toBe(7);
    await saveContainer(ctx, rec(bundle, 8));
    expect(fs.readdirSync(bundle).sort()).toEqual(['meta.1.json', 'meta.json']);
    // a kill between creating the next file and writing it
    fs.writeFileSync(path.join(bundle, 'meta.2.json'), '');
    expect(readRecord<ContainerRecord>(bundle)?.exitCode).toBe(8);
    await saveContainer(ctx, rec(bundle, 9));
    expect(fs.readdirSync(bundle).sort()).toEqual(['meta.2.json', 'meta.3.json']);
    expect(readRecord<ContainerRecord>(bundle)?.exitCode).toBe(9);
    expect(readRecord(path.join(bundle, 'nothing-here'))).toBeUndefined();
  });
});

describe('numbered JSON files', () => {
  it('refuses damage that no crash leaves (no whole file at all) instead of reading it as empty', () => {
    const dir = bundleDir();
    fs.mkdirSync(dir, { recursive: true });
    writeNumberedJson(dir, 'index', { n: 1 });
    expect(readNumberedJson(dir, 'index')).toEqual({ n: 1 });
    fs.writeFileSync(path.join(dir, 'index.1.json'), '{"n": 1, trunc');
    expect(() => readNumberedJson(dir, 'index')).toThrow(/index\.1\.json/);
    expect(readNumberedJson(dir, 'other')).toBeUndefined();
  });

  it('finishes a write whose recycled file was taken meanwhile, and clears spares of dead writers', () => {
    const dir = bundleDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.spare-999999999-0'), 'left by a crash');
    writeNumberedJson(dir, 'index', { n: 1 });
    writeNumberedJson(dir, 'index', { n: 2 });
    expect(fs.readdirSync(dir).sort()).toEqual(['index.1.json', 'index.2.json']);
    // another writer has just taken index.1.json as its spare
    fs.renameSync(path.join(dir, 'index.1.json'), path.join(dir, `index.spare-${process.pid}-x`));
    writeNumberedJson(dir, 'index', { n: 3 });
    expect(readNumberedJson(dir, 'index')).toEqual({ n: 3 });
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()).toEqual(['index.2.json', 'index.3.json']);
  });
});
