// Each provider's stored layout, opened here with Node's crypto (and tweetnacl for secretbox)
// directly, not through the provider: what a kube-apiserver with the same key would do.
import { createDecipheriv, createCipheriv, randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { aescbc, aesgcm, identity, secretbox } from './providers.js';
import { PrefixTransformer } from './transformer.js';

const KEY = '/registry/leases/default/l1';
const DATA = '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1"},"data":{"password":"aHVudGVyMg=="}}';

/** The bytes after `prefix`, checking the value starts with it. */
function body(value: Buffer, prefix: string): Buffer {
  expect(value.subarray(0, prefix.length).toString('latin1')).toBe(prefix);
  return value.subarray(prefix.length);
}

describe('aescbc', () => {
  for (const size of [16, 24, 32]) {
    it(`stores a 16-byte IV then AES-${size * 8}-CBC with PKCS#7 padding`, () => {
      const key = randomBytes(size);
      const value = new PrefixTransformer([aescbc('k1', key)]).toStorage(DATA, KEY);
      const b = body(value, 'k8s:enc:aescbc:v1:k1:');
      expect(b.length).toBe(16 + (Math.floor(Buffer.byteLength(DATA) / 16) + 1) * 16);
      const d = createDecipheriv(`aes-${size * 8}-cbc`, key, b.subarray(0, 16));
      d.setAutoPadding(false);
      const padded = Buffer.concat([d.update(b.subarray(16)), d.final()]);
      const pad = padded[padded.length - 1];
      expect(padded.subarray(padded.length - pad).every((x) => x === pad)).toBe(true);
      expect(padded.subarray(0, padded.length - pad).toString()).toBe(DATA);
    });
  }

  it('reads what Node wrote in that layout', () => {
    const key = randomBytes(32);
    const iv = randomBytes(16);
    const c = createCipheriv('aes-256-cbc', key, iv);
    const value = Buffer.concat([Buffer.from('k8s:enc:aescbc:v1:k1:'), iv, c.update(DATA), c.final()]);
    expect(new PrefixTransformer([aescbc('k1', key)]).fromStorage(value, KEY)).toEqual({ data: DATA, stale: false });
  });
});

describe('aesgcm', () => {
  it('stores a 12-byte nonce, the ciphertext and the 16-byte tag, the etcd key authenticated', () => {
    const key = randomBytes(32);
    const value = new PrefixTransformer([aesgcm('k1', key)]).toStorage(DATA, KEY);
    const b = body(value, 'k8s:enc:aesgcm:v1:k1:');
    expect(b.length).toBe(12 + Buffer.byteLength(DATA) + 16);
    const open = (aad: string) => {
      const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
      d.setAAD(Buffer.from(aad));
      d.setAuthTag(b.subarray(b.length - 16));
      return Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]).toString();
    };
    expect(open(KEY)).toBe(DATA);
    // Moved under another key, the value does not open.
    expect(() => open('/registry/leases/default/other')).toThrow();
    expect(() => new PrefixTransformer([aesgcm('k1', key)]).fromStorage(value, '/registry/leases/default/other')).toThrow(/unable to transform key "\/registry\/leases\/default\/other": aesgcm key "k1"/);
  });

  it('takes 16- and 24-byte keys too', () => {
    for (const size of [16, 24]) {
      const t = new PrefixTransformer([aesgcm('k', randomBytes(size))]);
      expect(t.fromStorage(t.toStorage(DATA, KEY), KEY).data).toBe(DATA);
    }
  });
});

describe('secretbox', () => {
  it('stores a 24-byte nonce then the NaCl box', () => {
    const key = randomBytes(32);
    const value = new PrefixTransformer([secretbox('key1', key)]).toStorage(DATA, KEY);
    const b = body(value, 'k8s:enc:secretbox:v1:key1:');
    expect(b.length).toBe(24 + 16 + Buffer.byteLength(DATA));
    const out = nacl.secretbox.open(b.subarray(24), b.subarray(0, 24), key);
    expect(out && Buffer.from(out).toString()).toBe(DATA);
  });

  it('opens a box tweetnacl sealed', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(24);
    const value = Buffer.concat([Buffer.from('k8s:enc:secretbox:v1:key1:'), nonce, nacl.secretbox(Buffer.from(DATA), nonce, key)]);
    expect(new PrefixTransformer([secretbox('key1', key)]).fromStorage(value, KEY)).toEqual({ data: DATA, stale: false });
  });
});

describe('the order of providers', () => {
  const k1 = secretbox('key1', randomBytes(32));
  const k2 = secretbox('key2', randomBytes(32));

  it('writes with the first and marks a value read with any other stale', () => {
    const old = new PrefixTransformer([k1, identity]).toStorage(DATA, KEY);
    const rotated = new PrefixTransformer([k2, k1, identity]);
    expect(rotated.fromStorage(old, KEY)).toEqual({ data: DATA, stale: true });
    expect(rotated.toStorage(DATA, KEY).subarray(0, 26).toString()).toBe('k8s:enc:secretbox:v1:key2:');
    expect(rotated.fromStorage(rotated.toStorage(DATA, KEY), KEY).stale).toBe(false);
  });

  it('reads plaintext through identity (stale when identity is not first) and never hands out ciphertext as plaintext', () => {
    expect(new PrefixTransformer([k1, identity]).fromStorage(Buffer.from(DATA), KEY)).toEqual({ data: DATA, stale: true });
    expect(new PrefixTransformer([identity, k1]).fromStorage(Buffer.from(DATA), KEY)).toEqual({ data: DATA, stale: false });
    const sealed = new PrefixTransformer([k1]).toStorage(DATA, KEY);
    expect(new PrefixTransformer([identity, k1]).fromStorage(sealed, KEY)).toEqual({ data: DATA, stale: true });
    expect(() => new PrefixTransformer([identity]).fromStorage(sealed, KEY)).toThrow(/written with secretbox key "key1", which is not among the configured providers/);
  });

  it('names the key a value needs when it is gone, and refuses plaintext without identity', () => {
    const sealed = new PrefixTransformer([k1]).toStorage(DATA, KEY);
    expect(() => new PrefixTransformer([k2]).fromStorage(sealed, KEY)).toThrow(/unable to transform key "\/registry\/leases\/default\/l1": it was written with secretbox key "key1"/);
    expect(() => new PrefixTransformer([k2]).fromStorage(Buffer.from(DATA), KEY)).toThrow(/no matching prefix found/);
  });

  it('tries every key of one name whose secret differs, and says which failed', () => {
    const sealed = new PrefixTransformer([k1]).toStorage(DATA, KEY);
    const wrong = secretbox('key1', randomBytes(32));
    expect(() => new PrefixTransformer([wrong]).fromStorage(sealed, KEY)).toThrow(/secretbox key "key1": the box does not open/);
    expect(new PrefixTransformer([wrong, k1]).fromStorage(sealed, KEY)).toEqual({ data: DATA, stale: true });
  });
});
