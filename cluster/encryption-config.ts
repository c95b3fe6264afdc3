// Encryption at rest under `skiff up`: an EncryptionConfiguration in the state dir, made once
// with a fresh 32-byte key, secretbox first (Kubernetes' docs rate it strong; aescbc is not
// recommended and aesgcm wants a new key every 200k writes) and identity after it, so Secrets
// written before encryption was on still read (and move to the key on their next update).
// The file is the operator's from then on: a rotation edits it (see the README), and `skiff
// up` never rewrites one that exists. The key is written to this 0600 file only, never logged.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { ENCRYPTION_API_VERSION, ENCRYPTION_KIND } from '../apiserver/storage/encryption/config.js';
import { writePrivateFile } from './state.js';

/** The resources `skiff up` encrypts: what Kubernetes' docs encrypt first. */
export const ENCRYPTED_RESOURCES = ['secrets'];

/** The name of the key `skiff up` makes: the `<name>` of `k8s:enc:secretbox:v1:<name>:`. */
export const FIRST_KEY_NAME = 'key1';

export function encryptionConfigPath(stateDir: string): string {
  return path.join(stateDir, 'encryption-config.yaml');
}

/** The config of a new cluster: secretbox with `secret` (32 bytes), then identity. */
export function encryptionConfigText(secret: Buffer): string {
  return stringify({
    apiVersion: ENCRYPTION_API_VERSION,
    kind: ENCRYPTION_KIND,
    resources: [{ resources: ENCRYPTED_RESOURCES, providers: [{ secretbox: { keys: [{ name: FIRST_KEY_NAME, secret: secret.toString('base64') }] } }, { identity: {} }] }],
  });
}

/** The state dir's EncryptionConfiguration, made on the first `skiff up` that finds none (state dirs older than encryption included). */
export async function ensureEncryptionConfig(stateDir: string): Promise<string> {
  const file = encryptionConfigPath(stateDir);
  if (!existsSync(file)) await writePrivateFile(file, encryptionConfigText(randomBytes(32)));
  return file;
}
