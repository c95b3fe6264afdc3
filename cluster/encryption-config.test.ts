import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEncryptionConfig } from '../apiserver/storage/encryption/config.js';
import { encryptionConfigPath, ensureEncryptionConfig } from './encryption-config.js';

describe('skiff up encryption config', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('makes a 0600 EncryptionConfiguration once: secretbox with a fresh 32-byte key, then identity, for secrets', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-enc-up-'));
    const file = await ensureEncryptionConfig(dir);
    expect(file).toBe(encryptionConfigPath(dir));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const doc = parse(await readFile(file, 'utf8'));
    expect(doc.resources).toHaveLength(1);
    expect(doc.resources[0].resources).toEqual(['secrets']);
    expect(doc.resources[0].providers[1]).toEqual({ identity: {} });
    expect(Buffer.from(doc.resources[0].providers[0].secretbox.keys[0].secret, 'base64')).toHaveLength(32);
    // The API server reads it as it is.
    const t = loadEncryptionConfig(file).transformerFor('secrets', '');
    expect(t?.providers.map((p) => p.description)).toEqual(['secretbox key "key1"', 'identity']);

    const text = await readFile(file, 'utf8');
    await ensureEncryptionConfig(dir);
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it("never rewrites the operator's file (a rotation in progress)", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-enc-up-'));
    const mine = 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources: []\n';
    await writeFile(encryptionConfigPath(dir), mine, { mode: 0o600 });
    await ensureEncryptionConfig(dir);
    expect(await readFile(encryptionConfigPath(dir), 'utf8')).toBe(mine);
  });

  it('keys differ between clusters', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-enc-up-'));
    const a = parse(await readFile(await ensureEncryptionConfig(path.join(dir, 'a')), 'utf8'));
    const b = parse(await readFile(await ensureEncryptionConfig(path.join(dir, 'b')), 'utf8'));
    expect(a.resources[0].providers[0].secretbox.keys[0].secret).not.toBe(b.resources[0].providers[0].secretbox.keys[0].secret);
  });
});
