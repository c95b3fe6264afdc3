import { describe, expect, it } from 'vitest';
import { configMapKeyErrors } from '../names.js';
import { base64ErrorOffset, normalizeSecret } from '../secrets.js';
import type { Secret } from '../types/core.js';
import { validateSecret, validateSecretUpdate } from './secret.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const secret = (over: Partial<Secret>): Secret => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, ...over });
const fields = (s: Secret) => validateSecret(normalizeSecret(s)).map((c) => `${c.field}: ${c.message}`);

describe('normalizeSecret', () => {
  it('folds stringData into data (base64, winning over data) and drops it; type defaults to Opaque', () => {
    const out = normalizeSecret(secret({ data: { a: b64('old'), b: b64('keep') }, stringData: { a: 'new', c: 'héllo' } }));
    expect(out.stringData).toBeUndefined();
    expect(out.type).toBe('Opaque');
    expect(Object.fromEntries(Object.entries(out.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]))).toEqual({ a: 'new', b: 'keep', c: 'héllo' });
  });
});

describe('base64ErrorOffset', () => {
  it.each([
    ['aGVsbG8=', undefined],
    ['aGVsbG8h', undefined],
    ['', undefined],
    ['aGVsbG8', 4],
    ['aGV$bG8=', 3],
    ['aG=sbG8=', 2],
    ['aGVsbG===', 6],
  ])('%j -> %s', (s, at) => expect(base64ErrorOffset(s)).toBe(at));
});

describe('validateSecret', () => {
  it('accepts an Opaque secret and the typed ones with their keys', () => {
    expect(fields(secret({ stringData: { 'a.b_c-D': 'x' } }))).toEqual([]);
    expect(fields(secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': b64('c'), 'tls.key': b64('k') } }))).toEqual([]);
    expect(fields(secret({ type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': '{"auths":{}}' } }))).toEqual([]);
    expect(fields(secret({ type: 'kubernetes.io/basic-auth', stringData: { password: '' } }))).toEqual([]);
    expect(fields(secret({ type: 'kubernetes.io/service-account-token', metadata: { name: 's', annotations: { 'kubernetes.io/service-account.name': 'default' } } }))).toEqual([]);
    expect(fields(secret({ type: 'example.com/anything' }))).toEqual([]);
  });

  it('names the field of each problem, and never the value', () => {
    const out = fields(secret({ data: { 'a/b': b64('x'), good: 'not base64!' } }));
    expect(out).toContain(
      "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
    expect(out).toContain('data.good: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 3');
    expect(out.join('\n')).not.toContain('not base64');
  });

  it('TLS without tls.key, dockerconfigjson with broken JSON, basic-auth with neither key, ssh-auth without a key', () => {
    expect(fields(secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': b64('c') } }))).toEqual(['data[tls.key]: Required value']);
    const broken = fields(secret({ type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': '{"auths": {"r": {"password": "hunter2"' } }));
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatch(/^data\[\.dockerconfigjson\]: Invalid value: "<secret contents redacted>": (invalid JSON|unexpected end)/);
    expect(broken[0]).not.toContain('hunter2');
    expect(fields(secret({ type: 'kubernetes.io/dockerconfigjson' }))).toEqual(['data[.dockerconfigjson]: Required value']);
    expect(fields(secret({ type: 'kubernetes.io/basic-auth' }))).toEqual(['data.username: Required value', 'data.password: Required value']);
    expect(fields(secret({ type: 'kubernetes.io/ssh-auth' }))).toEqual(['data.ssh-privatekey: Required value']);
    expect(fields(secret({ type: 'kubernetes.io/service-account-token' }))).toEqual(['metadata.annotations[kubernetes.io/service-account.name]: Required value']);
  });

  it('1 MiB of decoded data at most', () => {
    expect(fields(secret({ data: { a: Buffer.alloc(1024 * 1024).toString('base64') } }))).toEqual([]);
    expect(fields(secret({ data: { a: Buffer.alloc(512 * 1024).toString('base64'), b: Buffer.alloc(512 * 1024 + 1).toString('base64') } }))).toEqual(['data: Too long: must have at most 1048576 bytes']);
  });
});

describe('validateSecretUpdate', () => {
  const old = normalizeSecret(secret({ immutable: true, stringData: { a: 'x' } }));
  it('the type never changes; an immutable secret keeps its data and stays immutable', () => {
    expect(validateSecretUpdate(normalizeSecret(secret({ type: 'kubernetes.io/tls' })), normalizeSecret(secret({})))).toEqual([
      expect.objectContaining({ field: 'type', message: 'Invalid value: "kubernetes.io/tls": field is immutable' }),
    ]);
    expect(validateSecretUpdate({ ...old, metadata: { ...old.metadata, labels: { a: 'b' } } }, old)).toEqual([]);
    expect(validateSecretUpdate({ ...old, data: { a: b64('y') } }, old).map((c) => c.field)).toEqual(['data']);
    expect(validateSecretUpdate({ ...old, immutable: false }, old).map((c) => c.message)).toEqual(['Forbidden: field is immutable when `immutable` is set']);
  });
});

describe('configMapKeyErrors', () => {
  it.each([
    ['ok.key', 0],
    ['.', 1],
    ['..', 1],
    ['..x', 1],
    ['a'.repeat(254), 1],
    ['a b', 1],
  ])('%s: %i problems', (k, n) => expect(configMapKeyErrors(k)).toHaveLength(n));
});
