import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EncryptionConfigError, encryptionConfigFrom, loadEncryptionConfig } from './config.js';

const key32 = () => randomBytes(32).toString('base64');

function config(resources: unknown): unknown {
  return { apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources };
}

function problems(doc: unknown): string[] {
  try {
    encryptionConfigFrom(doc);
  } catch (e) {
    if (e instanceof EncryptionConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('EncryptionConfiguration', () => {
  it('picks each resource its transformer: named, then *.<group>, then *.*; identity alone means none', () => {
    const c = encryptionConfigFrom(
      config([
        { resources: ['secrets', 'leases.coordination.k8s.io'], providers: [{ secretbox: { keys: [{ name: 'key1', secret: key32() }] } }, { identity: {} }] },
        { resources: ['*.apps'], providers: [{ aesgcm: { keys: [{ name: 'g', secret: randomBytes(16).toString('base64') }] } }] },
        { resources: ['events'], providers: [{ identity: {} }] },
        { resources: ['*.*'], providers: [{ aescbc: { keys: [{ name: 'a', secret: key32() }, { name: 'b', secret: key32() }] } }] },
      ]),
    );
    expect(c.transformerFor('secrets', '')?.writer.prefix).toBe('k8s:enc:secretbox:v1:key1:');
    expect(c.transformerFor('secrets', '')?.providers.map((p) => p.description)).toEqual(['secretbox key "key1"', 'identity']);
    expect(c.transformerFor('leases', 'coordination.k8s.io')?.writer.prefix).toBe('k8s:enc:secretbox:v1:key1:');
    expect(c.transformerFor('deployments', 'apps')?.writer.prefix).toBe('k8s:enc:aesgcm:v1:g:');
    expect(c.transformerFor('events', '')).toBeUndefined();
    expect(c.transformerFor('pods', '')?.providers.map((p) => p.prefix)).toEqual(['k8s:enc:aescbc:v1:a:', 'k8s:enc:aescbc:v1:b:']);
    expect(c.transformerFor('leases', '')?.writer.prefix).toBe('k8s:enc:aescbc:v1:a:');
  });

  it('covers nothing it does not list', () => {
    const c = encryptionConfigFrom(config([{ resources: ['secrets'], providers: [{ secretbox: { keys: [{ name: 'k', secret: key32() }] } }] }]));
    expect(c.transformerFor('pods', '')).toBeUndefined();
    expect(c.transformerFor('secrets', 'example.com')).toBeUndefined();
    const core = encryptionConfigFrom(config([{ resources: ['*.'], providers: [{ secretbox: { keys: [{ name: 'k', secret: key32() }] } }] }]));
    expect(core.transformerFor('pods', '')).toBeDefined();
    expect(core.transformerFor('leases', 'coordination.k8s.io')).toBeUndefined();
  });

  it('names every bad field by its path, never echoing a secret', () => {
    const secret = randomBytes(8).toString('base64');
    const found = problems({
      apiVersion: 'v1',
      kind: 'EncryptionConfiguration',
      resources: [
        {
          resources: ['Secrets'],
          providers: [
            { aescbc: { keys: [{ name: 'k', secret }] } },
            { secretbox: { keys: [{ name: '', secret: key32() }, { name: 'a:b', secret: key32() }] } },
            { kms: { name: 'vault', endpoint: 'unix:///kms.sock' } },
            { identity: {}, aesgcm: { keys: [] } },
            {},
            { aesgcm: { keys: [{ name: 'x', secret: 'not base64!' }, { name: 'x' }] } },
          ],
        },
        { resources: ['*.*'], providers: [] },
        { resources: ['configmaps'], providers: [{ identity: {} }] },
      ],
    });
    expect(found).toEqual([
      'apiVersion: Invalid value: "v1": must be apiserver.config.k8s.io/v1',
      expect.stringMatching(/^resources\[0\]\.resources\[0\]: Invalid value: "Secrets": resource name should be lowercase/),
      'resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 8, expected one of [16 24 32]',
      'resources[0].providers[1].secretbox.keys[0].name: Required value: key name is required',
      `resources[0].providers[1].secretbox.keys[1].name: Invalid value: "a:b": key name may not contain ':'`,
      expect.stringMatching(/^resources\[0\]\.providers\[2\]\.kms: Unsupported value: skiff has no KMS plugins/),
      expect.stringMatching(/^resources\[0\]\.providers\[3\]: Invalid value: more than one provider specified in a single element \(aesgcm, identity\)/),
      expect.stringMatching(/^resources\[0\]\.providers\[4\]: Invalid value: provider does not contain any of the expected providers/),
      'resources[0].providers[5].aesgcm.keys[0].secret: Invalid value: "REDACTED": secrets must be base64 encoded',
      'resources[0].providers[5].aesgcm.keys[1].name: Duplicate value: "x"',
      'resources[0].providers[5].aesgcm.keys[1].secret: Required value: secret is required',
      'resources[1].providers: Required value: at least one provider is required',
      'resources[2].resources[0]: Invalid value: "configmaps": resource "configmaps" is masked by earlier rule "*.*"',
    ]);
    expect(found.join('\n')).not.toContain(secret);
  });

  it('wants a 32-byte secretbox key', () => {
    expect(problems(config([{ resources: ['secrets'], providers: [{ secretbox: { keys: [{ name: 'k', secret: randomBytes(16).toString('base64') }] } }] }]))).toEqual([
      'resources[0].providers[0].secretbox.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 16, expected one of [32]',
    ]);
  });

  it('reads YAML from a file and names the file when it is wrong, without quoting it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-enc-'));
    try {
      const good = path.join(dir, 'good.yaml');
      const secret = key32();
      await writeFile(
        good,
        `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - secretbox:\n          keys:\n            - name: key1\n              secret: ${secret}\n      - identity: {}\n`,
      );
      expect(loadEncryptionConfig(good).transformerFor('secrets', '')?.writer.description).toBe('secretbox key "key1"');
      const bad = path.join(dir, 'bad.yaml');
      await writeFile(bad, `kind: EncryptionConfiguration\nresources: [ {secret: ${secret}\n`);
      expect(() => loadEncryptionConfig(bad)).toThrow(new RegExp(`invalid encryption provider config ${bad}`));
      expect(() => loadEncryptionConfig(bad)).not.toThrow(new RegExp(secret.replace(/[+/=]/g, '.')));
      expect(() => loadEncryptionConfig(path.join(dir, 'missing.yaml'))).toThrow(/cannot read it/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
