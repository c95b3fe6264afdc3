// The pod-template-hash: what names a Deployment's ReplicaSet `<deployment>-<hash>` and labels
// its selector and pods, formed as Kubernetes' controller.ComputeHash does: a 32-bit FNV-1a
// over the pod template, then over the collisionCount as 8 little-endian bytes (the low 4 the
// uint32, the rest zero) when the Deployment has one, and the decimal value of the sum written
// in SafeEncodeString's alphabet (one character per digit, so "web-5d4b6c9f8").
//
// Equal templates give equal hashes and a collisionCount bump gives another name, which is
// what the controller relies on. The exact value cannot be Kubernetes': Go hashes its own
// printing of the Go struct (DeepHashObject, spew with sorted map keys), which has no JSON
// equivalent; here the bytes hashed are the template's JSON with object keys sorted and zero
// values (null, '', {}, []) left out, so templates Go would find equal hash equal.
import type { PodTemplateSpec } from '../../api/types/apps.js';
import { withoutZeroValues } from './replica-sets.js';

/** k8s.io/apimachinery/pkg/util/rand's alphabet: no vowels, no 0/1/3, so no words and no look-alikes. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function fnv1a32(bytes: Uint8Array, seed = FNV_OFFSET): number {
  let h = seed;
  for (const b of bytes) h = Math.imul(h ^ b, FNV_PRIME) >>> 0;
  return h >>> 0;
}

/** rand.SafeEncodeString: each character replaced by the alphabet's entry at its code modulo 27. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/** JSON with every object's keys sorted: the same template always gives the same bytes. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function podTemplateHash(template: PodTemplateSpec, collisionCount?: number): string {
  let h = fnv1a32(Buffer.from(canonicalJson(withoutZeroValues(template) ?? {}), 'utf8'));
  if (collisionCount !== undefined) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv1a32(bytes, h);
  }
  return safeEncodeString(String(h));
}
