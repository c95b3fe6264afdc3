// Finding a local image the way Docker does for `rmi`/`inspect`: by reference first
// (name:tag, name@digest), then by full image ID or a unique ID prefix of 3+ hex
// characters. An ambiguous prefix is an error naming the candidates.
import { RuntimeError } from '../cri.js';
import type { ImageRecord } from './image-store.js';
import { formatReference, parseReference, repositoryName, type Reference } from './reference.js';

export interface FoundImage {
  id: string;
  /** The records the input named: one for a reference, all of the image's for an ID. */
  records: ImageRecord[];
  /** True when found by ID or ID prefix (rmi then removes every tag). */
  byId: boolean;
}

export function findImage(records: ImageRecord[], input: string): FoundImage {
  const s = input.trim();
  let ref: Reference | undefined;
  try {
    ref = parseReference(s);
  } catch {
    ref = undefined; // not a name; maybe an ID
  }
  if (ref) {
    const name = formatReference(ref);
    const exact = records.find((r) => r.name === name);
    if (exact) return { id: exact.id, records: [exact], byId: false };
    if (ref.digest) {
      const repo = repositoryName(ref);
      const hits = records.filter((r) => r.name.startsWith(`${repo}:`) || r.name.startsWith(`${repo}@`)).filter((r) => r.manifestDigest === ref.digest || r.indexDigest === ref.digest);
      if (hits.length > 0) return { id: hits[0].id, records: hits, byId: false };
    }
  }
  const hex = s.replace(/^sha256:/, '');
  if (/^[a-f0-9]{3,64}$/.test(hex)) {
    const ids = [...new Set(records.map((r) => r.id))].filter((id) => id.slice('sha256:'.length).startsWith(hex));
    if (ids.length === 1) return { id: ids[0], records: records.filter((r) => r.id === ids[0]), byId: true };
    if (ids.length > 1) {
      const names = ids.map((id) => `${id.slice(7, 19)} (${records.filter((r) => r.id === id).map((r) => r.name).join(', ')})`);
      throw new RuntimeError('InvalidArgument', `image ID prefix ${JSON.stringify(s)} is ambiguous: it matches ${names.join(', ')}`);
    }
  }
  throw new RuntimeError('NotFound', `no such image: ${s}`);
}
