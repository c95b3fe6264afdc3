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
  it('keeps one whole record per directory, the newest', async () => {
    const bundle = bundleDir();
    for (let i = 1; i <= 4; i++) await saveContainer(ctx, rec(bundle, i));
    expect(fs.readdirSync(bundle)).toEqual(['meta.4.json']);
    expect(readRecord<ContainerRecord>(bundle)?.exitCode).toBe(4);
  });

  it('falls back to the record before one a crash cut short, and reads an older skiff\'s meta.json', async () => {
    const bundle = bundleDir();
    fs.mkdirSync(bundle, { recursive: true });
    fs.writeFileSync(path.join(bundle, 'meta.json'), JSON.stringify(rec(bundle, 7)));
    expect(readRecord<ContainerRecord>(bundle)?.exitCode).toBe(7);
    await saveContainer(ctx, rec(bundle, 8));
    expect(fs.readdirSync(bundle)).toEqual(['meta.1.json']);
    // a kill between creating the next file and writing it
    fs.writeFileSync(path.join(bundle, 'meta.2.json'), '');
    expect(readRecord<ContainerRecord>(bundle)?.exitCode).toBe(8);
    await saveContainer(ctx, rec(bundle, 9));
    expect(fs.readdirSync(bundle)).toEqual(['meta.3.json']);
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
});
