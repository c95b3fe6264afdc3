// Content digests ("sha256:<64 hex>"): the only algorithm registries and image configs use in
// practice. A digest string that does not match is an InvalidArgument, never a path.
import { createHash, type Hash } from 'node:crypto';
import { RuntimeError } from '../cri.js';

const SHA256 = /^sha256:([a-f0-9]{64})$/;

export function isDigest(s: string): boolean {
  return SHA256.test(s);
}

/** The hex part of a sha256 digest, after checking its shape (it becomes a file name). */
export function digestHex(digest: string): string {
  const m = SHA256.exec(digest);
  if (!m) throw new RuntimeError('InvalidArgument', `unsupported or malformed digest ${JSON.stringify(digest)} (want sha256:<64 hex>)`);
  return m[1];
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function newHash(): Hash {
  return createHash('sha256');
}

export function hashDigest(h: Hash): string {
  return `sha256:${h.digest('hex')}`;
}
