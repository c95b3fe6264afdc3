// The value layouts of Kubernetes' encryption-at-rest providers, byte for byte, so that a
// kube-apiserver given the same EncryptionConfiguration reads what skiff wrote (and the
// reverse). Each provider's stored value is `k8s:enc:<provider>:v1:<key name>:` followed by:
// - aescbc: a 16-byte random IV, then AES-CBC of the data with PKCS#7 padding;
// - aesgcm: a 12-byte random nonce, then AES-GCM's ciphertext and 16-byte tag, with the etcd
//   key as additional authenticated data (a value copied under another key does not open);
// - secretbox: a 24-byte random nonce, then NaCl's secretbox (XSalsa20-Poly1305). Node's
//   crypto has no XSalsa20, so libsodium does it, through sodium-native (prebuilt inside the
//   npm package): about three times as fast as tweetnacl's JavaScript, which cost a create
//   30 % more CPU where libsodium keeps it under 10 % (bench/encryption.ts).
// `identity` has no prefix: it stores the data as it is.
import { createCipheriv, createDecipheriv, randomFillSync, type CipherGCMTypes } from 'node:crypto';
import sodium from 'sodium-native';

/** One way of storing a value: its prefix, and how data goes in and comes out. */
export interface ValueProvider {
  /** The bytes every value it writes starts with ('' for identity). */
  readonly prefix: string;
  /** What an error message calls it: `secretbox key "key1"`, `identity`. */
  readonly description: string;
  /** The stored bytes after the prefix. `context` is the etcd key (aesgcm authenticates it). */
  seal(data: Buffer, context: string): Buffer;
  /** The data back from the stored bytes after the prefix; throws when they do not open. */
  open(sealed: Buffer, context: string): Buffer;
}

export type ProviderKind = 'aescbc' | 'aesgcm' | 'secretbox';

export function prefixOf(kind: ProviderKind, keyName: string): string {
  return `k8s:enc:${kind}:v1:${keyName}:`;
}

/**
 * Random bytes for nonces and IVs, drawn from the system's generator a few KiB at a time: a
 * call to it costs about as much as sealing a 1 KiB value, and a create needs 24 bytes. Each
 * byte is handed out once.
 */
class RandomPool {
  #pool = Buffer.alloc(0);
  #at = 0;

  /** Fills `into` with bytes never handed out before. */
  fill(into: Buffer): void {
    if (this.#at + into.length > this.#pool.length) {
      this.#pool = randomFillSync(Buffer.allocUnsafe(Math.max(4096, into.length)));
      this.#at = 0;
    }
    this.#pool.copy(into, 0, this.#at, this.#at + into.length);
    this.#at += into.length;
  }

  take(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    this.fill(b);
    return b;
  }
}

const random = new RandomPool();

const AES_BLOCK = 16;
const GCM_NONCE = 12;
const GCM_TAG = 16;
const SECRETBOX_NONCE = sodium.crypto_secretbox_NONCEBYTES;
const SECRETBOX_MAC = sodium.crypto_secretbox_MACBYTES;

function aesAlgorithm(key: Buffer, mode: 'cbc' | 'gcm'): string {
  return `aes-${key.length * 8}-${mode}`;
}

export function aescbc(name: string, key: Buffer): ValueProvider {
  const algorithm = aesAlgorithm(key, 'cbc');
  return {
    prefix: prefixOf('aescbc', name),
    description: `aescbc key "${name}"`,
    seal(data) {
      const iv = random.take(AES_BLOCK);
      // Node's default padding is PKCS#7, as Kubernetes pads.
      const c = createCipheriv(algorithm, key, iv);
      return Buffer.concat([iv, c.update(data), c.final()]);
    },
    open(sealed) {
      if (sealed.length < 2 * AES_BLOCK || sealed.length % AES_BLOCK !== 0) throw new Error('the stored data is not a whole number of AES blocks');
      const d = createDecipheriv(algorithm, key, sealed.subarray(0, AES_BLOCK));
      return Buffer.concat([d.update(sealed.subarray(AES_BLOCK)), d.final()]);
    },
  };
}

export function aesgcm(name: string, key: Buffer): ValueProvider {
  const algorithm = aesAlgorithm(key, 'gcm') as CipherGCMTypes;
  return {
    prefix: prefixOf('aesgcm', name),
    description: `aesgcm key "${name}"`,
    seal(data, context) {
      const nonce = random.take(GCM_NONCE);
      const c = createCipheriv(algorithm, key, nonce, { authTagLength: GCM_TAG });
      c.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([c.update(data), c.final()]);
      return Buffer.concat([nonce, body, c.getAuthTag()]);
    },
    open(sealed, context) {
      if (sealed.length < GCM_NONCE + GCM_TAG) throw new Error('the stored data was shorter than the required size');
      const d = createDecipheriv(algorithm, key, sealed.subarray(0, GCM_NONCE), { authTagLength: GCM_TAG });
      d.setAAD(Buffer.from(context, 'utf8'));
      d.setAuthTag(sealed.subarray(sealed.length - GCM_TAG));
      return Buffer.concat([d.update(sealed.subarray(GCM_NONCE, sealed.length - GCM_TAG)), d.final()]);
    },
  };
}

export function secretbox(name: string, key: Buffer): ValueProvider {
  if (key.length !== sodium.crypto_secretbox_KEYBYTES) throw new Error(`a secretbox key is ${sodium.crypto_secretbox_KEYBYTES} bytes, not ${key.length}`);
  const k = Buffer.from(key);
  return {
    prefix: prefixOf('secretbox', name),
    description: `secretbox key "${name}"`,
    seal(data) {
      const out = Buffer.allocUnsafe(SECRETBOX_NONCE + SECRETBOX_MAC + data.length);
      const nonce = out.subarray(0, SECRETBOX_NONCE);
      random.fill(nonce);
      sodium.crypto_secretbox_easy(out.subarray(SECRETBOX_NONCE), data, nonce, k);
      return out;
    },
    open(sealed) {
      if (sealed.length < SECRETBOX_NONCE + SECRETBOX_MAC) throw new Error('the stored data was shorter than the required size');
      const out = Buffer.allocUnsafe(sealed.length - SECRETBOX_NONCE - SECRETBOX_MAC);
      if (!sodium.crypto_secretbox_open_easy(out, sealed.subarray(SECRETBOX_NONCE), sealed.subarray(0, SECRETBOX_NONCE), k)) {
        throw new Error('the box does not open (wrong key or damaged data)');
      }
      return out;
    },
  };
}

/** The prefix every encrypting provider's values start with; identity refuses such values. */
export const ENCRYPTED_PREFIX = 'k8s:enc:';

export const identity: ValueProvider = {
  prefix: '',
  description: 'identity',
  seal: (data) => data,
  open(sealed) {
    // As Kubernetes' identity: an encrypted value is not plaintext, so a later provider may take it.
    if (sealed.subarray(0, ENCRYPTED_PREFIX.length).toString('latin1') === ENCRYPTED_PREFIX) throw new Error('identity transformer tried to read encrypted data');
    return sealed;
  },
};
